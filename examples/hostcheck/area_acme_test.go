package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func acmeFindings(t *testing.T, root string) map[string]Finding {
	t.Helper()
	out, stderr, code := runCheck(t, "--root", root, "--json", "--only", "acme", "--fail-on", "never")
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

func TestACMEFixture(t *testing.T) {
	found := acmeFindings(t, fixture)
	for check, want := range map[string]string{
		"acme.certificate": "default node certificate signed by the cluster CA for localhost, pve1, pve1.example.com",
		"acme.domains":     "pve1.example.com (standalone), pve.example.net (nsupdate, alias acme-challenge.example.org)",
		"acme.account":     `"default" is registered`,
		"acme.not-ordered": "no certificate was ordered",
	} {
		f, ok := found[check]
		if !ok {
			t.Errorf("no %s finding in %v", check, found)
			continue
		}
		if !strings.Contains(f.Summary, want) {
			t.Errorf("%s: %q lacks %q", check, f.Summary, want)
		}
	}
	if f := found["acme.certificate"]; f.Where != "/etc/pve/nodes/pve1/pve-ssl.pem" {
		t.Errorf("certificate where = %q", f.Where)
	}
	if f := found["acme.not-ordered"]; f.Severity != Warning || !strings.Contains(f.Advice, "pvenode acme cert order") {
		t.Errorf("not-ordered = %+v", f)
	}
}

func TestACMEBrokenConfig(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(root+"/etc/pve/nodes/pve1", 0o755)
	os.Symlink("nodes/pve1", root+"/etc/pve/local")
	os.WriteFile(root+"/etc/pve/nodes/pve1/config", []byte("acme: domains=ok.example\nacmedomain0: bad_domain,plugin=dns1\n"), 0o644)
	found := acmeFindings(t, root)
	f, ok := found["acme.node-config"]
	if !ok || f.Severity != Error || f.Where != "/etc/pve/nodes/pve1/config:2:14" {
		t.Errorf("node-config finding = %+v (all: %v)", f, found)
	}
	if f := found["acme.certificate"]; f.Severity != Error {
		t.Errorf("missing node certificate not an error: %+v", f)
	}
	os.WriteFile(root+"/etc/pve/nodes/pve1/config", []byte("acmedomain0: a.example,plugin=dns1\n"), 0o644)
	found = acmeFindings(t, root)
	if f := found["acme.domains"]; f.Severity != Error || !strings.Contains(f.Summary, "plugin 'dns1'") || f.Where != "/etc/pve/nodes/pve1/config:1" {
		t.Errorf("missing plugin finding = %+v", f)
	}
}
