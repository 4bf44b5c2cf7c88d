package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNetCheck(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "net", "check")
	if code != 0 || !strings.Contains(out, "4 interfaces, no findings") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	bad := filepath.Join(t.TempDir(), "interfaces")
	os.WriteFile(bad, []byte("iface eno1 inet manual\nauto eno1 vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.2/24\n\tgateway 10.9.0.1\n\tbridge-ports eno1\n\tbridge-vids 0-9\n"), 0o644)
	out, _, code = runAdm(t, "net", "check", bad)
	if code != 1 {
		t.Errorf("exit %d on errors", code)
	}
	for _, want := range []string{bad + ":2:1: error: auto eno1 comes after the stanza", bad + ":5:2: error: gateway 10.9.0.1 of vmbr0 lies outside", "[bridge-vids]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runAdm(t, "--json", "net", "check", bad)
	var res struct {
		Errors   int `json:"errors"`
		Findings []struct {
			Line     int    `json:"line"`
			Severity string `json:"severity"`
			Check    string `json:"check"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.Errors == 0 || res.Findings[0].Line != 2 {
		t.Errorf("JSON check: exit %d, %v, %+v\n%s", code, err, res, out)
	}
}

// TestNetQuery compares "net query --json" with ifquery's output recorded
// by netcfg's oracle test, byte for byte.
func TestNetQuery(t *testing.T) {
	for _, c := range []struct{ file, golden string }{
		{"../../netcfg/testdata/spec/vlan-bond-traditional.interfaces", "spec-vlan-bond-traditional.json"},
		{"../../netcfg/testdata/query/quirks.interfaces", "query-quirks.json"},
		{"../../netcfg/testdata/query/crlf-utf8.interfaces", "query-crlf-utf8.json"},
	} {
		want, err := os.ReadFile(filepath.Join("../../netcfg/testdata/ifquery", c.golden))
		if err != nil {
			t.Fatal(err)
		}
		out, stderr, code := runAdm(t, "net", "query", "--json", c.file)
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d, stderr %s, output differs from ifquery:\n%s\nwant\n%s", c.file, code, stderr, out, want)
		}
	}
	out, _, code := runAdm(t, "--root", fixtureRoot, "net", "query", "/etc/network/interfaces", "vmbr0")
	if code != 0 || !strings.Contains(out, "iface vmbr0 inet static\n    address 192.168.10.2/24\n") {
		t.Errorf("text query: exit %d\n%s", code, out)
	}
	if _, _, code := runAdm(t, "--root", fixtureRoot, "net", "query", "/etc/network/interfaces", "nope0"); code != 1 {
		t.Errorf("unknown interface: exit %d", code)
	}
}

func TestNetShowAndLinkName(t *testing.T) {
	out, _, code := runAdm(t, "--root", fixtureRoot, "--json", "net", "show")
	var n struct {
		Interfaces []struct {
			Name   string `json:"name"`
			Kind   string `json:"kind"`
			Bridge *struct {
				Ports []string `json:"ports"`
			} `json:"bridge"`
		} `json:"interfaces"`
	}
	if err := json.Unmarshal([]byte(out), &n); err != nil || code != 0 || len(n.Interfaces) != 4 || n.Interfaces[3].Bridge.Ports[0] != "eno1" {
		t.Errorf("show: exit %d %v %+v", code, err, n)
	}
	out, _, code = runAdm(t, "--json", "net", "link-name", "enP1p3s0f1d2")
	var name struct {
		Kind        string `json:"kind"`
		Valid       bool   `json:"valid"`
		Predictable struct {
			Scheme   string `json:"scheme"`
			Domain   int    `json:"domain"`
			Bus      int    `json:"bus"`
			Function int    `json:"function"`
			DevPort  int    `json:"dev_port"`
		} `json:"predictable"`
	}
	if err := json.Unmarshal([]byte(out), &name); err != nil || code != 0 || name.Kind != "eth" || !name.Valid ||
		name.Predictable.Scheme != "path" || name.Predictable.Domain != 1 || name.Predictable.Bus != 3 || name.Predictable.Function != 1 || name.Predictable.DevPort != 2 {
		t.Errorf("link-name: exit %d %v %+v\n%s", code, err, name, out)
	}
	out, _, _ = runAdm(t, "net", "link-name", "vmbr0v5")
	if !strings.Contains(out, "vmbr0v5: bridge 0, VLAN 5 on vmbr0") {
		t.Errorf("link-name text: %q", out)
	}
}

func TestNetStaging(t *testing.T) {
	root := copyFixture(t)
	// Stage the guide's bond setup, show it, revert it.
	_, stderr, code := runAdm(t, "--root", root, "net", "setup", "bond", "--slaves", "eno1,enwan0", "--address", "192.168.10.2/24", "--gateway", "192.168.10.1", "--proxmox", "--stage")
	if code != 0 {
		t.Fatalf("setup --stage: exit %d: %s", code, stderr)
	}
	out, _, code := runAdm(t, "--root", root, "net", "diff")
	if code != 0 || !strings.Contains(out, "+++ /etc/network/interfaces.new") || !strings.Contains(out, "+\tbond-slaves eno1 enwan0") {
		t.Errorf("diff: exit %d\n%s", code, out)
	}
	out, _, _ = runAdm(t, "--root", root, "--json", "net", "diff")
	var d struct {
		Pending bool   `json:"pending"`
		Digest  string `json:"digest"`
	}
	json.Unmarshal([]byte(out), &d)
	if !d.Pending || len(d.Digest) != 64 {
		t.Errorf("diff JSON: %s", out)
	}
	if _, _, code := runAdm(t, "--root", root, "net", "revert", "--digest", strings.Repeat("0", 64)); code != 1 {
		t.Errorf("revert with a stale digest: exit %d", code)
	}
	if out, _, code := runAdm(t, "--root", root, "net", "revert", "--digest", d.Digest); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("revert: exit %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/network/interfaces.new")); !os.IsNotExist(err) {
		t.Error("interfaces.new still there")
	}
}

func TestNetSetupSpec(t *testing.T) {
	out, _, code := runAdm(t, "net", "setup", "vlan", "--slaves", "eno1,eno2", "--vlan", "5", "--address", "10.10.10.2/24", "--gateway", "10.10.10.1")
	want, _ := os.ReadFile("../../netcfg/testdata/spec/vlan-bond-traditional.interfaces")
	if code != 0 || out != string(want) {
		t.Errorf("setup vlan: exit %d\n%s", code, out)
	}
	if _, _, code := runAdm(t, "net", "setup", "routed"); code != 2 {
		t.Errorf("routed without --uplink: exit %d", code)
	}
}

func TestNetFmtAndPin(t *testing.T) {
	root := copyFixture(t)
	p := filepath.Join(root, "etc/network/interfaces")
	os.WriteFile(p, []byte("auto lo\niface lo inet loopback\n\n\n\nauto vmbr0\niface  vmbr0 inet static\n        address  10.0.0.2/24\n        bridge-ports \\\n          eno1\n"), 0o644)
	out, _, code := runAdm(t, "--root", root, "net", "fmt", "-d", "/etc/network/interfaces")
	if code != 0 || !strings.Contains(out, "+\tbridge-ports eno1\n") {
		t.Errorf("fmt -d: exit %d\n%s", code, out)
	}
	if _, _, code := runAdm(t, "--root", root, "net", "fmt", "-w", "/etc/network/interfaces"); code != 0 {
		t.Fatalf("fmt -w: exit %d", code)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "auto lo\niface lo inet loopback\n\nauto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.2/24\n\tbridge-ports eno1\n" {
		t.Errorf("fmt -w wrote %q", got)
	}
	out, stderr, code := runAdm(t, "--root", root, "net", "pin-name", "aa:bb:cc:dd:ee:01", "enlan0", "--priority", "20")
	if code != 0 || !strings.Contains(out, "/etc/systemd/network/20-enlan0.link") {
		t.Errorf("pin-name: exit %d %s %s", code, out, stderr)
	}
	if _, _, code := runAdm(t, "--root", root, "net", "pin-name", "aa:bb:cc:dd:ee:02", "eno1"); code != 1 {
		t.Errorf("pin-name eno1: exit %d, want 1", code)
	}
	out, _, _ = runAdm(t, "--root", root, "--json", "net", "link-files")
	if !strings.Contains(out, `"name": "enlan0"`) || !strings.Contains(out, `"naming_scheme": ""`) {
		t.Errorf("link-files: %s", out)
	}
}

func TestNetIPv6(t *testing.T) {
	root := copyFixture(t)
	out, stderr, code := runAdm(t, "--root", root, "net", "ipv6", "disable", "--now")
	if code != 0 || !strings.Contains(out, "net.ipv6.conf.default.disable_ipv6 = 1 (/etc/sysctl.d/disable-ipv6.conf:2)") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "proc/sys/net/ipv6/conf/default/disable_ipv6")); string(b) != "1\n" {
		t.Errorf("runtime value %q", b)
	}
	if _, _, code := runAdm(t, "--root", root, "net", "ipv6", "enable"); code != 0 {
		t.Errorf("enable: exit %d", code)
	}
}
