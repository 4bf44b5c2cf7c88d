package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSmartCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "smart", "smartd", "show")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var conf struct {
		Enabled bool `json:"enabled"`
		Entries []struct {
			Device string `json:"device"`
			Line   int    `json:"line"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &conf); err != nil {
		t.Fatal(err)
	}
	if !conf.Enabled || len(conf.Entries) != 1 || conf.Entries[0].Device != "DEVICESCAN" || conf.Entries[0].Line != 21 {
		t.Errorf("smartd show = %+v", conf)
	}

	root := copyFixture(t)
	if _, stderr, code := runAdm(t, "--root", root, "smart", "smartd", "set", "/dev/sda", "--", "-a", "-s", "(S/../.././02|L/../../6/03)", "-m", "root"); code != 0 {
		t.Fatalf("smartd set: %d %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/smartd.conf"))
	orig, _ := os.ReadFile(filepath.Join(fixtureRoot, "etc/smartd.conf"))
	want := strings.Replace(string(orig), "\nDEVICESCAN -d", "\n/dev/sda -a -s (S/../.././02|L/../../6/03) -m root\nDEVICESCAN -d", 1)
	if string(b) != want {
		t.Errorf("smartd.conf after set:\n%s", b)
	}
	if _, stderr, code := runAdm(t, "--root", root, "smart", "smartd", "remove", "/dev/sda"); code != 0 {
		t.Fatalf("smartd remove: %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/smartd.conf")); string(b) != string(orig) {
		t.Error("set then remove did not restore the file")
	}
	if _, _, code := runAdm(t, "--root", root, "smart", "smartd", "remove", "/dev/sdz"); code != 1 {
		t.Errorf("remove missing entry: exit %d", code)
	}
	// Devices are read on the running system only.
	if _, stderr, code := runAdm(t, "--root", root, "smart", "show", "/dev/sda"); code != 1 || !strings.Contains(stderr, "running system") {
		t.Errorf("show on a fixture: %d %s", code, stderr)
	}
	if _, _, code := runAdm(t, "smart", "show"); code != 2 {
		t.Errorf("show without device: exit %d", code)
	}
	out, _, code = runAdm(t, "--root", fixtureRoot, "smart", "list")
	if code != 0 || !strings.Contains(out, "/dev/sda") || !strings.Contains(out, "MZ7LH480") {
		t.Errorf("list: %d\n%s", code, out)
	}
}
