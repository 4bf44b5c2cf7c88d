package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBtrfsCommands(t *testing.T) {
	root := storageRoot(t)
	out, stderr, code := runAdm(t, "btrfs", "mkfs", "--dry-run", "-m", "raid1", "-d", "raid1", "-L", "My-Storage", "/dev/sdb1", "/dev/sdc1")
	if code != 0 || strings.TrimSpace(out) != "mkfs.btrfs -m raid1 -d raid1 -L My-Storage /dev/sdb1 /dev/sdc1" {
		t.Errorf("mkfs dry run: exit %d %q %s", code, out, stderr)
	}
	_, stderr, code = runAdm(t, "btrfs", "mkfs", "--dry-run", "-d", "raid5", "/dev/a", "/dev/b", "/dev/c")
	if code != 1 || !strings.Contains(stderr, "experimental and dangerous") {
		t.Errorf("raid5 without --allow-raid56: exit %d %s", code, stderr)
	}
	_, stderr, code = runAdm(t, "btrfs", "mkfs", "--dry-run", "--allow-raid56", "-d", "raid5", "/dev/a", "/dev/b", "/dev/c")
	if code != 0 || !strings.Contains(stderr, "warning: data profile raid5") {
		t.Errorf("raid5 allowed: exit %d %s", code, stderr)
	}

	out, stderr, code = runAdm(t, "--root", root, "btrfs", "compress", "/my-storage", "zlib:3")
	if code != 0 || strings.TrimSpace(out) != "UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 /my-storage btrfs defaults,compress=zlib:3 0 0" {
		t.Errorf("compress: exit %d %q %s", code, out, stderr)
	}
	if _, _, code := runAdm(t, "--root", root, "btrfs", "compress", "/my-storage", "gzip"); code != 2 {
		t.Errorf("bad algorithm: exit %d", code)
	}
	if _, _, code := runAdm(t, "--root", root, "btrfs", "compress", "/", "zstd"); code != 1 {
		t.Errorf("compress on ext4 root: exit %d", code)
	}

	if _, stderr, code := runAdm(t, "--root", root, "btrfs", "storage", "installer-layout"); code != 0 {
		t.Fatalf("installer-layout: %s", stderr)
	}
	out, _, _ = runAdm(t, "--root", root, "btrfs", "storage")
	if strings.TrimSpace(out) != "local-btrfs\t/var/lib/pve/local-btrfs\tiso,vztmpl,backup,images,rootdir" {
		t.Errorf("storage list: %q", out)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/pve/storage.cfg"))
	if !strings.HasPrefix(string(b), "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\tdisable\n") {
		t.Errorf("dir: local not disabled:\n%s", b)
	}
	if _, _, code := runAdm(t, "btrfs", "subvolume", "list"); code != 2 {
		t.Errorf("list without a path: exit %d", code)
	}
	if _, stderr, code := runAdm(t, "btrfs", "info", "/proc"); code != 1 || !strings.Contains(stderr, "not a btrfs file system") {
		t.Errorf("info on /proc: %d %s", code, stderr)
	}
}
