package btrfs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

// Helpers of the integration tests and of the benchmarks, which make bench
// runs without build tags (as root).

// newFS makes a btrfs on n fresh loop devices of size bytes with mkfs
// planned by p (Devices filled in), mounts it in the test's temporary
// directory and returns the mount point, the devices and the UUID that
// mkfs printed. It is unmounted when the test ends.
func newFS(tb testing.TB, n int, size int64, p MkfsPlan, opts string) (string, []string, UUID) {
	tb.Helper()
	testenv.RequireRoot(tb)
	testenv.RequireTool(tb, "mkfs.btrfs", "btrfs")
	var devs []string
	for range n {
		devs = append(devs, testenv.NewLoopDevice(tb, size))
	}
	p.Devices, p.Force = devs, true
	c := newClient(tb)
	uuid, err := c.Mkfs(context.Background(), &p)
	if err != nil {
		tb.Fatalf("mkfs: %v", err)
	}
	return mountFS(tb, devs, opts), devs, uuid
}

func mountFS(tb testing.TB, devs []string, opts string) string {
	tb.Helper()
	mnt := filepath.Join(tb.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		tb.Fatal(err)
	}
	var o []string
	for _, d := range devs[1:] {
		o = append(o, "device="+d)
	}
	if opts != "" {
		o = append(o, opts)
	}
	if err := unix.Mount(devs[0], mnt, "btrfs", 0, strings.Join(o, ",")); err != nil {
		tb.Fatalf("mount %s: %v", devs[0], err)
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			unix.Unmount(mnt, unix.MNT_DETACH)
		}
	})
	return mnt
}

func newClient(tb testing.TB) *Client {
	c, err := New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
