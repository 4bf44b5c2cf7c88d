package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

const fixture = "../../testdata/pve8"

func runCheck(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestFixtureJSON(t *testing.T) {
	out, stderr, code := runCheck(t, "--root", fixture, "--json", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	if rep.Host != "pve1" {
		t.Errorf("host = %q, want pve1", rep.Host)
	}
	if len(rep.Sections) != len(areas) {
		t.Errorf("got %d sections, want %d", len(rep.Sections), len(areas))
	}
	found := map[string]Finding{}
	for _, s := range rep.Sections {
		for _, f := range s.Findings {
			found[f.Check] = f
		}
	}
	for check, want := range map[string]string{
		"system.kernel":         "6.8.12-4-pve",
		"system.debian-release": "bookworm",
		"system.cpu":            "4 CPUs on 2 socket(s)",
		"system.hosts":          "192.168.10.2",
		"system.virtualization": "VT-x",
	} {
		f, ok := found[check]
		if !ok {
			t.Errorf("no %s finding", check)
			continue
		}
		if !strings.Contains(f.Summary, want) {
			t.Errorf("%s: summary %q lacks %q", check, f.Summary, want)
		}
	}
}

func TestTextGroupedAndOnly(t *testing.T) {
	out, _, code := runCheck(t, "--root", fixture, "--only", "system")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "== system: kernel, CPU and memory ==") || !strings.Contains(out, "hostcheck of pve1") {
		t.Errorf("text report lacks its heading:\n%s", out)
	}
	if _, _, code := runCheck(t, "--only", "nosuch"); code != 2 {
		t.Errorf("unknown area: exit %d, want 2", code)
	}
	if _, _, code := runCheck(t, "extra-arg"); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
}

func TestFindingsOnBrokenTree(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/etc", 0o755)
	os.MkdirAll(dir+"/proc/sys/kernel", 0o755)
	os.WriteFile(dir+"/etc/hostname", []byte("pve9\n"), 0o644)
	os.WriteFile(dir+"/etc/hosts", []byte("127.0.1.1 pve9.example pve9\n"), 0o644)
	os.WriteFile(dir+"/etc/os-release", []byte("ID=debian\nVERSION_CODENAME=bullseye\nPRETTY_NAME=\"Debian 11\"\n"), 0o644)
	os.WriteFile(dir+"/proc/meminfo", []byte("MemTotal: 1000000 kB\nMemAvailable: 50000 kB\n"), 0o644)
	os.WriteFile(dir+"/proc/sys/kernel/tainted", []byte("128\n"), 0o644)
	os.MkdirAll(dir+"/usr/share/pve-manager", 0o755)
	out, _, code := runCheck(t, "--root", dir, "--json", "--only", "system", "--fail-on", "warning")
	if code != 1 {
		t.Errorf("exit %d, want 1 for warnings", code)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	warned := map[string]bool{}
	for _, f := range rep.Sections[0].Findings {
		if f.Severity == Warning {
			warned[f.Check] = true
		}
	}
	for _, c := range []string{"system.debian-release", "system.memory", "system.memory-available", "system.hosts", "system.tainted"} {
		if !warned[c] {
			t.Errorf("no warning %s in %+v", c, rep.Sections[0].Findings)
		}
	}
}

func TestHostFast(t *testing.T) {
	start := time.Now()
	out, stderr, code := runCheck(t, "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("hostcheck took %v, want under 2s", d)
	}
	if !strings.Contains(out, "== system:") {
		t.Errorf("no system section:\n%s", out)
	}
}
