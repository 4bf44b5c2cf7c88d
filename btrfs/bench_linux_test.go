package btrfs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

// BenchmarkSnapshots creates and deletes 1,000 snapshots of a subvolume
// per iteration: through the ioctls, and through the btrfs command, one
// process per snapshot as a script would.
func BenchmarkSnapshots(b *testing.B) {
	mnt, _, _ := newFS(b, 1, 4<<30, MkfsPlan{}, "")
	c := newClient(b)
	src := filepath.Join(mnt, "src")
	if err := c.CreateSubvolume(src); err != nil {
		b.Fatal(err)
	}
	const n = 1000
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			for i := range n {
				if err := c.Snapshot(src, filepath.Join(mnt, fmt.Sprintf("s%d", i)), &SnapshotOptions{ReadOnly: true}); err != nil {
					b.Fatal(err)
				}
			}
			for i := range n {
				if err := c.DeleteSubvolume(filepath.Join(mnt, fmt.Sprintf("s%d", i)), nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("vs=btrfs-cli", func(b *testing.B) {
		testenv.RequireTool(b, "btrfs")
		for b.Loop() {
			for i := range n {
				if out, err := exec.Command("btrfs", "subvolume", "snapshot", "-r", src, filepath.Join(mnt, fmt.Sprintf("s%d", i))).CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
			for i := range n {
				if out, err := exec.Command("btrfs", "subvolume", "delete", filepath.Join(mnt, fmt.Sprintf("s%d", i))).CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
		}
	})
}

// BenchmarkListSubvolumes lists a file system of 10,000 subvolumes: the
// root tree search with cached path lookups against `btrfs subvolume
// list`, which prints the same IDs, generations, parents and paths.
func BenchmarkListSubvolumes(b *testing.B) {
	mnt, _, _ := newFS(b, 1, 8<<30, MkfsPlan{}, "")
	c := newClient(b)
	const n = 10000
	makeSubvolumes(b, c, mnt, n, false)
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			subs, err := c.Subvolumes(mnt)
			if err != nil || len(subs) != n {
				b.Fatalf("%d subvolumes, %v", len(subs), err)
			}
		}
	})
	benchBtrfsSubvolumeList(b, mnt, n)
}

// BenchmarkListSubvolumesUnprivileged lists 1,000 subvolumes the way a
// user without CAP_SYS_ADMIN must: walking down with
// GET_SUBVOL_ROOTREF, INO_LOOKUP_USER and GET_SUBVOL_INFO (called
// directly, as this process could search the tree). btrfs-progs 6.2
// refuses `btrfs subvolume list` to such a user ("can't perform the
// search"), so the anchor is the same listing run as root, what a check
// tool would otherwise need sudo for.
func BenchmarkListSubvolumesUnprivileged(b *testing.B) {
	mnt, _, _ := newFS(b, 1, 4<<30, MkfsPlan{}, "")
	c := newClient(b)
	const n = 1000
	makeSubvolumes(b, c, mnt, n, true)
	fd, err := c.openPath(mnt)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			subs, err := listReachableSubvolumes(fd)
			if err != nil || len(subs) != n {
				b.Fatalf("%d subvolumes, %v", len(subs), err)
			}
		}
	})
	benchBtrfsSubvolumeList(b, mnt, n)
}

// makeSubvolumes creates n subvolumes in directories of a hundred under
// images/, like guests' volumes under a storage's images/VMID
// directories. With nested, every tenth is nested in the one before.
func makeSubvolumes(b *testing.B, c *Client, mnt string, n int, nested bool) {
	for i := range n {
		dir := filepath.Join(mnt, "images", fmt.Sprint(i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("subvol-%d-disk-0.subvol", i))
		if nested && i%10 == 1 {
			name = filepath.Join(dir, fmt.Sprintf("subvol-%d-disk-0.subvol", i-1), "nested")
		}
		if err := c.CreateSubvolume(name); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBtrfsSubvolumeList is the anchor of the listing benchmarks:
// `btrfs subvolume list` of the n subvolumes under mnt.
func benchBtrfsSubvolumeList(b *testing.B, mnt string, n int) {
	b.Run("vs=btrfs-cli", func(b *testing.B) {
		testenv.RequireTool(b, "btrfs")
		for b.Loop() {
			out, err := exec.Command("btrfs", "subvolume", "list", mnt).Output()
			if err != nil || strings.Count(string(out), "\n") != n {
				b.Fatalf("btrfs subvolume list: %v", err)
			}
		}
	})
}
