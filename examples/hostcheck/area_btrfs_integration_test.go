//go:build integration

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/testenv"
)

// TestBtrfsAreaLive mounts a btrfs on a loop device and checks that the
// host's report shows its usage, as btrfs filesystem usage computes it.
func TestBtrfsAreaLive(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "mkfs.btrfs")
	dev := testenv.NewLoopDevice(t, 1<<30)
	if out, err := exec.Command("mkfs.btrfs", "-f", "-d", "raid1", "-m", "raid1", dev, testenv.NewLoopDevice(t, 1<<30)).CombinedOutput(); err != nil {
		t.Fatalf("mkfs: %v\n%s", err, out)
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0o755)
	exec.Command("btrfs", "device", "scan").Run()
	if err := unix.Mount(dev, mnt, "btrfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	fsys, err := rootfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	e := &env{fs: fsys, host: true, privileged: true, run: runner.Default}
	s := &Section{Area: "btrfs"}
	checkBtrfs(context.Background(), e, s)
	var usage string
	for _, f := range s.Findings {
		if f.Where == mnt && f.Check == "btrfs.usage" {
			usage = f.Summary
		}
	}
	if !strings.Contains(usage, "allocated of 2.00 GiB") {
		t.Errorf("no usage finding for %s: %q in %+v", mnt, usage, s.Findings)
	}
}
