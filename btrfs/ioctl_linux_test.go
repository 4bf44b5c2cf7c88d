package btrfs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/hostadm/hostadm/internal/testenv"
)

// The uapi sizes, from linux/btrfs.h and linux/btrfs_tree.h.
func TestStructSizes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want uintptr
	}{
		{"btrfs_ioctl_vol_args_v2", sizeofVolArgsV2, 4096},
		{"btrfs_ioctl_fs_info_args", sizeofFsInfoArgs, 1024},
		{"btrfs_ioctl_dev_info_args", sizeofDevInfoArgs, 4096},
		{"btrfs_ioctl_ino_lookup_args", sizeofInoLookupArgs, 4096},
		{"btrfs_ioctl_search_key", sizeofSearchKey, 104},
		{"btrfs_ioctl_search_header", sizeofSearchHeader, 32},
		{"btrfs_ioctl_search_args_v2", sizeofSearchArgsV2Hdr, 112},
		{"btrfs_ioctl_space_info", unsafe.Sizeof(spaceInfo{}), 24},
		{"btrfs_ioctl_space_args", sizeofSpaceArgsHeader, 16},
		{"search buffer offset", unsafe.Offsetof(searchArgsV2{}.Buf), 112},
		{"vol_args_v2 name offset", unsafe.Offsetof(volArgsV2{}.Name), 56},
		{"fs_info generation offset", unsafe.Offsetof(fsInfoArgs{}.Generation), 56},
		{"dev_info path offset", unsafe.Offsetof(devInfoArgs{}.Path), 3072},
		{"btrfs_ioctl_ino_lookup_user_args", sizeofInoLookupUser, 4096},
		{"btrfs_ioctl_get_subvol_info_args", sizeofGetSubvolInfo, 504},
		{"btrfs_ioctl_get_subvol_rootref_args", sizeofGetSubvolRoots, 4096},
		{"get_subvol_info otime offset", unsafe.Offsetof(getSubvolInfoArgs{}.Otime), 392},
		{"get_subvol_rootref num_items offset", unsafe.Offsetof(getSubvolRootrefArgs{}.NumItems), 4088},
	} {
		if tt.got != tt.want {
			t.Errorf("sizeof %s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// TestAgainstHeaders compiles a C program against the installed uapi
// headers and compares every size, offset and ioctl number.
func TestAgainstHeaders(t *testing.T) {
	testenv.RequireFile(t, "/usr/include/linux/btrfs_tree.h")
	testenv.RequireTool(t, "cc")
	dir := t.TempDir()
	src := `#include <stdio.h>
#include <stddef.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fs.h>
#define P(n, v) printf("%s %lu\n", n, (unsigned long)(v))
int main(void) {
	P("vol_args_v2", sizeof(struct btrfs_ioctl_vol_args_v2));
	P("fs_info", sizeof(struct btrfs_ioctl_fs_info_args));
	P("dev_info", sizeof(struct btrfs_ioctl_dev_info_args));
	P("ino_lookup", sizeof(struct btrfs_ioctl_ino_lookup_args));
	P("search_key", sizeof(struct btrfs_ioctl_search_key));
	P("search_header", sizeof(struct btrfs_ioctl_search_header));
	P("search_args_v2", sizeof(struct btrfs_ioctl_search_args_v2));
	P("space_info", sizeof(struct btrfs_ioctl_space_info));
	P("space_args", sizeof(struct btrfs_ioctl_space_args));
	P("fs_info.generation", offsetof(struct btrfs_ioctl_fs_info_args, generation));
	P("fs_info.metadata_uuid", offsetof(struct btrfs_ioctl_fs_info_args, metadata_uuid));
	P("dev_info.path", offsetof(struct btrfs_ioctl_dev_info_args, path));
	P("vol_args_v2.name", offsetof(struct btrfs_ioctl_vol_args_v2, name));
	P("search_args_v2.buf", offsetof(struct btrfs_ioctl_search_args_v2, buf));
	P("root_item", sizeof(struct btrfs_root_item));
	P("root_ref", sizeof(struct btrfs_root_ref));
	P("root_item.generation", offsetof(struct btrfs_root_item, generation));
	P("root_item.flags", offsetof(struct btrfs_root_item, flags));
	P("root_item.generation_v2", offsetof(struct btrfs_root_item, generation_v2));
	P("root_item.uuid", offsetof(struct btrfs_root_item, uuid));
	P("root_item.parent_uuid", offsetof(struct btrfs_root_item, parent_uuid));
	P("root_item.received_uuid", offsetof(struct btrfs_root_item, received_uuid));
	P("root_item.ctransid", offsetof(struct btrfs_root_item, ctransid));
	P("root_item.otransid", offsetof(struct btrfs_root_item, otransid));
	P("root_item.otime", offsetof(struct btrfs_root_item, otime));
	P("dir_item", sizeof(struct btrfs_dir_item));
	P("chunk.type", offsetof(struct btrfs_chunk, type));
	P("chunk.num_stripes", offsetof(struct btrfs_chunk, num_stripes));
	P("chunk.stripe", offsetof(struct btrfs_chunk, stripe));
	P("stripe", sizeof(struct btrfs_stripe));
	P("BTRFS_IOC_SNAP_CREATE_V2", BTRFS_IOC_SNAP_CREATE_V2);
	P("BTRFS_IOC_SUBVOL_CREATE_V2", BTRFS_IOC_SUBVOL_CREATE_V2);
	P("BTRFS_IOC_SNAP_DESTROY_V2", BTRFS_IOC_SNAP_DESTROY_V2);
	P("BTRFS_IOC_SUBVOL_GETFLAGS", BTRFS_IOC_SUBVOL_GETFLAGS);
	P("BTRFS_IOC_SUBVOL_SETFLAGS", BTRFS_IOC_SUBVOL_SETFLAGS);
	P("BTRFS_IOC_TREE_SEARCH_V2", BTRFS_IOC_TREE_SEARCH_V2);
	P("BTRFS_IOC_INO_LOOKUP", BTRFS_IOC_INO_LOOKUP);
	P("BTRFS_IOC_DEFAULT_SUBVOL", BTRFS_IOC_DEFAULT_SUBVOL);
	P("BTRFS_IOC_SPACE_INFO", BTRFS_IOC_SPACE_INFO);
	P("BTRFS_IOC_FS_INFO", BTRFS_IOC_FS_INFO);
	P("BTRFS_IOC_DEV_INFO", BTRFS_IOC_DEV_INFO);
	P("BTRFS_IOC_GET_FSLABEL", BTRFS_IOC_GET_FSLABEL);
	P("BTRFS_IOC_GET_SUBVOL_INFO", BTRFS_IOC_GET_SUBVOL_INFO);
	P("BTRFS_IOC_GET_SUBVOL_ROOTREF", BTRFS_IOC_GET_SUBVOL_ROOTREF);
	P("BTRFS_IOC_INO_LOOKUP_USER", BTRFS_IOC_INO_LOOKUP_USER);
	P("ino_lookup_user", sizeof(struct btrfs_ioctl_ino_lookup_user_args));
	P("ino_lookup_user.name", offsetof(struct btrfs_ioctl_ino_lookup_user_args, name));
	P("ino_lookup_user.path", offsetof(struct btrfs_ioctl_ino_lookup_user_args, path));
	P("get_subvol_info", sizeof(struct btrfs_ioctl_get_subvol_info_args));
	P("get_subvol_info.parent_id", offsetof(struct btrfs_ioctl_get_subvol_info_args, parent_id));
	P("get_subvol_info.flags", offsetof(struct btrfs_ioctl_get_subvol_info_args, flags));
	P("get_subvol_info.uuid", offsetof(struct btrfs_ioctl_get_subvol_info_args, uuid));
	P("get_subvol_info.received_uuid", offsetof(struct btrfs_ioctl_get_subvol_info_args, received_uuid));
	P("get_subvol_info.otransid", offsetof(struct btrfs_ioctl_get_subvol_info_args, otransid));
	P("get_subvol_info.otime", offsetof(struct btrfs_ioctl_get_subvol_info_args, otime));
	P("get_subvol_info.reserved", offsetof(struct btrfs_ioctl_get_subvol_info_args, reserved));
	P("get_subvol_rootref", sizeof(struct btrfs_ioctl_get_subvol_rootref_args));
	P("get_subvol_rootref.num_items", offsetof(struct btrfs_ioctl_get_subvol_rootref_args, num_items));
	P("BTRFS_MAX_ROOTREF_BUFFER_NUM", BTRFS_MAX_ROOTREF_BUFFER_NUM);
	return 0;
}
`
	if err := os.WriteFile(filepath.Join(dir, "sizes.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sizes")
	if out, err := exec.Command("cc", "-o", bin, filepath.Join(dir, "sizes.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{
		"vol_args_v2": uint64(sizeofVolArgsV2), "fs_info": uint64(sizeofFsInfoArgs), "dev_info": uint64(sizeofDevInfoArgs),
		"ino_lookup": uint64(sizeofInoLookupArgs), "search_key": uint64(sizeofSearchKey), "search_header": uint64(sizeofSearchHeader),
		"search_args_v2": uint64(sizeofSearchArgsV2Hdr), "space_info": uint64(unsafe.Sizeof(spaceInfo{})), "space_args": uint64(sizeofSpaceArgsHeader),
		"fs_info.generation": uint64(unsafe.Offsetof(fsInfoArgs{}.Generation)), "fs_info.metadata_uuid": uint64(unsafe.Offsetof(fsInfoArgs{}.MetadataUUID)),
		"dev_info.path": uint64(unsafe.Offsetof(devInfoArgs{}.Path)), "vol_args_v2.name": uint64(unsafe.Offsetof(volArgsV2{}.Name)),
		"search_args_v2.buf": uint64(unsafe.Offsetof(searchArgsV2{}.Buf)),
		"root_item":          rootItemSize, "root_ref": rootRefSize,
		"root_item.generation": rootItemGeneration, "root_item.flags": rootItemFlags, "root_item.generation_v2": rootItemGenerationV2,
		"root_item.uuid": rootItemUUID, "root_item.parent_uuid": rootItemParentUUID, "root_item.received_uuid": rootItemReceivedUUID,
		"root_item.ctransid": rootItemCtransid, "root_item.otransid": rootItemOtransid, "root_item.otime": rootItemOtime,
		"dir_item": dirItemHeaderSize, "chunk.type": chunkType, "chunk.num_stripes": chunkNumStripes, "chunk.stripe": chunkStripe0, "stripe": stripeSize,
		"BTRFS_IOC_SNAP_CREATE_V2": uint64(iocSnapCreateV2), "BTRFS_IOC_SUBVOL_CREATE_V2": uint64(iocSubvolCreateV2),
		"BTRFS_IOC_SNAP_DESTROY_V2": uint64(iocSnapDestroyV2), "BTRFS_IOC_SUBVOL_GETFLAGS": uint64(iocSubvolGetflags),
		"BTRFS_IOC_SUBVOL_SETFLAGS": uint64(iocSubvolSetflags), "BTRFS_IOC_TREE_SEARCH_V2": uint64(iocTreeSearchV2),
		"BTRFS_IOC_INO_LOOKUP": uint64(iocInoLookup), "BTRFS_IOC_DEFAULT_SUBVOL": uint64(iocDefaultSubvol),
		"BTRFS_IOC_SPACE_INFO": uint64(iocSpaceInfo), "BTRFS_IOC_FS_INFO": uint64(iocFsInfo), "BTRFS_IOC_DEV_INFO": uint64(iocDevInfo),
		"BTRFS_IOC_GET_FSLABEL":     uint64(iocGetFslabel),
		"BTRFS_IOC_GET_SUBVOL_INFO": uint64(iocGetSubvolInfo), "BTRFS_IOC_GET_SUBVOL_ROOTREF": uint64(iocGetSubvolRoots),
		"BTRFS_IOC_INO_LOOKUP_USER": uint64(iocInoLookupUser),
		"ino_lookup_user":           uint64(sizeofInoLookupUser), "ino_lookup_user.name": uint64(unsafe.Offsetof(inoLookupUserArgs{}.Name)),
		"ino_lookup_user.path":          uint64(unsafe.Offsetof(inoLookupUserArgs{}.Path)),
		"get_subvol_info":               uint64(sizeofGetSubvolInfo),
		"get_subvol_info.parent_id":     uint64(unsafe.Offsetof(getSubvolInfoArgs{}.ParentID)),
		"get_subvol_info.flags":         uint64(unsafe.Offsetof(getSubvolInfoArgs{}.Flags)),
		"get_subvol_info.uuid":          uint64(unsafe.Offsetof(getSubvolInfoArgs{}.UUID)),
		"get_subvol_info.received_uuid": uint64(unsafe.Offsetof(getSubvolInfoArgs{}.ReceivedUUID)),
		"get_subvol_info.otransid":      uint64(unsafe.Offsetof(getSubvolInfoArgs{}.Otransid)),
		"get_subvol_info.otime":         uint64(unsafe.Offsetof(getSubvolInfoArgs{}.Otime)),
		"get_subvol_info.reserved":      uint64(unsafe.Offsetof(getSubvolInfoArgs{}.Reserved)),
		"get_subvol_rootref":            uint64(sizeofGetSubvolRoots),
		"get_subvol_rootref.num_items":  uint64(unsafe.Offsetof(getSubvolRootrefArgs{}.NumItems)),
		"BTRFS_MAX_ROOTREF_BUFFER_NUM":  rootrefBufferNum,
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var name string
		var v uint64
		if _, err := fmt.Sscanf(line, "%s %d", &name, &v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("no Go value for %s", name)
			continue
		}
		seen++
		if w != v {
			t.Errorf("%s: Go has %#x, C has %#x", name, w, v)
		}
	}
	if seen != len(want) {
		t.Errorf("compared %d values, want %d", seen, len(want))
	}
}

func TestKeyNext(t *testing.T) {
	for _, tt := range []struct{ in, want key }{
		{key{5, 132, 0}, key{5, 132, 1}},
		{key{5, 132, ^uint64(0)}, key{5, 133, 0}},
		{key{5, 255, ^uint64(0)}, key{6, 0, 0}},
		{key{^uint64(0), 255, ^uint64(0)}, key{}},
	} {
		if got := tt.in.next(); got != tt.want {
			t.Errorf("%v.next() = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !(key{6, 0, 0}).greater(key{5, 255, 9}) || (key{5, 1, 1}).greater(key{5, 1, 1}) {
		t.Error("greater is wrong")
	}
}
