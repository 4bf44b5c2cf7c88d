package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBtrfsArea(t *testing.T) {
	found := storageFindings(t, fixture, "btrfs")
	wantStorageFinding(t, found, "btrfs.compression", OK, "btrfs at /my-storage compresses with zstd", "/etc/fstab:8")

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc/pve"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/fstab"), []byte("UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 / btrfs defaults 0 1\nUUID=x /b btrfs compress=gzip 0 0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/pve/storage.cfg"), []byte("dir: local\n\tpath /var/lib/vz\n\tdisable\n\nbtrfs: local-btrfs\n\tpath /var/lib/pve/local-btrfs\n\tcontent iso,vztmpl,backup,images,rootdir\n"), 0o644)
	found = storageFindings(t, dir, "btrfs")
	wantStorageFinding(t, found, "btrfs.compression", Info, "btrfs at / is mounted without compression", "/etc/fstab:1")
	wantStorageFinding(t, found, "btrfs.compression", Warning, `compression "gzip"`, "/etc/fstab:2")
	wantStorageFinding(t, found, "btrfs.storage", OK, "btrfs storage local-btrfs at /var/lib/pve/local-btrfs", "/etc/pve/storage.cfg:5")
	if len(found["btrfs.dir-local"]) != 0 {
		t.Errorf("dir-local finding with local disabled: %+v", found["btrfs.dir-local"])
	}
	os.WriteFile(filepath.Join(dir, "etc/pve/storage.cfg"), []byte("dir: local\n\tpath /var/lib/vz\n\nbtrfs: local-btrfs\n\tpath /var/lib/pve/local-btrfs\n"), 0o644)
	found = storageFindings(t, dir, "btrfs")
	wantStorageFinding(t, found, "btrfs.dir-local", Info, "dir storage local is enabled beside btrfs storage", "/etc/pve/storage.cfg:1")
}
