package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// geometry returns the size in bytes and the logical sector size of an
// image file (512-byte sectors) or a block device (BLKGETSIZE64,
// BLKSSZGET).
func geometry(f *os.File) (int64, int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	if fi.Mode()&os.ModeDevice == 0 {
		return fi.Size(), 512, nil
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var size uint64
	var ss int
	var ioErr error
	if err := sc.Control(func(fd uintptr) {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&size)))
		if e != 0 {
			ioErr = os.NewSyscallError("ioctl BLKGETSIZE64", e)
			return
		}
		ss, ioErr = unix.IoctlGetInt(int(fd), unix.BLKSSZGET)
		if ioErr != nil {
			ioErr = os.NewSyscallError("ioctl BLKSSZGET", ioErr)
		}
	}); err != nil {
		return 0, 0, err
	}
	if ioErr != nil {
		return 0, 0, fmt.Errorf("%s: %w", f.Name(), ioErr)
	}
	return int64(size), ss, nil
}

// devName returns the kernel name of a block device path (sda for
// /dev/disk/by-id/...), or "" for a regular file.
func devName(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeDevice == 0 {
		return ""
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	return filepath.Base(real)
}

// checkWritable refuses to rewrite a device whose partitions are in use,
// unless the new table keeps every existing partition unchanged.
func checkWritable(path string, old, t *Table) error {
	name := devName(path)
	if name == "" {
		return nil
	}
	busy := busyPartitions(name)
	if len(busy) == 0 {
		return nil
	}
	if old != nil && onlyAdds(old, t) {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", ErrBusy, path, strings.Join(busy, ", "))
}

// onlyAdds reports whether t keeps every partition of old unchanged.
func onlyAdds(old, t *Table) bool {
	for _, p := range old.Partitions {
		q, ok := t.Partition(p.Number)
		if !ok || q != p {
			return false
		}
	}
	return true
}

// busyPartitions lists the partitions of disk name that are mounted or have
// holders, as "sda2 (mounted on /boot/efi)".
func busyPartitions(name string) []string {
	var out []string
	mounts := mountedDevices()
	parts, _ := filepath.Glob("/sys/class/block/" + name + "/" + name + "*")
	for _, p := range append(parts, "/sys/class/block/"+name) {
		pn := filepath.Base(p)
		if holders, _ := os.ReadDir(p + "/holders"); len(holders) > 0 {
			out = append(out, fmt.Sprintf("%s (held by %s)", pn, holders[0].Name()))
		}
		dev, err := os.ReadFile(p + "/dev")
		if err != nil {
			continue
		}
		if mp, ok := mounts[strings.TrimSpace(string(dev))]; ok {
			out = append(out, fmt.Sprintf("%s (mounted on %s)", pn, mp))
		}
	}
	return out
}

// mountedDevices maps "MAJ:MIN" to a mount point, from mountinfo.
func mountedDevices() map[string]string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, mi := range ParseMountInfo(b) {
		if _, ok := m[mi.MajMin]; !ok {
			m[mi.MajMin] = mi.MountPoint
		}
	}
	return m
}

// reread tells the kernel about the new table: BLKRRPART when nothing is in
// use, otherwise BLKPG_ADD_PARTITION for each added partition.
func reread(f *os.File, path string, old, t *Table) error {
	if devName(path) == "" {
		return nil
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := sc.Control(func(fd uintptr) {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.BLKRRPART, 0)
		if e == 0 {
			return
		}
		if !errors.Is(e, unix.EBUSY) || old == nil {
			ioErr = os.NewSyscallError("ioctl BLKRRPART", e)
			return
		}
		for _, p := range t.Partitions {
			if _, ok := old.Partition(p.Number); ok {
				continue
			}
			bp := unix.BlkpgPartition{
				Start:  t.Bytes(p.Start),
				Length: t.Bytes(p.Sectors()),
				Pno:    int32(p.Number),
			}
			arg := unix.BlkpgIoctlArg{
				Op:      unix.BLKPG_ADD_PARTITION,
				Datalen: int32(unsafe.Sizeof(bp)),
				Data:    (*byte)(unsafe.Pointer(&bp)),
			}
			if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.BLKPG, uintptr(unsafe.Pointer(&arg))); e != 0 {
				ioErr = os.NewSyscallError("ioctl BLKPG_ADD_PARTITION", e)
				return
			}
		}
	}); err != nil {
		return err
	}
	if ioErr != nil {
		return fmt.Errorf("%s: table written, but the kernel still uses the old one: %w", path, ioErr)
	}
	return nil
}
