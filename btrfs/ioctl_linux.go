package btrfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Layouts of the kernel's uapi structures (linux/btrfs.h), checked
// against the C sizes in ioctl_linux_test.go. One typed helper per ioctl
// below; none of them is exported.

const (
	ioctlMagic = 0x94

	subvolNameMax    = 4039 // BTRFS_SUBVOL_NAME_MAX
	volNameMax       = 255  // BTRFS_VOL_NAME_MAX
	rootrefBufferNum = 255  // BTRFS_MAX_ROOTREF_BUFFER_NUM
	inoLookupPathMax = 4080 // BTRFS_INO_LOOKUP_PATH_MAX
	devicePathMax    = 1024 // BTRFS_DEVICE_PATH_NAME_MAX
	labelSize        = 256  // BTRFS_LABEL_SIZE, FSLABEL_MAX

	subvolRdonly     = 1 << 1 // BTRFS_SUBVOL_RDONLY
	subvolSpecByID   = 1 << 4 // BTRFS_SUBVOL_SPEC_BY_ID
	fsInfoFlagGen    = 1 << 1 // BTRFS_FS_INFO_FLAG_GENERATION
	fsInfoFlagCsum   = 1 << 0 // BTRFS_FS_INFO_FLAG_CSUM_INFO
	searchBufSize    = 256 << 10
	rootTreeObjectID = 1 // BTRFS_ROOT_TREE_OBJECTID
	chunkTreeID      = 3 // BTRFS_CHUNK_TREE_OBJECTID
	fsTreeObjectID   = 5 // BTRFS_FS_TREE_OBJECTID
	firstFreeID      = 256
	lastFreeID       = ^uint64(0) - 255 // BTRFS_LAST_FREE_OBJECTID (-256ULL)
	firstChunkTreeID = 256              // BTRFS_FIRST_CHUNK_TREE_OBJECTID

	rootItemKey    = 132 // BTRFS_ROOT_ITEM_KEY
	rootBackrefKey = 144 // BTRFS_ROOT_BACKREF_KEY
	chunkItemKey   = 228 // BTRFS_CHUNK_ITEM_KEY
)

// ioc builds an ioctl request number like the kernel's _IOC macro.
func ioc(dir, nr, size uintptr) uint {
	return uint(dir<<30 | size<<16 | ioctlMagic<<8 | nr)
}

const (
	iocWrite = 1
	iocRead  = 2
)

type volArgsV2 struct {
	Fd      int64
	Transid uint64
	Flags   uint64
	Unused  [4]uint64
	Name    [subvolNameMax + 1]byte // also devid / subvolid as a u64
}

type fsInfoArgs struct {
	MaxID          uint64
	NumDevices     uint64
	Fsid           [16]byte
	Nodesize       uint32
	Sectorsize     uint32
	CloneAlignment uint32
	CsumType       uint16
	CsumSize       uint16
	Flags          uint64
	Generation     uint64
	MetadataUUID   [16]byte
	Reserved       [944]byte
}

type devInfoArgs struct {
	Devid      uint64
	UUID       [16]byte
	BytesUsed  uint64
	TotalBytes uint64
	Unused     [379]uint64
	Path       [devicePathMax]byte
}

type inoLookupArgs struct {
	Treeid   uint64
	Objectid uint64
	Name     [inoLookupPathMax]byte
}

// inoLookupUserArgs is btrfs_ioctl_ino_lookup_user_args.
type inoLookupUserArgs struct {
	Dirid  uint64
	Treeid uint64
	Name   [volNameMax + 1]byte
	Path   [inoLookupPathMax - volNameMax - 1]byte // BTRFS_INO_LOOKUP_USER_PATH_MAX
}

type ioctlTimespec struct {
	Sec  uint64
	Nsec uint32
	_    uint32
}

// getSubvolInfoArgs is btrfs_ioctl_get_subvol_info_args.
type getSubvolInfoArgs struct {
	Treeid       uint64
	Name         [volNameMax + 1]byte
	ParentID     uint64 // 0 for the top level
	Dirid        uint64
	Generation   uint64
	Flags        uint64 // the root item's flags
	UUID         [16]byte
	ParentUUID   [16]byte
	ReceivedUUID [16]byte
	Ctransid     uint64
	Otransid     uint64
	Stransid     uint64
	Rtransid     uint64
	Ctime        ioctlTimespec
	Otime        ioctlTimespec
	Stime        ioctlTimespec
	Rtime        ioctlTimespec
	Reserved     [8]uint64
}

type rootrefEntry struct {
	Treeid uint64
	Dirid  uint64
}

// getSubvolRootrefArgs is btrfs_ioctl_get_subvol_rootref_args.
type getSubvolRootrefArgs struct {
	MinTreeid uint64
	Rootref   [rootrefBufferNum]rootrefEntry
	NumItems  uint8
	_         [7]uint8
}

type searchKey struct {
	TreeID      uint64
	MinObjectid uint64
	MaxObjectid uint64
	MinOffset   uint64
	MaxOffset   uint64
	MinTransid  uint64
	MaxTransid  uint64
	MinType     uint32
	MaxType     uint32
	NrItems     uint32
	Unused      uint32
	Unused1     [4]uint64
}

type searchHeader struct {
	Transid  uint64
	Objectid uint64
	Offset   uint64
	Type     uint32
	Len      uint32
}

// searchArgsV2 is btrfs_ioctl_search_args_v2 with its flexible buffer
// made a fixed array; the ioctl number carries the header's size only.
type searchArgsV2 struct {
	Key     searchKey
	BufSize uint64
	Buf     [searchBufSize]byte
}

type spaceArgsHeader struct {
	SpaceSlots  uint64
	TotalSpaces uint64
}

const (
	sizeofVolArgsV2       = unsafe.Sizeof(volArgsV2{})
	sizeofFsInfoArgs      = unsafe.Sizeof(fsInfoArgs{})
	sizeofDevInfoArgs     = unsafe.Sizeof(devInfoArgs{})
	sizeofInoLookupArgs   = unsafe.Sizeof(inoLookupArgs{})
	sizeofSearchKey       = unsafe.Sizeof(searchKey{})
	sizeofInoLookupUser   = unsafe.Sizeof(inoLookupUserArgs{})
	sizeofGetSubvolInfo   = unsafe.Sizeof(getSubvolInfoArgs{})
	sizeofGetSubvolRoots  = unsafe.Sizeof(getSubvolRootrefArgs{})
	sizeofSearchHeader    = unsafe.Sizeof(searchHeader{})
	sizeofSearchArgsV2Hdr = unsafe.Sizeof(searchKey{}) + 8
	sizeofSpaceInfo       = unsafe.Sizeof(spaceInfo{})
	sizeofSpaceArgsHeader = unsafe.Sizeof(spaceArgsHeader{})
)

var (
	iocSnapCreateV2   = ioc(iocWrite, 23, sizeofVolArgsV2)
	iocSubvolCreateV2 = ioc(iocWrite, 24, sizeofVolArgsV2)
	iocSnapDestroyV2  = ioc(iocWrite, 63, sizeofVolArgsV2)
	iocSubvolGetflags = ioc(iocRead, 25, 8)
	iocSubvolSetflags = ioc(iocWrite, 26, 8)
	iocTreeSearchV2   = ioc(iocRead|iocWrite, 17, sizeofSearchArgsV2Hdr)
	iocInoLookup      = ioc(iocRead|iocWrite, 18, sizeofInoLookupArgs)
	iocDefaultSubvol  = ioc(iocWrite, 19, 8)
	iocSpaceInfo      = ioc(iocRead|iocWrite, 20, sizeofSpaceArgsHeader)
	iocFsInfo         = ioc(iocRead, 31, sizeofFsInfoArgs)
	iocDevInfo        = ioc(iocRead|iocWrite, 30, sizeofDevInfoArgs)
	iocGetFslabel     = ioc(iocRead, 49, labelSize)
	iocGetSubvolInfo  = ioc(iocRead, 60, sizeofGetSubvolInfo)
	iocGetSubvolRoots = ioc(iocRead|iocWrite, 61, sizeofGetSubvolRoots)
	iocInoLookupUser  = ioc(iocRead|iocWrite, 62, sizeofInoLookupUser)
)

func ioctlPtr(fd int, req uint, arg unsafe.Pointer, name string) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("ioctl "+name, errno)
	}
}

// setName copies a file name into a fixed buffer, refusing names that do
// not fit or that the kernel would refuse.
func setName(dst []byte, name string) error {
	if name == "" || name == "." || name == ".." || bytes.ContainsAny([]byte(name), "/\x00") {
		return fmt.Errorf("invalid subvolume name %q: %w", name, unix.EINVAL)
	}
	if len(name) >= len(dst) {
		return fmt.Errorf("subvolume name of %d bytes is too long: %w", len(name), unix.ENAMETOOLONG)
	}
	copy(dst, name)
	return nil
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// ioctlSubvolCreateV2 creates subvolume name in directory dirfd.
func ioctlSubvolCreateV2(dirfd int, name string) error {
	var a volArgsV2
	if err := setName(a.Name[:], name); err != nil {
		return err
	}
	return ioctlPtr(dirfd, iocSubvolCreateV2, unsafe.Pointer(&a), "BTRFS_IOC_SUBVOL_CREATE_V2")
}

// ioctlSnapCreateV2 snapshots the subvolume open as srcfd to name in
// directory dirfd.
func ioctlSnapCreateV2(dirfd, srcfd int, name string, readOnly bool) error {
	a := volArgsV2{Fd: int64(srcfd)}
	if readOnly {
		a.Flags = subvolRdonly
	}
	if err := setName(a.Name[:], name); err != nil {
		return err
	}
	return ioctlPtr(dirfd, iocSnapCreateV2, unsafe.Pointer(&a), "BTRFS_IOC_SNAP_CREATE_V2")
}

// ioctlSnapDestroyV2 deletes subvolume name in directory dirfd, or, when
// id is non-zero, the subvolume with that id anywhere in fd's file system.
func ioctlSnapDestroyV2(fd int, name string, id uint64) error {
	var a volArgsV2
	if id != 0 {
		a.Flags = subvolSpecByID
		binary.NativeEndian.PutUint64(a.Name[:8], id)
	} else if err := setName(a.Name[:], name); err != nil {
		return err
	}
	return ioctlPtr(fd, iocSnapDestroyV2, unsafe.Pointer(&a), "BTRFS_IOC_SNAP_DESTROY_V2")
}

// ioctlSubvolGetflags returns the flags of the subvolume open as fd.
func ioctlSubvolGetflags(fd int) (uint64, error) {
	var flags uint64
	err := ioctlPtr(fd, iocSubvolGetflags, unsafe.Pointer(&flags), "BTRFS_IOC_SUBVOL_GETFLAGS")
	return flags, err
}

// ioctlSubvolSetflags sets the flags of the subvolume open as fd.
func ioctlSubvolSetflags(fd int, flags uint64) error {
	return ioctlPtr(fd, iocSubvolSetflags, unsafe.Pointer(&flags), "BTRFS_IOC_SUBVOL_SETFLAGS")
}

// ioctlTreeSearchV2 runs one tree search; the kernel updates a.Key.NrItems.
func ioctlTreeSearchV2(fd int, a *searchArgsV2) error {
	a.BufSize = searchBufSize
	return ioctlPtr(fd, iocTreeSearchV2, unsafe.Pointer(a), "BTRFS_IOC_TREE_SEARCH_V2")
}

// ioctlInoLookup returns the path, relative to the root of subvolume
// tree, of the directory with inode objectid, with a trailing slash
// (empty for the subvolume's root directory). tree 0 means fd's subvolume,
// whose id is returned.
func ioctlInoLookup(fd int, tree, objectid uint64) (uint64, string, error) {
	a := inoLookupArgs{Treeid: tree, Objectid: objectid}
	if err := ioctlPtr(fd, iocInoLookup, unsafe.Pointer(&a), "BTRFS_IOC_INO_LOOKUP"); err != nil {
		return 0, "", err
	}
	return a.Treeid, cString(a.Name[:]), nil
}

// ioctlDefaultSubvol makes subvolume id the file system's default.
func ioctlDefaultSubvol(fd int, id uint64) error {
	return ioctlPtr(fd, iocDefaultSubvol, unsafe.Pointer(&id), "BTRFS_IOC_DEFAULT_SUBVOL")
}

// ioctlSpaceInfo returns the space info of every block group type and
// profile, the global reserve included.
func ioctlSpaceInfo(fd int) ([]spaceInfo, error) {
	var hdr spaceArgsHeader
	if err := ioctlPtr(fd, iocSpaceInfo, unsafe.Pointer(&hdr), "BTRFS_IOC_SPACE_INFO"); err != nil {
		return nil, err
	}
	for {
		n := hdr.TotalSpaces
		if n == 0 {
			return nil, nil
		}
		// One buffer of u64s: the header, then n space infos.
		buf := make([]uint64, 2+3*n)
		buf[0] = n
		if err := ioctlPtr(fd, iocSpaceInfo, unsafe.Pointer(&buf[0]), "BTRFS_IOC_SPACE_INFO"); err != nil {
			return nil, err
		}
		if got := buf[1]; got > n { // a new profile appeared meanwhile
			hdr.TotalSpaces = got
			continue
		}
		out := make([]spaceInfo, buf[1])
		for i := range out {
			out[i] = spaceInfo{Flags: buf[2+3*i], TotalBytes: buf[3+3*i], UsedBytes: buf[4+3*i]}
		}
		return out, nil
	}
}

// ioctlFsInfo returns the file system's information, with the generation
// and checksum fields requested.
func ioctlFsInfo(fd int) (*fsInfoArgs, error) {
	a := &fsInfoArgs{Flags: fsInfoFlagGen | fsInfoFlagCsum}
	if err := ioctlPtr(fd, iocFsInfo, unsafe.Pointer(a), "BTRFS_IOC_FS_INFO"); err != nil {
		return nil, err
	}
	return a, nil
}

// ioctlDevInfo returns the information of device devid; ENODEV when there
// is no such device.
func ioctlDevInfo(fd int, devid uint64) (*devInfoArgs, error) {
	a := &devInfoArgs{Devid: devid}
	if err := ioctlPtr(fd, iocDevInfo, unsafe.Pointer(a), "BTRFS_IOC_DEV_INFO"); err != nil {
		return nil, err
	}
	return a, nil
}

// ioctlGetFslabel returns the file system's label.
func ioctlGetFslabel(fd int) (string, error) {
	var b [labelSize]byte
	if err := ioctlPtr(fd, iocGetFslabel, unsafe.Pointer(&b), "BTRFS_IOC_GET_FSLABEL"); err != nil {
		return "", err
	}
	return cString(b[:]), nil
}

// ioctlGetSubvolInfo fills a with the facts of the subvolume that holds
// fd (BTRFS_IOC_GET_SUBVOL_INFO, any user, Linux 4.18).
func ioctlGetSubvolInfo(fd int, a *getSubvolInfoArgs) error {
	*a = getSubvolInfoArgs{}
	return ioctlPtr(fd, iocGetSubvolInfo, unsafe.Pointer(a), "BTRFS_IOC_GET_SUBVOL_INFO")
}

// ioctlGetSubvolRootrefs returns the (tree, directory) pairs of the
// subvolumes directly inside the one that holds fd, by tree id, in
// batches of up to 255 (BTRFS_IOC_GET_SUBVOL_ROOTREF, any user).
func ioctlGetSubvolRootrefs(fd int, a *getSubvolRootrefArgs, refs []rootrefEntry) ([]rootrefEntry, error) {
	*a = getSubvolRootrefArgs{}
	for {
		err := ioctlPtr(fd, iocGetSubvolRoots, unsafe.Pointer(a), "BTRFS_IOC_GET_SUBVOL_ROOTREF")
		// EOVERFLOW: the buffer is full and MinTreeid points past it.
		if err != nil && !errors.Is(err, unix.EOVERFLOW) {
			return refs, err
		}
		refs = append(refs, a.Rootref[:min(int(a.NumItems), rootrefBufferNum)]...)
		if err == nil || a.NumItems == 0 {
			return refs, nil
		}
	}
}

// ioctlInoLookupUser returns the path, relative to fd's directory, of
// subvolume tree, which sits in directory dirid of fd's subvolume; it
// fails with EACCES when the caller may not search a directory on the
// way, or dirid is not below fd (BTRFS_IOC_INO_LOOKUP_USER, any user).
func ioctlInoLookupUser(fd int, a *inoLookupUserArgs, dirid, tree uint64) (string, error) {
	*a = inoLookupUserArgs{Dirid: dirid, Treeid: tree}
	if err := ioctlPtr(fd, iocInoLookupUser, unsafe.Pointer(a), "BTRFS_IOC_INO_LOOKUP_USER"); err != nil {
		return "", err
	}
	// The directory path ends with a slash (or is empty).
	return cString(a.Path[:]) + cString(a.Name[:]), nil
}
