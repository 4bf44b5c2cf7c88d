package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FS is what a superblock says about a file system or volume member.
type FS struct {
	Type  string `json:"fstype"` // as blkid names it: vfat, ext4, xfs, btrfs, zfs_member, LVM2_member, swap
	UUID  string `json:"uuid,omitempty"`
	Label string `json:"label,omitempty"`
}

// ErrUnknownFS means no known superblock was found.
var ErrUnknownFS = errors.New("no known file system signature")

// Probe identifies the file system (or volume-manager member) on a device
// or image of size bytes from its superblock. It recognises vfat (FAT12,
// FAT16, FAT32), ext2/3/4, xfs, btrfs, zfs_member, LVM2_member and swap,
// and returns ErrUnknownFS otherwise.
func Probe(r io.ReaderAt, size int64) (FS, error) {
	read := func(off int64, n int) []byte {
		if off+int64(n) > size {
			return nil
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off); err != nil {
			return nil
		}
		return b
	}
	// Order matters: signatures at larger offsets survive an mkfs of
	// another type that does not clear them, so look at the ones that
	// mkfs tools overwrite first.
	if sb := read(1024, 1024); sb != nil && binary.LittleEndian.Uint16(sb[0x38:]) == 0xEF53 {
		return probeExt(sb), nil
	}
	if b := read(0, 512); b != nil && string(b[0:4]) == "XFSB" {
		return FS{Type: "xfs", UUID: uuidString(b[32:48]), Label: cString(b[108:120])}, nil
	}
	if b := read(0, 4096); b != nil {
		for s := range 4 {
			l := b[s*512:]
			if string(l[0:8]) == "LABELONE" && string(l[24:32]) == "LVM2 001" {
				off := binary.LittleEndian.Uint32(l[20:])
				if int(off)+32 <= 512 {
					return FS{Type: "LVM2_member", UUID: lvmUUID(l[off : off+32])}, nil
				}
			}
		}
		if string(b[4086:4096]) == "SWAPSPACE2" || string(b[4086:4096]) == "SWAP-SPACE" {
			return FS{Type: "swap", UUID: uuidString(b[1024+12 : 1024+28]), Label: cString(b[1024+28 : 1024+44])}, nil
		}
		if fs, ok := probeFAT(b[:512]); ok {
			return fs, nil
		}
	}
	if b := read(65536, 4096); b != nil && string(b[64:72]) == "_BHRfS_M" {
		return FS{Type: "btrfs", UUID: uuidString(b[32:48]), Label: cString(b[299 : 299+256])}, nil
	}
	if fs, ok := probeZFS(read); ok {
		return fs, nil
	}
	return FS{}, ErrUnknownFS
}

func probeExt(sb []byte) FS {
	compat := binary.LittleEndian.Uint32(sb[0x5C:])
	incompat := binary.LittleEndian.Uint32(sb[0x60:])
	typ := "ext2"
	switch {
	case incompat&(0x40|0x80|0x200) != 0: // extents, 64bit, flex_bg
		typ = "ext4"
	case compat&0x4 != 0: // has_journal
		typ = "ext3"
	}
	return FS{Type: typ, UUID: uuidString(sb[0x68:0x78]), Label: cString(sb[0x78:0x88])}
}

// probeFAT recognises a FAT boot sector; the UUID is the volume serial
// number as XXXX-XXXX.
func probeFAT(b []byte) (FS, bool) {
	if b[510] != 0x55 || b[511] != 0xAA {
		return FS{}, false
	}
	bps := binary.LittleEndian.Uint16(b[11:])
	if bps != 512 && bps != 1024 && bps != 2048 && bps != 4096 || b[13] == 0 || b[16] == 0 {
		return FS{}, false
	}
	var serial uint32
	var label []byte
	switch {
	case string(b[82:87]) == "FAT32":
		serial, label = binary.LittleEndian.Uint32(b[67:]), b[71:82]
	case string(b[54:59]) == "FAT12" || string(b[54:59]) == "FAT16":
		serial, label = binary.LittleEndian.Uint32(b[39:]), b[43:54]
	default:
		return FS{}, false
	}
	l := strings.TrimRight(string(label), " \x00")
	if l == "NO NAME" {
		l = ""
	}
	return FS{Type: "vfat", UUID: FATVolumeID(serial), Label: l}, true
}

// FATVolumeID formats a FAT volume serial number as Linux shows it in
// /dev/disk/by-uuid: "8F2A-1C3D".
func FATVolumeID(serial uint32) string {
	return fmt.Sprintf("%04X-%04X", serial>>16, serial&0xffff)
}

// ParseFATVolumeID parses "8F2A-1C3D" into a serial number.
func ParseFATVolumeID(s string) (uint32, error) {
	if len(s) != 9 || s[4] != '-' {
		return 0, fmt.Errorf("%q is not a FAT volume ID (XXXX-XXXX)", s)
	}
	v, err := strconv.ParseUint(s[:4]+s[5:], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a FAT volume ID (XXXX-XXXX)", s)
	}
	return uint32(v), nil
}

// probeZFS finds an uberblock in the first vdev label and reads the pool
// name and GUID from the label's nvlist (UUID is the decimal pool GUID,
// as blkid reports it).
func probeZFS(read func(int64, int) []byte) (FS, bool) {
	const ubMagic = 0x00bab10c
	ub := read(128<<10, 128<<10)
	if ub == nil {
		return FS{}, false
	}
	found := false
	for off := 0; off+8 <= len(ub); off += 1024 {
		if binary.LittleEndian.Uint64(ub[off:]) == ubMagic || binary.BigEndian.Uint64(ub[off:]) == ubMagic {
			found = true
			break
		}
	}
	if !found {
		return FS{}, false
	}
	fs := FS{Type: "zfs_member"}
	if nv := read(16<<10, 112<<10); nv != nil {
		name, guid := xdrNVLookup(nv)
		fs.Label = name
		if guid != 0 {
			fs.UUID = strconv.FormatUint(guid, 10)
		}
	}
	return fs, true
}

// xdrNVLookup reads the "name" string and "pool_guid" uint64 from an
// XDR-encoded nvlist (the vdev label's vdev_phys).
func xdrNVLookup(b []byte) (name string, guid uint64) {
	if len(b) < 12 || b[0] != 1 { // NV_ENCODE_XDR
		return "", 0
	}
	p := 12 // encoding header (4), nvl_version (4), nvl_nvflag (4)
	u32 := func() (uint32, bool) {
		if p+4 > len(b) {
			return 0, false
		}
		v := binary.BigEndian.Uint32(b[p:])
		p += 4
		return v, true
	}
	for {
		start := p
		encSize, ok := u32()
		if !ok || encSize == 0 {
			return
		}
		if _, ok := u32(); !ok { // decoded size
			return
		}
		nlen, ok := u32()
		if !ok || int(nlen) > len(b)-p {
			return
		}
		key := string(b[p : p+int(nlen)])
		p += (int(nlen) + 3) &^ 3
		typ, _ := u32()
		u32() // nelem
		switch {
		case key == "name" && typ == 9: // DATA_TYPE_STRING
			if l, ok := u32(); ok && int(l) <= len(b)-p {
				name = string(b[p : p+int(l)])
			}
		case key == "pool_guid" && typ == 8: // DATA_TYPE_UINT64
			if p+8 <= len(b) {
				guid = binary.BigEndian.Uint64(b[p:])
			}
		}
		if name != "" && guid != 0 {
			return
		}
		p = start + int(encSize)
		if p <= start || p > len(b) {
			return
		}
	}
}

func uuidString(b []byte) string {
	if bytes.Equal(b, make([]byte, len(b))) {
		return ""
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func lvmUUID(b []byte) string {
	s := string(b)
	// 6-4-4-4-4-4-6, as pvs and blkid print it
	return s[0:6] + "-" + s[6:10] + "-" + s[10:14] + "-" + s[14:18] + "-" + s[18:22] + "-" + s[22:26] + "-" + s[26:32]
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " ")
}
