package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZFSPlan(t *testing.T) {
	out, stderr, code := runAdm(t, "zfs", "plan", "raidz2", "/dev/disk/by-id/a", "/dev/disk/by-id/b", "/dev/disk/by-id/c", "/dev/disk/by-id/d", "--pool", "tank", "--compression", "lz4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "zpool create -f -o ashift=12 -O compression=lz4 tank raidz2 /dev/disk/by-id/a") || !strings.Contains(out, "two mirror vdevs") {
		t.Errorf("output:\n%s", out)
	}
	out, _, code = runAdm(t, "zfs", "plan", "--json", "--special", "/dev/disk/by-id/s", "mirror", "/dev/disk/by-id/a", "/dev/disk/by-id/b")
	var p struct {
		Argv     []string `json:"argv"`
		Warnings []string `json:"warnings"`
		Level    string   `json:"level"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if p.Level != "RAID1" || len(p.Warnings) == 0 || p.Argv[len(p.Argv)-2] != "special" {
		t.Errorf("plan %+v", p)
	}
	if _, stderr, code := runAdm(t, "zfs", "plan", "raidz3", "/dev/disk/by-id/a", "/dev/disk/by-id/b"); code != 1 || !strings.Contains(stderr, "at least 5 disks") {
		t.Errorf("too few disks: exit %d: %s", code, stderr)
	}
	if _, _, code := runAdm(t, "zfs", "plan", "raid7", "/dev/sda"); code != 2 {
		t.Errorf("bad level: exit %d, want 2", code)
	}
}

func TestZFSARCOnFixture(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", "../../testdata/pve8", "zfs", "arc", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a map[string]any
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a["config_max"] != float64(8589934592) || a["loaded"] != true {
		t.Errorf("arc = %v", a)
	}
}

func TestZFSARCSetAndZED(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"etc/zfs/zed.d/zed.rc", "etc/modprobe.d/zfs.conf"} {
		data, err := os.ReadFile(filepath.Join("../../testdata/pve8", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(root, f), data, 0o644)
	}
	if _, stderr, code := runAdm(t, "--root", root, "zfs", "arc", "--set", "10G", "--persistent"); code != 0 {
		t.Fatalf("arc --set: exit %d: %s", code, stderr)
	}
	conf, _ := os.ReadFile(filepath.Join(root, "etc/modprobe.d/zfs.conf"))
	if string(conf) != "options zfs zfs_arc_max=10737418240\n" {
		t.Errorf("zfs.conf = %q", conf)
	}
	if _, stderr, code := runAdm(t, "--root", root, "zfs", "zed", "set", "ZED_EMAIL_ADDR", "ops@example.com"); code != 0 {
		t.Fatalf("zed set: exit %d: %s", code, stderr)
	}
	out, _, code := runAdm(t, "--root", root, "zfs", "zed", "get", "ZED_EMAIL_ADDR")
	if code != 0 || out != "ZED_EMAIL_ADDR=ops@example.com\n" {
		t.Errorf("zed get: exit %d: %q", code, out)
	}
	out, _, _ = runAdm(t, "--root", root, "zfs", "zed", "get", "--json")
	var vals map[string]string
	if err := json.Unmarshal([]byte(out), &vals); err != nil || vals["ZED_NOTIFY_INTERVAL_SECS"] != "3600" {
		t.Errorf("zed get --json: %v %v", vals, err)
	}
}

func TestZFSSwap(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", "../../testdata/pve8", "zfs", "swap", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Swaps      []any `json:"swaps"`
		Swappiness struct {
			Runtime, Boot int
			Strategy      string
		} `json:"swappiness"`
		Table []struct{ Value int } `json:"table"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Swaps) != 0 || got.Swappiness.Runtime != 60 || got.Swappiness.Boot != 60 || got.Swappiness.Strategy != "The default value." || len(got.Table) != 5 {
		t.Errorf("swap --json: %+v", got)
	}

	root := t.TempDir()
	for name, data := range map[string]string{"proc/sys/vm/swappiness": "60\n", "etc/sysctl.conf": "# local\n"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(root, name), []byte(data), 0o644)
	}
	os.MkdirAll(filepath.Join(root, "etc/sysctl.d"), 0o755)
	os.Symlink("../sysctl.conf", filepath.Join(root, "etc/sysctl.d/99-sysctl.conf"))
	out, stderr, code = runAdm(t, "--root", root, "zfs", "swap", "--swappiness", "10")
	if code != 0 || out != "set vm.swappiness=10\nwrote /etc/sysctl.conf\n" {
		t.Fatalf("swap --swappiness 10: exit %d: %q %s", code, out, stderr)
	}
	conf, _ := os.ReadFile(filepath.Join(root, "etc/sysctl.conf"))
	now, _ := os.ReadFile(filepath.Join(root, "proc/sys/vm/swappiness"))
	if string(conf) != "# local\nvm.swappiness = 10\n" || string(now) != "10\n" {
		t.Errorf("sysctl.conf %q, runtime %q", conf, now)
	}
	if _, _, code := runAdm(t, "--root", root, "zfs", "swap", "--swappiness", "300"); code != 1 {
		t.Errorf("swappiness 300: exit %d, want 1", code)
	}
}

func TestZFSReplaceBootUsage(t *testing.T) {
	if _, stderr, code := runAdm(t, "zfs", "replace-boot", "rpool", "/dev/sda"); code != 2 || !strings.Contains(stderr, "POOL HEALTHY-DISK OLD-DEVICE NEW-DISK") {
		t.Errorf("two arguments: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runAdm(t, "zfs", "replace-boot", "--mode", "lilo", "rpool", "/dev/sda", "sdb3", "/dev/sdc"); code != 1 || !strings.Contains(stderr, "unknown boot mode") {
		t.Errorf("bad mode: exit %d: %s", code, stderr)
	}
}
