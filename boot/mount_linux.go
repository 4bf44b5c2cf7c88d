package boot

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// withMountedESP runs fn on an OS thread with its own mount namespace in
// which dev is mounted (vfat) on dir; commands fn starts inherit the
// namespace. The thread is discarded afterwards, so the mount never
// appears elsewhere and disappears with the thread.
func withMountedESP(dev, dir string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			errc <- os.NewSyscallError("unshare CLONE_NEWNS", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			errc <- os.NewSyscallError("mount --make-rprivate /", err)
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			errc <- err
			return
		}
		if err := unix.Mount(dev, dir, "vfat", 0, ""); err != nil {
			errc <- &os.PathError{Op: "mount", Path: dev, Err: err}
			return
		}
		err := fn()
		// Unmounted here, the file system is released before the caller
		// goes on; the namespace alone would let it go only when the
		// thread has exited.
		if uerr := unix.Unmount(dir, 0); uerr != nil {
			_ = unix.Unmount(dir, unix.MNT_DETACH)
		}
		errc <- err
	}()
	return <-errc
}
