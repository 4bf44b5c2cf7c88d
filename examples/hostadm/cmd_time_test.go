package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTimeCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "time", "servers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Daemon  struct{ Name, Enabled string }
		Sources []struct {
			Type, Address, File string
			Line                int
			Options             []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Daemon.Name != "chrony" || len(got.Sources) != 3 || got.Sources[2].Address != "ntp3.example.com" || got.Sources[2].Line != 13 || got.Sources[0].Options[0].Name != "iburst" {
		t.Errorf("servers = %+v", got)
	}

	root := copyFixture(t)
	conf := filepath.Join(root, "etc/chrony/chrony.conf")
	before, _ := os.ReadFile(conf)
	if _, stderr, code := runAdm(t, "--root", root, "time", "add", "--options", "iburst minpoll 4", "10.0.0.1", "10.0.0.2"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, stderr)
	}
	after, _ := os.ReadFile(conf)
	want := strings.Replace(string(before), "server ntp3.example.com iburst\n", "server ntp3.example.com iburst\nserver 10.0.0.1 iburst minpoll 4\nserver 10.0.0.2 iburst minpoll 4\n", 1)
	if string(after) != want {
		t.Errorf("chrony.conf after add:\n%s", after)
	}
	if _, stderr, code := runAdm(t, "--root", root, "time", "remove", "10.0.0.2", "ntp2.example.com"); code != 0 {
		t.Fatalf("remove: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runAdm(t, "--root", root, "time", "remove", "nothere.example"); code != 1 || !strings.Contains(stderr, "not configured: nothere.example") {
		t.Errorf("remove missing: exit %d: %s", code, stderr)
	}
	_, _, code = runAdm(t, "--root", root, "time", "add", "--replace", "--pool", "pool.example.org")
	if code != 0 {
		t.Fatalf("replace: exit %d", code)
	}
	b, _ := os.ReadFile(conf)
	if strings.Count(string(b), "\nserver ") != 0 || !strings.Contains(string(b), "\npool pool.example.org iburst\n") {
		t.Errorf("chrony.conf after replace:\n%s", b)
	}
	if _, stderr, code := runAdm(t, "--root", root, "time", "add", "--options", "fastest", "a.example"); code != 2 || !strings.Contains(stderr, "unknown source option") {
		t.Errorf("bad option: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runAdm(t, "--root", root, "time", "add", "--restart", "b.example"); code != 1 || !strings.Contains(stderr, "not the running system") {
		t.Errorf("restart off host: exit %d: %s", code, stderr)
	}

	out, stderr, code = runAdm(t, "--root", fixtureRoot, "time", "status")
	if code != 0 || !strings.Contains(out, "daemon:   chrony (enabled, unknown)") || !strings.Contains(out, "sources:  ntp1.example.com ntp2.example.com ntp3.example.com") {
		t.Errorf("status: exit %d: %s%s", code, out, stderr)
	}
}
