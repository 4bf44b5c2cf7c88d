package btrfs

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/mountinfo"
)

// The unprivileged listing walks down from a subvolume the way
// libbtrfsutil does for users without CAP_SYS_ADMIN (Linux 4.18):
// BTRFS_IOC_GET_SUBVOL_ROOTREF names the subvolumes directly inside the
// current one, BTRFS_IOC_INO_LOOKUP_USER gives each one's path (checking
// that the caller may search every directory on the way), and
// BTRFS_IOC_GET_SUBVOL_INFO, on the opened child, its root item. A
// subvolume the caller cannot reach, one hidden by another mount, and
// everything below either are left out.

// userWalk holds the ioctl buffers, reused for every subvolume.
type userWalk struct {
	info   getSubvolInfoArgs
	refs   getSubvolRootrefArgs
	lookup inoLookupUserArgs
	fsid   [16]byte
	subs   []Subvolume
}

// listReachableSubvolumes lists the subvolume that holds the directory fd
// (unless it is the top level) and every subvolume below it that the
// caller can reach, sorted by ID.
func listReachableSubvolumes(fd int) ([]Subvolume, error) {
	root, err := subvolumeRootDir(fd)
	if err != nil {
		return nil, err
	}
	if root != fd {
		defer unix.Close(root)
	}
	fi, err := ioctlFsInfo(root)
	if err != nil {
		return nil, err
	}
	w := &userWalk{fsid: fi.Fsid}
	if err := ioctlGetSubvolInfo(root, &w.info); err != nil {
		return nil, err
	}
	base := ""
	if w.info.Treeid != fsTreeObjectID {
		if base, err = mountedPath(root); err != nil {
			return nil, fmt.Errorf("path of subvolume %d: %w", w.info.Treeid, err)
		}
		w.subs = append(w.subs, subvolumeFromInfo(&w.info, base))
	}
	if err := w.walk(root, base, 0); err != nil {
		return nil, err
	}
	slices.SortFunc(w.subs, func(a, b Subvolume) int { return cmp.Compare(a.ID, b.ID) })
	return w.subs, nil
}

// walk adds the reachable subvolumes below the one whose root directory
// is fd and whose path is dir.
func (w *userWalk) walk(fd int, dir string, depth int) error {
	if depth > 4096 {
		return fmt.Errorf("subvolumes nested deeper than %d below %q", depth, dir)
	}
	refs, err := ioctlGetSubvolRootrefs(fd, &w.refs, nil)
	if err != nil {
		return err
	}
	for _, r := range refs {
		rel, err := ioctlInoLookupUser(fd, &w.lookup, r.Dirid, r.Treeid)
		if unreachable(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("subvolume %d: %w", r.Treeid, err)
		}
		cfd, err := unix.Openat(fd, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if unreachable(err) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "open", Path: path.Join(dir, rel), Err: err}
		}
		ok, err := w.expect(cfd, r.Treeid)
		if ok {
			p := path.Join(dir, rel)
			w.subs = append(w.subs, subvolumeFromInfo(&w.info, p))
			err = w.walk(cfd, p, depth+1)
		}
		unix.Close(cfd)
		if err != nil {
			return err
		}
	}
	return nil
}

// unreachable reports errors that leave a subvolume out: no permission
// to search a directory on its path, or gone (deleted meanwhile, or its
// directory hidden by a mount).
func unreachable(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)
}

// expect reports whether fd is the root directory of subvolume tree of
// the file system being walked, not another mount over its path, and
// leaves the subvolume's facts in w.info.
func (w *userWalk) expect(fd int, tree uint64) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, err
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return false, err
	}
	if st.Ino != firstFreeID || uint32(sfs.Type) != btrfsSuperMagic {
		return false, nil
	}
	fi, err := ioctlFsInfo(fd)
	if err != nil || fi.Fsid != w.fsid {
		return false, err
	}
	if err := ioctlGetSubvolInfo(fd, &w.info); err != nil {
		return false, err
	}
	return w.info.Treeid == tree, nil
}

func subvolumeFromInfo(a *getSubvolInfoArgs, p string) Subvolume {
	s := Subvolume{
		ID:                 a.Treeid,
		ParentID:           a.ParentID,
		Path:               p,
		Generation:         a.Generation,
		CreationGeneration: a.Otransid,
		ReadOnly:           a.Flags&rootSubvolRdonly != 0,
		UUID:               a.UUID,
		ParentUUID:         a.ParentUUID,
		ReceivedUUID:       a.ReceivedUUID,
	}
	if a.Otime.Sec != 0 {
		s.Created = time.Unix(int64(a.Otime.Sec), int64(a.Otime.Nsec)).UTC()
	}
	return s
}

// subvolumeRootDir returns a descriptor of the root directory of the
// subvolume that holds directory fd, climbing ".." (fd itself when it is
// that root). Where the climb stops early (a mount of a plain directory,
// or a directory the caller may not read) it returns the highest
// directory reached: subvolumes outside it are then unreachable.
func subvolumeRootDir(fd int) (int, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return -1, fmt.Errorf("listing subvolumes without root needs a directory: %w", unix.ENOTDIR)
	}
	cur := fd
	for st.Ino != firstFreeID {
		up, err := unix.Openat(cur, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		var ust unix.Stat_t
		if err := unix.Fstat(up, &ust); err != nil || ust.Dev != st.Dev || ust.Ino == st.Ino {
			unix.Close(up) // another subvolume or mount, or the mount's root
			break
		}
		if cur != fd {
			unix.Close(cur)
		}
		cur, st = up, ust
	}
	return cur, nil
}

// mountedPath returns the path, relative to the top-level subvolume, of
// directory fd: the mount's root directory (field 4 of
// /proc/self/mountinfo, "/@" for subvol=@) joined with fd's place below
// the mount point.
func mountedPath(fd int) (string, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &stx); err != nil {
		return "", os.NewSyscallError("statx", err)
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		return "", fmt.Errorf("no mount id from statx: %w", errors.ErrUnsupported)
	}
	where, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	root, point, ok := findMount(data, stx.Mnt_id)
	if !ok {
		return "", fmt.Errorf("mount %d not in /proc/self/mountinfo", stx.Mnt_id)
	}
	rel, ok := strings.CutPrefix(where, point)
	if !ok || (rel != "" && rel[0] != '/' && point != "/") {
		return "", fmt.Errorf("%s is not below its mount point %s", where, point)
	}
	return strings.TrimPrefix(path.Join(root, rel), "/"), nil
}

// findMount returns the root and mount point of mount id in mountinfo,
// octal escapes decoded.
func findMount(data []byte, id uint64) (root, point string, ok bool) {
	for _, m := range mountinfo.Parse(data) {
		if uint64(m.ID) == id {
			return m.Root, m.MountPoint, true
		}
	}
	return "", "", false
}
