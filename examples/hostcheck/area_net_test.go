package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNetArea(t *testing.T) {
	got := findings(t, fixture, "net")
	for check, want := range map[string]struct {
		sev     Severity
		summary string
	}{
		"net.interfaces":    {OK, "4 interfaces: bridge vmbr0 on eno1; 192.168.10.2/24 on vmbr0; gateway 192.168.10.1 via vmbr0"},
		"net.pending":       {OK, "no pending network changes"},
		"net.naming-scheme": {Info, "not pinned"},
		"net.link-file":     {OK, "10-enwan0.link names enwan0, which the configuration uses"},
	} {
		f, ok := got[check]
		if !ok || f.Severity != want.sev || !strings.Contains(f.Summary, want.summary) {
			t.Errorf("%s = %+v, want %v %q", check, f, want.sev, want.summary)
		}
	}
	if f := got["net.interfaces"]; f.Where != "/etc/network/interfaces" {
		t.Errorf("interfaces where = %q", f.Where)
	}

	// A broken live file, a pending change with an error, a pinned naming
	// scheme, an unused link file and IPv6 disabled.
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	live, _ := os.ReadFile(filepath.Join(root, "etc/network/interfaces"))
	write("etc/network/interfaces", strings.Replace(string(live), "iface enwan0 inet manual\n", "iface enwan0 inet manual\nauto enwan0\n", 1))
	write("etc/network/interfaces.new", string(live)+"\niface vmbr1 inet static\n\taddress 10.1.0.2/24\n\tgateway 10.1.0.1\n\tbridge-ports eno1\n")
	write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet net.naming-scheme=v252\n")
	write("etc/systemd/network/20-enlan7.link", "[Match]\nMACAddress=aa:bb:cc:dd:ee:07\n\n[Link]\nName=enlan7\n")
	write("etc/sysctl.d/disable-ipv6.conf", "net.ipv6.conf.all.disable_ipv6 = 1\nnet.ipv6.conf.default.disable_ipv6 = 1\n")
	got = findings(t, root, "net")
	for check, want := range map[string]struct {
		sev     Severity
		summary string
		where   string
	}{
		"net.auto-after-stanza": {Error, "auto enwan0 comes after the stanza at line 17", "/etc/network/interfaces:18"},
		"net.pending":           {Info, "pending network changes in /etc/network/interfaces.new (+5 -1 lines)", "/etc/network/interfaces.new"},
		"net.pending-invalid":   {Error, "eno1 is a port of both vmbr0 and vmbr1", "/etc/network/interfaces.new:33"},
		"net.naming-scheme":     {OK, "pinned to naming scheme v252", ""},
		"net.link-unused":       {Warning, "20-enlan7.link names a device enlan7", "/etc/systemd/network/20-enlan7.link"},
		"net.ipv6-disabled":     {Info, "IPv6 is disabled by /etc/sysctl.d/disable-ipv6.conf", "/etc/sysctl.d/disable-ipv6.conf:1"},
	} {
		f, ok := got[check]
		if !ok || f.Severity != want.sev || !strings.Contains(f.Summary, want.summary) || f.Where != want.where {
			t.Errorf("%s = %+v, want %v %q at %q", check, f, want.sev, want.summary, want.where)
		}
	}
	if f := got["net.auto-after-stanza"]; !strings.Contains(f.Advice, "above the iface stanza") {
		t.Errorf("advice = %q", f.Advice)
	}

	// A routed setup whose forwarding is off at runtime.
	b, _ := os.ReadFile("../../netcfg/testdata/spec/routed.interfaces")
	write("etc/network/interfaces", string(b))
	got = findings(t, root, "net")
	if f := got["net.ip-forward"]; f.Severity != Warning || f.Where != "/etc/network/interfaces:8" {
		t.Errorf("ip-forward = %+v", f)
	}
	write("proc/sys/net/ipv4/ip_forward", "1\n")
	if f := findings(t, root, "net")["net.ip-forward"]; f.Severity != OK {
		t.Errorf("ip-forward on = %+v", f)
	}
	os.Remove(filepath.Join(root, "etc/network/interfaces"))
	if f := findings(t, root, "net")["net.interfaces"]; f.Severity != Warning {
		t.Errorf("missing file = %+v", f)
	}
}
