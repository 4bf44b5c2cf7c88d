package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// findings runs hostcheck on root for the given areas and returns the
// findings by check name.
func findings(t *testing.T, root, only string) map[string]Finding {
	t.Helper()
	out, stderr, code := runCheck(t, "--root", root, "--json", "--only", only, "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	m := map[string]Finding{}
	for _, s := range rep.Sections {
		for _, f := range s.Findings {
			m[f.Check] = f
		}
	}
	return m
}

func TestSMARTArea(t *testing.T) {
	got := findings(t, fixture, "smart")
	for check, want := range map[string]string{
		"smart.smartd-conf": "smartd scans all disks (DEVICESCAN), mails root",
		"smart.smartd":      "smartd is enabled at boot",
		"smart.disks":       "1 disk: /dev/sda (SAMSUNG MZ7LH480, 465.8 GiB)",
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) || f.Severity != OK {
			t.Errorf("%s = %+v, want ok %q", check, f, want)
		}
	}
	if f := got["smart.smartd-conf"]; f.Where != "/etc/smartd.conf:21" {
		t.Errorf("where = %q", f.Where)
	}
	if _, ok := got["smart.smartmontools"]; ok {
		t.Error("fixture has smartmontools, hostcheck says it has not")
	}

	// A broken tree: a bad smartd.conf line, an entry after DEVICESCAN
	// without mail.
	root := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	write("etc/smartd.conf", "DEVICESCAN -m root\n/dev/sda -a\n")
	write("usr/share/pve-manager/x", "")
	got = findings(t, root, "smart")
	if f := got["smart.smartd-mail"]; f.Severity != Warning || f.Where != "/etc/smartd.conf:2" {
		t.Errorf("mail finding = %+v", f)
	}
	if f := got["smart.smartmontools"]; f.Severity != Error {
		t.Errorf("smartmontools finding = %+v", f)
	}
	write("etc/smartd.conf", "# x\n-a /dev/sda\n")
	got = findings(t, root, "smart")
	if f := got["smart.smartd-conf"]; f.Severity != Error || f.Where != "/etc/smartd.conf:2" {
		t.Errorf("parse error finding = %+v", f)
	}
}
