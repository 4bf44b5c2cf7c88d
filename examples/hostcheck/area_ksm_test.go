package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKSMArea(t *testing.T) {
	got := findings(t, fixture, "ksm")
	for check, want := range map[string]string{
		"ksm.running":            "KSM running: 4.5 GiB shared, net profit 4.3 GiB",
		"ksm.ksmtuned":           "ksmtuned is enabled",
		"ksm.ksmtuned-threshold": "ksmtuned starts merging below 12.5 GiB free",
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) {
			t.Errorf("%s = %+v, want %q", check, f, want)
		}
	}
	if f := got["ksm.side-channel"]; f.Severity != Info || !strings.Contains(f.Advice, "side-channel") {
		t.Errorf("side-channel = %+v", f)
	}

	// The same host with pools looks multi-tenant: the advice becomes a
	// warning.
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/pve/user.cfg"), []byte("user:root@pam:1:0:::root@example.com:::\npool:customer-a::vms:\npool:customer-b::vms:\n"), 0o644)
	got = findings(t, root, "ksm")
	if f := got["ksm.side-channel"]; f.Severity != Warning || !strings.Contains(f.Summary, "2 resource pools") {
		t.Errorf("multi-tenant side-channel = %+v", f)
	}
	os.WriteFile(filepath.Join(root, "etc/ksmtuned.conf"), []byte("KSM_NPAGES_MAX=$(reboot)\n"), 0o644)
	got = findings(t, root, "ksm")
	if f := got["ksm.ksmtuned-conf"]; f.Severity != Error || f.Where != "/etc/ksmtuned.conf:1" {
		t.Errorf("bad ksmtuned.conf = %+v", f)
	}
}
