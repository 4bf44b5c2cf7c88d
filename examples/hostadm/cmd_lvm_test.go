package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLVMCommands(t *testing.T) {
	root := storageRoot(t)
	out, stderr, code := runAdm(t, "--root", root, "--json", "lvm", "backup")
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	var backups []struct {
		VG struct {
			Name string `json:"name"`
		}
		Free      uint64 `json:"free"`
		ThinPools []struct {
			Name         string   `json:"name"`
			MetadataSize uint64   `json:"metadata_size"`
			Volumes      []string `json:"volumes"`
		} `json:"thin_pools"`
	}
	if err := json.Unmarshal([]byte(out), &backups); err != nil || len(backups) != 1 {
		t.Fatalf("backup JSON: %v\n%s", err, out)
	}
	if b := backups[0]; b.VG.Name != "pve" || b.Free != 3519<<22 || len(b.ThinPools) != 1 || b.ThinPools[0].MetadataSize != 1<<30 {
		t.Errorf("backup: %+v", b)
	}

	out, _, code = runAdm(t, "lvm", "metadata-size", "500G")
	if code != 0 || strings.TrimSpace(out) != "5368709120" {
		t.Errorf("metadata-size 500G: %d %q", code, out)
	}
	if _, _, code := runAdm(t, "lvm", "metadata-size", "lots"); code != 2 {
		t.Errorf("bad size: exit %d", code)
	}

	if _, stderr, code := runAdm(t, "--root", root, "lvm", "storage", "add", "lvmthin", "vmstore", "vmdata", "--pool", "vmstore"); code != 0 {
		t.Fatalf("storage add: %s", stderr)
	}
	out, _, _ = runAdm(t, "--root", root, "lvm", "storage")
	if !strings.Contains(out, "lvmthin: local-lvm\tpve/data\trootdir,images") || !strings.Contains(out, "lvmthin: vmstore\tvmdata/vmstore") {
		t.Errorf("storage list:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/pve/storage.cfg"))
	if !strings.HasSuffix(string(b), "\nlvmthin: vmstore\n\tthinpool vmstore\n\tvgname vmdata\n\tcontent rootdir,images\n") {
		t.Errorf("storage.cfg:\n%s", b)
	}
	if _, _, code := runAdm(t, "--root", root, "lvm", "storage", "add", "lvmthin", "bad", "vmdata"); code != 1 {
		t.Errorf("lvmthin without a pool: exit %d", code)
	}
	if _, _, code := runAdm(t, "lvm", "remove", "novg"); code != 2 {
		t.Errorf("remove without VG/LV: exit %d", code)
	}
	for in, want := range map[string]uint64{"10G": 10 << 30, "512m": 512 << 20, "1.5T": 3 << 39, "4096B": 4096, "100": 100} {
		if got, err := lvmParseSize(in); err != nil || got != want {
			t.Errorf("lvmParseSize(%q) = %d, %v", in, got, err)
		}
	}
}
