package sysctl

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// doInNetNS runs fn on an OS thread that has entered the network
// namespace at path (or fd), then returns the thread to its namespace. The
// kernel resolves /proc/sys/net by the namespace of the thread that opens
// the file.
func doInNetNS(path string, fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target := fd
		if path != "" {
			f, err := os.Open(path)
			if err != nil {
				runtime.UnlockOSThread()
				errc <- err
				return
			}
			defer f.Close()
			target = int(f.Fd())
		}
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace: %w", os.NewSyscallError("setns", err))
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it ends with this goroutine
			// rather than serving others in the wrong namespace.
			errc <- fmt.Errorf("leave network namespace: %w", os.NewSyscallError("setns", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
