//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestBtrfsCommandsLive drives the subvolume commands on a btrfs made on
// a loop device, with the btrfs CLI as the oracle.
func TestBtrfsCommandsLive(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "mkfs.btrfs", "btrfs")
	dev := testenv.NewLoopDevice(t, 512<<20)
	out, stderr, code := runAdm(t, "btrfs", "mkfs", "-f", "-L", "My-Storage", dev)
	if code != 0 {
		t.Fatalf("mkfs: %s", stderr)
	}
	uuid := strings.TrimSpace(out)
	mnt := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0o755)
	if err := unix.Mount(dev, mnt, "btrfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := runAdm(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	run("btrfs", "subvolume", "create", mnt+"/a")
	os.WriteFile(mnt+"/a/f", []byte("x"), 0o644)
	run("btrfs", "subvolume", "snapshot", "-r", mnt+"/a", mnt+"/snap")
	got := run("btrfs", "subvolume", "list", mnt)
	want, _ := exec.Command("btrfs", "subvolume", "list", mnt).Output()
	if got != string(want) {
		t.Errorf("subvolume list:\n%s\nbtrfs subvolume list:\n%s", got, want)
	}
	if strings.TrimSpace(run("btrfs", "subvolume", "readonly", mnt+"/snap")) != "true" {
		t.Error("snapshot is not read-only")
	}
	var info struct {
		UUID  string `json:"uuid"`
		Label string `json:"label"`
	}
	json.Unmarshal([]byte(run("--json", "btrfs", "info", mnt)), &info)
	if info.UUID != uuid || info.Label != "My-Storage" {
		t.Errorf("info: %+v, mkfs printed %s", info, uuid)
	}
	if !strings.Contains(run("btrfs", "usage", mnt), "Free (estimated):") {
		t.Error("usage lacks the free estimate")
	}
	run("btrfs", "property", mnt+"/a", "zstd")
	if p, _ := exec.Command("btrfs", "property", "get", mnt+"/a", "compression").Output(); strings.TrimSpace(string(p)) != "compression=zstd" {
		t.Errorf("property: %q", p)
	}
	run("btrfs", "subvolume", "delete", mnt+"/a")
	run("btrfs", "subvolume", "delete", mnt+"/snap")
	if out, _ := exec.Command("btrfs", "subvolume", "list", mnt).Output(); len(out) != 0 {
		t.Errorf("left over: %s", out)
	}
}
