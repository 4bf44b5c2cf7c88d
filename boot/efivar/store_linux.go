package efivar

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fsImmutableFL is FS_IMMUTABLE_FL from linux/fs.h.
const fsImmutableFL = 0x10

// clearImmutable clears FS_IMMUTABLE_FL on an efivarfs file, which the
// kernel sets on variables that are not known to be safe to change. File
// systems without attribute flags (ENOTTY) are left alone.
func clearImmutable(p string) error {
	f, err := os.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
		return nil
	}
	if err != nil {
		return os.NewSyscallError("ioctl FS_IOC_GETFLAGS", err)
	}
	if flags&fsImmutableFL == 0 {
		return nil
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutableFL)); err != nil {
		return os.NewSyscallError("ioctl FS_IOC_SETFLAGS", err)
	}
	return nil
}

func writeVar(p string, b []byte) error {
	if _, err := os.Lstat(p); err == nil {
		if err := clearImmutable(p); err != nil {
			return err
		}
	}
	flags := os.O_WRONLY | os.O_CREATE
	if !onEfivarfs(filepath.Dir(p)) {
		flags |= os.O_TRUNC // a copy of the variables on a plain file system
	}
	f, err := os.OpenFile(p, flags, 0o644)
	if err != nil {
		return err
	}
	// efivarfs takes a variable in exactly one write.
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func deleteVar(p string) error {
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := clearImmutable(p); err != nil {
		return err
	}
	return os.Remove(p)
}

// onEfivarfs reports whether dir is an efivarfs mount, where a write
// replaces the variable and O_TRUNC must not be used.
func onEfivarfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && uint32(st.Type) == unix.EFIVARFS_MAGIC
}
