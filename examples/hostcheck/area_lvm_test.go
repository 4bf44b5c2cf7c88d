package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLVMArea(t *testing.T) {
	found := storageFindings(t, fixture, "lvm")
	wantStorageFinding(t, found, "lvm.vg", OK, "volume group pve: 127.00 GiB, 13.75 GiB free", "/etc/lvm/backup/pve")
	wantStorageFinding(t, found, "lvm.thin-pool", OK, "thin pool pve/data: 71.50 GiB data, 1.00 GiB metadata, 2 thin volumes", "")
	wantStorageFinding(t, found, "lvm.storage", OK, "lvmthin storage local-lvm on pve/data", "/etc/pve/storage.cfg:5")

	// A storage entry naming a pool the metadata does not have.
	dir := t.TempDir()
	copyFixtureTree(t, filepath.Join(fixture, "etc/lvm"), filepath.Join(dir, "etc/lvm"))
	os.MkdirAll(filepath.Join(dir, "etc/pve"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/pve/storage.cfg"), []byte("lvmthin: gone\n\tthinpool vmstore\n\tvgname pve\n\tcontent images\n"), 0o644)
	found = storageFindings(t, dir, "lvm")
	wantStorageFinding(t, found, "lvm.storage", Warning, "lvmthin storage gone names pve/vmstore, which does not exist", "/etc/pve/storage.cfg:1")
}
