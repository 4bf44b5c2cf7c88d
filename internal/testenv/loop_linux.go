package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NewLoopDevice creates a sparse backing file of size bytes in the test's
// temporary directory, attaches it to a free loop device with partition
// scanning, and returns the device path. The device is detached when the
// test ends. It needs root (or fails under CI).
func NewLoopDevice(tb testing.TB, size int64) string {
	tb.Helper()
	RequireRoot(tb)
	RequireFile(tb, "/dev/loop-control")
	backing := filepath.Join(tb.TempDir(), "disk.img")
	bf, err := os.OpenFile(backing, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer bf.Close()
	if err := bf.Truncate(size); err != nil {
		tb.Fatal(err)
	}
	dev, fd, err := attachLoop(int(bf.Fd()))
	if err != nil {
		tb.Fatalf("attach loop device: %v", err)
	}
	tb.Cleanup(func() {
		for i := 0; i < 50; i++ {
			err := unix.IoctlSetInt(fd, unix.LOOP_CLR_FD, 0)
			if err == nil || errors.Is(err, unix.ENXIO) {
				break
			}
			time.Sleep(20 * time.Millisecond) // still busy: a mount or udev probe
		}
		unix.Close(fd)
	})
	return dev
}

func attachLoop(backing int) (string, int, error) {
	ctl, err := unix.Open("/dev/loop-control", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", -1, err
	}
	defer unix.Close(ctl)
	for attempt := 0; attempt < 20; attempt++ {
		n, err := unix.IoctlRetInt(ctl, unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", -1, fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		if _, err := os.Stat(dev); errors.Is(err, os.ErrNotExist) {
			if err := unix.Mknod(dev, unix.S_IFBLK|0o660, int(unix.Mkdev(7, uint32(n)))); err != nil && !errors.Is(err, unix.EEXIST) {
				return "", -1, fmt.Errorf("mknod %s: %w", dev, err)
			}
		}
		fd, err := unix.Open(dev, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", -1, err
		}
		cfg := unix.LoopConfig{Fd: uint32(backing)}
		cfg.Info.Flags = unix.LO_FLAGS_PARTSCAN
		err = unix.IoctlLoopConfigure(fd, &cfg)
		if errors.Is(err, unix.EBUSY) {
			unix.Close(fd) // taken by a concurrent test: try the next one
			continue
		}
		if err != nil {
			unix.Close(fd)
			return "", -1, fmt.Errorf("LOOP_CONFIGURE %s: %w", dev, err)
		}
		return dev, fd, nil
	}
	return "", -1, errors.New("no free loop device")
}
