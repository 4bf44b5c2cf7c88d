package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTimeArea(t *testing.T) {
	got := findings(t, fixture, "time")
	for check, want := range map[string]string{
		"time.daemon":  "chrony is enabled",
		"time.sources": "3 time source(s): ntp1.example.com, ntp2.example.com, ntp3.example.com",
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) || f.Severity != OK {
			t.Errorf("%s = %+v, want ok %q", check, f, want)
		}
	}
	if f := got["time.sources"]; f.Where != "/etc/chrony/chrony.conf" {
		t.Errorf("where = %q", f.Where)
	}

	root := t.TempDir()
	for _, p := range []string{"etc/chrony", "lib/systemd/system", "etc/systemd/system"} {
		if err := os.CopyFS(filepath.Join(root, p), os.DirFS(filepath.Join(fixture, p))); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc/chrony/sources.d/bad.sources"), []byte("server 10.0.0.1 iburst fastest\n"), 0o644)
	got = findings(t, root, "time")
	if f := got["time.sources"]; f.Severity != Error || f.Where != "/etc/chrony/sources.d/bad.sources:1" {
		t.Errorf("bad source = %+v", f)
	}
	os.RemoveAll(filepath.Join(root, "lib/systemd/system/chrony.service"))
	got = findings(t, root, "time")
	if f := got["time.daemon"]; f.Severity != Error || !strings.Contains(f.Summary, "no NTP daemon") {
		t.Errorf("no daemon = %+v", f)
	}
}
