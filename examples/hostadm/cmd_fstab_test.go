package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// storageRoot copies the fixture's files that the fstab, lvm and btrfs
// commands read into a temporary root, which the test may change.
func storageRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, name := range []string{"etc/fstab", "etc/pve/storage.cfg", "etc/lvm/backup/pve"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/pve8", name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFstabCommands(t *testing.T) {
	root := storageRoot(t)
	out, stderr, code := runAdm(t, "--root", root, "--json", "fstab", "list")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	var entries []fstabEntryJSON
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 6 {
		t.Fatalf("list JSON: %v, %d entries", err, len(entries))
	}
	if e := entries[5]; e.MountPoint != "/mnt/backup" || !e.KernelName || e.SourceKind != "path" || e.Pass != 2 {
		t.Errorf("last entry: %+v", e)
	}
	out, _, code = runAdm(t, "--root", root, "fstab", "check")
	if code != 1 || !strings.Contains(out, "/etc/fstab:10: /mnt/backup: /dev/sdc1 is a kernel device name") {
		t.Errorf("check: exit %d: %s", code, out)
	}

	// Rename the backup disk by UUID through /dev/disk/by-uuid.
	os.MkdirAll(filepath.Join(root, "dev/disk/by-uuid"), 0o755)
	os.WriteFile(filepath.Join(root, "dev/sdc1"), nil, 0o644)
	os.Symlink("../../sdc1", filepath.Join(root, "dev/disk/by-uuid/5b1f0f7e-4b8e-4c7a-9d0e-3f2a1b0c9d8e"))
	if _, stderr, code := runAdm(t, "--root", root, "fstab", "remove", "/mnt/backup"); code != 0 {
		t.Fatalf("remove: %s", stderr)
	}
	out, stderr, code = runAdm(t, "--root", root, "fstab", "add", "--by-uuid", "/dev/sdc1", "/mnt/backup", "ext4", "defaults,nofail", "0", "2")
	if code != 0 || strings.TrimSpace(out) != "UUID=5b1f0f7e-4b8e-4c7a-9d0e-3f2a1b0c9d8e /mnt/backup ext4 defaults,nofail 0 2" {
		t.Fatalf("add: exit %d: %q %s", code, out, stderr)
	}
	if _, _, code := runAdm(t, "--root", root, "fstab", "check"); code != 0 {
		t.Errorf("check after the fix: exit %d", code)
	}
	out, _, code = runAdm(t, "--root", root, "fstab", "option", "/", "noatime")
	if code != 0 || strings.TrimSpace(out) != "/dev/pve/root / ext4 errors=remount-ro,noatime 0 1" {
		t.Errorf("option: %d %q", code, out)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
	if !strings.Contains(string(b), "# using the UUID from the mkfs.btrfs output is highly recommended\n") ||
		!strings.Contains(string(b), "/dev/pve/root / ext4 errors=remount-ro,noatime 0 1\n") {
		t.Errorf("fstab after edits:\n%s", b)
	}
	if _, _, code := runAdm(t, "--root", root, "fstab", "add", "/dev/sdd1", "/", "ext4"); code != 1 {
		t.Errorf("duplicate add: exit %d", code)
	}
	if _, _, code := runAdm(t, "--root", root, "fstab", "add", "/dev/sdd1"); code != 2 {
		t.Errorf("short add: exit %d", code)
	}
}
