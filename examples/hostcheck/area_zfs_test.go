package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func zfsFindings(t *testing.T, root string) map[string]Finding {
	t.Helper()
	out, stderr, code := runCheck(t, "--root", root, "--json", "--only", "zfs", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := map[string]Finding{}
	for _, f := range rep.Sections[0].Findings {
		found[f.Check] = f
	}
	return found
}

func TestZFSFixture(t *testing.T) {
	found := zfsFindings(t, fixture)
	for check, want := range map[string]string{
		"zfs.module":      "2.2.6-pve1",
		"zfs.pool-health": "tank is ONLINE",
		"zfs.arc-config":  "8.00G",
		"zfs.arc":         "at most 8.00G",
		"zfs.zed-mail":    "root",
		"zfs.storage":     "tank",
	} {
		f, ok := found[check]
		if !ok {
			t.Errorf("no %s finding in %v", check, found)
			continue
		}
		if !strings.Contains(f.Summary, want) || f.Severity != OK {
			t.Errorf("%s: %s %q lacks %q", check, f.Severity, f.Summary, want)
		}
	}
	if _, ok := found["zfs.swappiness"]; ok {
		t.Errorf("swappiness reported without swap: %+v", found["zfs.swappiness"])
	}
	if w := found["zfs.zed-mail"].Where; w != "/etc/zfs/zed.d/zed.rc:18" {
		t.Errorf("zed-mail where = %q", w)
	}
}

func TestZFSProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	write("etc/hostname", "pve9\n")
	write("sys/module/zfs/version", "2.1.11-1\n")
	write("sys/module/zfs/parameters/zfs_arc_max", "1073741824\n")
	write("sys/module/zfs/parameters/zfs_arc_min", "0\n")
	write("proc/spl/kstat/zfs/arcstats", "1 1 0x01 3 0 0 0\nname type data\nc_min 4 2147483648\nc_max 4 34359738368\nsize 4 1000\n")
	write("proc/spl/kstat/zfs/tank/state", "DEGRADED\n")
	write("etc/zfs/zed.d/zed.rc", "#ZED_EMAIL_ADDR=\"root\"\n")
	write("etc/pve/storage.cfg", "zfspool: gone\n\tpool gone/data\n\tcontent images\n")
	write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/zvol/rpool/swap partition 4194300 0 -2\n")
	write("proc/sys/vm/swappiness", "60\n")
	found := zfsFindings(t, dir)
	if f := found["zfs.swappiness"]; f.Severity != Info || !strings.Contains(f.Summary, "60 with swap active") {
		t.Errorf("swappiness: %+v", f)
	}
	for _, check := range []string{"zfs.pool-health", "zfs.arc-max-ignored", "zfs.zed-mail", "zfs.storage", "zfs.swap-zvol"} {
		if f, ok := found[check]; !ok || f.Severity != Warning {
			t.Errorf("%s: %+v, want a warning", check, f)
		}
	}
}
