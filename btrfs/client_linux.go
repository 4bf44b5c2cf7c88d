package btrfs

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	btrfsSuperMagic   = 0x9123683E
	rootTreeDirID     = 6  // BTRFS_ROOT_TREE_DIR_OBJECTID
	dirItemKey        = 84 // BTRFS_DIR_ITEM_KEY
	dirItemHeaderSize = 30 // btrfs_dir_item: location (17), transid, data_len, name_len, type
	rootSubvolRdonly  = 1 << 0
	compressionXattr  = "btrfs.compression"
)

// openPath opens a file or directory on a btrfs file system for ioctls,
// failing with ErrNotBtrfs when it is on another file system.
func (c *Client) openPath(name string) (int, error) {
	p, err := c.hostPath(name)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) { // O_NOATIME on a file we do not own
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "statfs", Path: name, Err: err}
	}
	if uint32(st.Type) != btrfsSuperMagic {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", name, ErrNotBtrfs)
	}
	return fd, nil
}

// openSubvolume opens the root directory of a subvolume.
func (c *Client) openSubvolume(name string) (int, error) {
	fd, err := c.openPath(name)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Ino != firstFreeID || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", name, ErrNotSubvolume)
	}
	return fd, nil
}

// openParent opens the directory that holds name and returns its last
// element.
func (c *Client) openParent(name string) (int, string, error) {
	clean := filepath.Clean(name)
	dir, base := filepath.Split(clean)
	if dir == "" {
		dir = "."
	}
	fd, err := c.openPath(dir)
	if err != nil {
		return -1, "", err
	}
	return fd, base, nil
}

func wrap(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: name, Err: err}
}

// CreateSubvolume creates a subvolume at path, whose parent directory
// must exist on a btrfs file system (BTRFS_IOC_SUBVOL_CREATE_V2). It
// appears as a regular directory. Errors wrap *os.PathError, so that
// errors.Is(err, fs.ErrExist) holds for a taken name.
func (c *Client) CreateSubvolume(path string) error {
	dfd, base, err := c.openParent(path)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	return wrap("create subvolume", path, ioctlSubvolCreateV2(dfd, base))
}

// SnapshotOptions tune Snapshot. A nil *SnapshotOptions takes a writable
// snapshot.
type SnapshotOptions struct {
	// ReadOnly makes the snapshot read-only, as Proxmox VE does for
	// snapshots of guest disks and subvolumes.
	ReadOnly bool
}

// Snapshot creates a snapshot of the subvolume src at dst
// (BTRFS_IOC_SNAP_CREATE_V2). Later changes to src copy the changed data
// first, so the snapshot keeps the state of the moment.
func (c *Client) Snapshot(src, dst string, opts *SnapshotOptions) error {
	sfd, err := c.openSubvolume(src)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	dfd, base, err := c.openParent(dst)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	ro := opts != nil && opts.ReadOnly
	return wrap("snapshot "+src, dst, ioctlSnapCreateV2(dfd, sfd, base, ro))
}

// DeleteOptions tune DeleteSubvolume. A nil *DeleteOptions means the zero
// value.
type DeleteOptions struct {
	// Recursive deletes subvolumes nested inside it first, deepest
	// first; without it a nested subvolume makes the deletion fail with
	// ENOTEMPTY. It lists subvolumes, which needs root.
	Recursive bool
}

// DeleteSubvolume deletes the subvolume at path with everything in it:
// unlike rmdir, it need not be empty (BTRFS_IOC_SNAP_DESTROY_V2). It
// needs root, or the user_subvol_rm_allowed mount option.
func (c *Client) DeleteSubvolume(path string, opts *DeleteOptions) error {
	fd, err := c.openSubvolume(path)
	if err != nil {
		return err
	}
	if opts != nil && opts.Recursive {
		err = c.deleteNested(fd, path)
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	dfd, base, err := c.openParent(path)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	return wrap("delete subvolume", path, ioctlSnapDestroyV2(dfd, base, 0))
}

func (c *Client) deleteNested(fd int, path string) error {
	id, _, err := ioctlInoLookup(fd, 0, firstFreeID)
	if err != nil {
		return wrap("lookup", path, err)
	}
	subs, err := listSubvolumes(fd)
	if err != nil {
		return wrap("list subvolumes", path, err)
	}
	// Children of id, then their children, ...; delete in reverse.
	inside := map[uint64]bool{id: true}
	var order []uint64
	for changed := true; changed; {
		changed = false
		for _, s := range subs {
			if !inside[s.ID] && inside[s.ParentID] {
				inside[s.ID] = true
				order = append(order, s.ID)
				changed = true
			}
		}
	}
	for _, sid := range slices.Backward(order) {
		if err := ioctlSnapDestroyV2(fd, "", sid); err != nil {
			return wrap("delete subvolume "+strconv.FormatUint(sid, 10)+" in", path, err)
		}
	}
	return nil
}

// DeleteSubvolumeID deletes the subvolume with the given id on the file
// system that holds path, wherever it is (BTRFS_IOC_SNAP_DESTROY_V2 with
// BTRFS_SUBVOL_SPEC_BY_ID). It needs root.
func (c *Client) DeleteSubvolumeID(path string, id uint64) error {
	if id < firstFreeID {
		return fmt.Errorf("%w: subvolume id %d cannot be deleted", ErrInvalid, id)
	}
	fd, err := c.openPath(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return wrap("delete subvolume "+strconv.FormatUint(id, 10)+" in", path, ioctlSnapDestroyV2(fd, "", id))
}

// ReadOnly reports whether the subvolume at path is read-only
// (BTRFS_IOC_SUBVOL_GETFLAGS).
func (c *Client) ReadOnly(path string) (bool, error) {
	fd, err := c.openSubvolume(path)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	f, err := ioctlSubvolGetflags(fd)
	return f&subvolRdonly != 0, wrap("get flags", path, err)
}

// SetReadOnly sets or clears the read-only flag of the subvolume at path
// (BTRFS_IOC_SUBVOL_SETFLAGS). It needs root or ownership.
func (c *Client) SetReadOnly(path string, readOnly bool) error {
	fd, err := c.openSubvolume(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	f, err := ioctlSubvolGetflags(fd)
	if err != nil {
		return wrap("get flags", path, err)
	}
	nf := f &^ subvolRdonly
	if readOnly {
		nf |= subvolRdonly
	}
	if nf == f {
		return nil
	}
	return wrap("set flags", path, ioctlSubvolSetflags(fd, nf))
}

// Subvolumes lists the subvolumes of the file system that holds path
// (not the top level), by ID, like `btrfs subvolume list`.
//
// With CAP_SYS_ADMIN it lists every subvolume: it searches the root tree
// (BTRFS_IOC_TREE_SEARCH_V2) and resolves paths with BTRFS_IOC_INO_LOOKUP.
// Without it (EPERM), on Linux 4.18 and later, it lists what the caller
// can reach, as libbtrfsutil does: the subvolume that holds path (a
// directory) unless that is the top level, and the subvolumes below it
// whose directories the caller may search and open, walked down with
// BTRFS_IOC_GET_SUBVOL_ROOTREF, BTRFS_IOC_INO_LOOKUP_USER and
// BTRFS_IOC_GET_SUBVOL_INFO. Every field is filled either way; paths
// stay relative to the top level, taken from /proc/self/mountinfo when
// path is on a mount of another subvolume. On older kernels the error
// wraps os.ErrPermission.
func (c *Client) Subvolumes(path string) ([]Subvolume, error) {
	fd, err := c.openPath(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	subs, err := listSubvolumes(fd)
	if errors.Is(err, unix.EPERM) {
		usubs, uerr := listReachableSubvolumes(fd)
		if !errors.Is(uerr, unix.ENOTTY) { // ENOTTY: before Linux 4.18
			subs, err = usubs, uerr
		}
	}
	return subs, wrap("list subvolumes", path, err)
}

// Subvolume describes the subvolume whose root is path, like `btrfs
// subvolume show`. The top-level subvolume has ID 5 and an empty Path.
// It needs root.
func (c *Client) Subvolume(path string) (*Subvolume, error) {
	fd, err := c.openSubvolume(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	id, _, err := ioctlInoLookup(fd, 0, firstFreeID)
	if err != nil {
		return nil, wrap("lookup", path, err)
	}
	s, err := lookupSubvolume(fd, id)
	return s, wrap("show subvolume", path, err)
}

// subvolumeList gathers root items and back references from the root
// tree. Items arrive in key order, so a listing keeps its entries sorted
// by ID without a map; the facts only needed while resolving paths sit
// in a parallel slice, so that the listing is returned without a copy.
type subvolumeList struct {
	fd     int
	subs   []Subvolume
	meta   []subMeta            // meta[i] belongs to subs[i]
	sorted bool                 // subs is in ID order (a whole-tree listing)
	dirs   map[[2]uint64]string // (tree, dirid) -> path, cached INO_LOOKUPs
}

type subMeta struct {
	ref   rootRef
	state uint8 // entryNew, entryResolved, entryOrphan
}

const (
	entryNew = iota
	entryResolved
	entryOrphan // no back reference: being deleted
)

type rootRef struct {
	parent, dirid uint64
	name          string
	ok            bool
}

func newSubvolumeList(fd int, sorted bool) *subvolumeList {
	return &subvolumeList{fd: fd, sorted: sorted, dirs: map[[2]uint64]string{}}
}

// find returns the index of id, or -1.
func (l *subvolumeList) find(id uint64) int {
	if n := len(l.subs); n > 0 && l.subs[n-1].ID == id {
		return n - 1
	}
	if l.sorted {
		if i, ok := slices.BinarySearchFunc(l.subs, id, func(s Subvolume, id uint64) int { return cmp.Compare(s.ID, id) }); ok {
			return i
		}
		return -1
	}
	return slices.IndexFunc(l.subs, func(s Subvolume) bool { return s.ID == id })
}

// entry returns the index of id, adding it if new.
func (l *subvolumeList) entry(id uint64) int {
	n := len(l.subs)
	if n > 0 && l.subs[n-1].ID == id {
		return n - 1
	}
	// In a listing a new ID comes after every one seen.
	if !(l.sorted && (n == 0 || id > l.subs[n-1].ID)) {
		if i := l.find(id); i >= 0 {
			return i
		}
	}
	if l.sorted && n > 0 && id < l.subs[n-1].ID {
		l.sorted = false // not in key order after all
	}
	l.subs = append(l.subs, Subvolume{ID: id})
	l.meta = append(l.meta, subMeta{})
	return n
}

func (l *subvolumeList) add(h *searchHeader, item []byte) error {
	switch h.Type {
	case rootItemKey:
		parseRootItem(&l.subs[l.entry(h.Objectid)], item)
	case rootBackrefKey:
		if len(item) < rootRefSize {
			return fmt.Errorf("short root backref of %d", h.Objectid)
		}
		n := int(le.Uint16(item[16:18]))
		if rootRefSize+n > len(item) {
			return fmt.Errorf("bad root backref name of %d", h.Objectid)
		}
		l.meta[l.entry(h.Objectid)].ref = rootRef{parent: h.Offset, dirid: le.Uint64(item[0:8]), name: string(item[rootRefSize : rootRefSize+n]), ok: true}
	}
	return nil
}

// parseRootItem reads a btrfs_root_item. Items written by old kernels
// end before generation_v2 and have no UUIDs or times.
func parseRootItem(s *Subvolume, item []byte) {
	if len(item) < rootItemGenerationV2 {
		return
	}
	s.Generation = le.Uint64(item[rootItemGeneration:])
	s.ReadOnly = le.Uint64(item[rootItemFlags:])&rootSubvolRdonly != 0
	if len(item) < rootItemSize {
		return
	}
	copy(s.UUID[:], item[rootItemUUID:])
	copy(s.ParentUUID[:], item[rootItemParentUUID:])
	copy(s.ReceivedUUID[:], item[rootItemReceivedUUID:])
	s.CreationGeneration = le.Uint64(item[rootItemOtransid:])
	if sec := le.Uint64(item[rootItemOtime:]); sec != 0 {
		s.Created = time.Unix(int64(sec), int64(le.Uint32(item[rootItemOtime+8:]))).UTC()
	}
}

// resolve sets ParentID and Path of subs[i], walking up the back
// references of its ancestors; it reports false for a subvolume being
// deleted.
func (l *subvolumeList) resolve(i int, depth int) (bool, error) {
	m := &l.meta[i]
	switch {
	case m.state == entryResolved:
		return true, nil
	case m.state == entryOrphan || !m.ref.ok || depth > 4096:
		m.state = entryOrphan
		return false, nil
	}
	parentPath := ""
	if m.ref.parent != fsTreeObjectID {
		p := l.find(m.ref.parent)
		if p < 0 {
			m.state = entryOrphan
			return false, nil
		}
		ok, err := l.resolve(p, depth+1)
		if err != nil || !ok {
			l.meta[i].state = entryOrphan
			return false, err
		}
		parentPath = l.subs[p].Path
	}
	m = &l.meta[i]
	k := [2]uint64{m.ref.parent, m.ref.dirid}
	dir, cached := l.dirs[k]
	if !cached {
		var err error
		if _, dir, err = ioctlInoLookup(l.fd, m.ref.parent, m.ref.dirid); err != nil {
			return false, err
		}
		l.dirs[k] = dir
	}
	s := &l.subs[i]
	if parentPath != "" {
		s.Path = parentPath + "/" + dir + m.ref.name
	} else {
		s.Path = dir + m.ref.name
	}
	s.ParentID = m.ref.parent
	m.state = entryResolved
	return true, nil
}

func listSubvolumes(fd int) ([]Subvolume, error) {
	l := newSubvolumeList(fd, true)
	err := treeSearch(fd, rootTreeObjectID,
		key{firstFreeID, rootItemKey, 0}, key{lastFreeID, rootBackrefKey, ^uint64(0)}, l.add)
	if err != nil {
		return nil, err
	}
	for i := range l.subs {
		if _, err := l.resolve(i, 0); err != nil {
			return nil, err
		}
	}
	// Drop subvolumes being deleted, in place.
	out := l.subs[:0]
	for i, s := range l.subs {
		if l.meta[i].state == entryResolved {
			out = append(out, s)
		}
	}
	return out, nil
}

func lookupSubvolume(fd int, id uint64) (*Subvolume, error) {
	l := newSubvolumeList(fd, false)
	// The subvolume's own items, then those of each ancestor.
	for cur := id; cur != fsTreeObjectID; {
		err := treeSearch(fd, rootTreeObjectID, key{cur, rootItemKey, 0}, key{cur, rootBackrefKey, ^uint64(0)}, l.add)
		if err != nil {
			return nil, err
		}
		i := l.find(cur)
		if i < 0 || !l.meta[i].ref.ok {
			break
		}
		cur = l.meta[i].ref.parent
	}
	if id == fsTreeObjectID {
		if err := treeSearch(fd, rootTreeObjectID, key{id, rootItemKey, 0}, key{id, rootItemKey, ^uint64(0)}, l.add); err != nil {
			return nil, err
		}
	}
	i := l.find(id)
	if i < 0 {
		return nil, fmt.Errorf("subvolume %d: %w", id, unix.ENOENT)
	}
	if id != fsTreeObjectID {
		if _, err := l.resolve(i, 0); err != nil {
			return nil, err
		}
	}
	s := l.subs[i]
	return &s, nil
}

// DefaultSubvolume returns the id of the subvolume mounted when no
// subvol= option is given (read from the root tree's "default" directory
// item; 5, the top level, unless changed). It needs root.
func (c *Client) DefaultSubvolume(path string) (uint64, error) {
	fd, err := c.openPath(path)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	var id uint64
	err = treeSearch(fd, rootTreeObjectID, key{rootTreeDirID, dirItemKey, 0}, key{rootTreeDirID, dirItemKey, ^uint64(0)},
		func(h *searchHeader, item []byte) error {
			for len(item) >= dirItemHeaderSize {
				nameLen := int(le.Uint16(item[27:29]))
				dataLen := int(le.Uint16(item[25:27]))
				end := dirItemHeaderSize + nameLen + dataLen
				if end > len(item) {
					break
				}
				if string(item[dirItemHeaderSize:dirItemHeaderSize+nameLen]) == "default" {
					id = le.Uint64(item[0:8])
				}
				item = item[end:]
			}
			return nil
		})
	if err != nil {
		return 0, wrap("get default subvolume", path, err)
	}
	if id == 0 {
		id = fsTreeObjectID
	}
	return id, nil
}

// SetDefaultSubvolume makes subvolume id (5 for the top level) the one
// mounted when no subvol= option is given (BTRFS_IOC_DEFAULT_SUBVOL). It
// needs root.
func (c *Client) SetDefaultSubvolume(path string, id uint64) error {
	if id != fsTreeObjectID && id < firstFreeID {
		return fmt.Errorf("%w: subvolume id %d", ErrInvalid, id)
	}
	fd, err := c.openPath(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return wrap("set default subvolume", path, ioctlDefaultSubvol(fd, id))
}

// Info returns the identity and devices of the file system that holds
// path (BTRFS_IOC_FS_INFO, BTRFS_IOC_GET_FSLABEL, BTRFS_IOC_DEV_INFO).
// It works without root.
func (c *Client) Info(path string) (*Info, error) {
	fd, err := c.openPath(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return fsInfo(fd, path)
}

func fsInfo(fd int, path string) (*Info, error) {
	fi, err := ioctlFsInfo(fd)
	if err != nil {
		return nil, wrap("fs info", path, err)
	}
	info := &Info{
		UUID: UUID(fi.Fsid), NodeSize: fi.Nodesize, SectorSize: fi.Sectorsize,
		Generation: fi.Generation, ChecksumType: checksumName(fi.CsumType),
	}
	if fi.MetadataUUID != fi.Fsid && fi.MetadataUUID != ([16]byte{}) {
		info.MetadataUUID = UUID(fi.MetadataUUID)
	}
	if info.Label, err = ioctlGetFslabel(fd); err != nil {
		return nil, wrap("get label", path, err)
	}
	for id := uint64(0); id <= fi.MaxID && uint64(len(info.Devices)) < fi.NumDevices; id++ {
		di, err := ioctlDevInfo(fd, id)
		if errors.Is(err, unix.ENODEV) {
			continue
		}
		if err != nil {
			return nil, wrap("device info", path, err)
		}
		d := Device{ID: di.Devid, UUID: UUID(di.UUID), Path: cString(di.Path[:]), Size: di.TotalBytes, Used: di.BytesUsed}
		if d.Path != "" {
			d.DeviceSize = blockDeviceSize(d.Path)
		}
		info.Devices = append(info.Devices, d)
	}
	return info, nil
}

// blockDeviceSize reads a block device's size from sysfs, 0 when unknown.
func blockDeviceSize(dev string) uint64 {
	if p, err := filepath.EvalSymlinks(dev); err == nil {
		dev = p
	}
	b, err := os.ReadFile("/sys/class/block/" + filepath.Base(dev) + "/size")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n * 512
}

// Usage returns the space usage of the file system that holds path, as
// `btrfs filesystem usage` computes it (BTRFS_IOC_SPACE_INFO and the
// devices' sizes). Without root it still works, except on raid5/6, whose
// raw sizes come from the chunk tree.
func (c *Client) Usage(path string) (*Usage, error) {
	fd, err := c.openPath(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	spaces, err := ioctlSpaceInfo(fd)
	if err != nil {
		return nil, wrap("space info", path, err)
	}
	info, err := fsInfo(fd, path)
	if err != nil {
		return nil, err
	}
	var chunks []chunkInfo
	if slices.ContainsFunc(spaces, func(s spaceInfo) bool { return s.Flags&blockGroupRAID56 != 0 }) {
		if chunks, err = loadChunks(fd); err != nil {
			return nil, wrap("chunk tree", path, err)
		}
	}
	u, err := computeUsage(spaces, info.Devices, chunks)
	if err != nil {
		return nil, fmt.Errorf("usage of %s: %w", path, err)
	}
	return u, nil
}

// loadChunks sums the chunk tree's chunks per type, device and stripe
// count.
func loadChunks(fd int) ([]chunkInfo, error) {
	type k3 struct{ flags, dev, stripes uint64 }
	idx := map[k3]int{}
	var out []chunkInfo
	err := treeSearch(fd, chunkTreeID, key{firstChunkTreeID, chunkItemKey, 0}, key{firstChunkTreeID, chunkItemKey, ^uint64(0)},
		func(h *searchHeader, item []byte) error {
			if h.Type != chunkItemKey || len(item) < chunkStripe0 {
				return nil
			}
			length := le.Uint64(item[chunkLength:])
			flags := le.Uint64(item[chunkType:])
			n := uint64(le.Uint16(item[chunkNumStripes:]))
			for i := range n {
				off := chunkStripe0 + int(i)*stripeSize
				if off+8 > len(item) {
					return fmt.Errorf("short chunk item")
				}
				dev := le.Uint64(item[off:])
				kk := k3{flags, dev, n}
				j, ok := idx[kk]
				if !ok {
					j = len(out)
					idx[kk] = j
					out = append(out, chunkInfo{Flags: flags, DevID: dev, NumStripes: n})
				}
				out[j].Size += length
			}
			return nil
		})
	return out, err
}

// Compression returns the compression property of a file or directory
// (the btrfs.compression extended attribute: "zstd", "lzo", "zlib",
// "none"), or "" when it is not set and the mount option decides.
func (c *Client) Compression(path string) (string, error) {
	p, err := c.hostPath(path)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := unix.Getxattr(p, compressionXattr, buf)
	if errors.Is(err, unix.ENODATA) {
		return "", nil
	}
	if err != nil {
		return "", wrap("getxattr "+compressionXattr, path, err)
	}
	return string(buf[:n]), nil
}

// SetCompression sets the compression property of a file or directory
// (a subvolume's root directory covers the subvolume): new data written
// to it is compressed with alg ("zstd", "lzo", "zlib"), or not at all
// ("none"). "" removes the property. Data already written stays as it is.
func (c *Client) SetCompression(path, alg string) error {
	if err := validPropertyCompression(alg); err != nil {
		return err
	}
	p, err := c.hostPath(path)
	if err != nil {
		return err
	}
	if alg == "" {
		err := unix.Removexattr(p, compressionXattr)
		if errors.Is(err, unix.ENODATA) {
			return nil
		}
		return wrap("removexattr "+compressionXattr, path, err)
	}
	return wrap("setxattr "+compressionXattr, path, unix.Setxattr(p, compressionXattr, []byte(alg), 0))
}
