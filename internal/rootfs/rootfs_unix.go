//go:build unix

package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

var errWouldBlock = unix.EWOULDBLOCK

// errSyncUnsupported is what fsync of a directory returns on file systems
// that cannot sync directories; it is not a failure.
var errSyncUnsupported = unix.EINVAL

func tryLock(fh *os.File) error {
	for {
		err := unix.Flock(int(fh.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func unlock(fh *os.File) error {
	return unix.Flock(int(fh.Fd()), unix.LOCK_UN)
}

// copyOwner gives fh the owner and group of the file old describes.
func copyOwner(fh *os.File, old fs.FileInfo) error {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	cur, err := fh.Stat()
	if err != nil {
		return err
	}
	if c, ok := cur.Sys().(*syscall.Stat_t); ok && c.Uid == st.Uid && c.Gid == st.Gid {
		return nil
	}
	return fh.Chown(int(st.Uid), int(st.Gid))
}
