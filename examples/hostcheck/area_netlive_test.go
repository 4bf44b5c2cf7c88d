package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/netcfg/live"
)

func TestNetLiveFixture(t *testing.T) {
	out, stderr, code := runCheck(t, "--root", fixture, "--json", "--only", "netlive", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	f := rep.Sections[0].Findings
	if len(f) != 1 || f[0].Check != "netlive.kernel" || f[0].Severity != Info || !strings.Contains(f[0].Summary, "not the running system") {
		t.Errorf("findings %+v", f)
	}
}

func fixtureNetwork(t *testing.T) *netcfg.Network {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixture, "etc/network/interfaces"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := netcfg.Parse("/etc/network/interfaces", data)
	return netcfg.NewNetwork(f)
}

func byCheck(s *Section) map[string][]Finding {
	m := map[string][]Finding{}
	for _, f := range s.Findings {
		m[f.Check] = append(m[f.Check], f)
	}
	return m
}

func TestNetLiveDrift(t *testing.T) {
	n := fixtureNetwork(t)
	st := &live.State{Links: []live.Link{
		{Name: "eno1", Up: true, OperState: "UP", Master: "vmbr0"},
		{Name: "lo", Kind: "loopback", Up: true, OperState: "UNKNOWN"},
		{Name: "vmbr0", Kind: "bridge", Up: true, OperState: "LOWERLAYERDOWN"},
	}}
	plan := &live.Plan{Steps: []live.Step{
		{Op: live.OpAddrAdd, Link: "vmbr0", Text: "ip addr add 192.168.10.2/24 dev vmbr0", Where: "/etc/network/interfaces:19:1"},
	}}
	s := &Section{Area: "netlive"}
	netliveFindings(s, n, st, plan, nil)
	got := byCheck(s)
	d := got["netlive.drift"]
	if len(d) != 1 || d[0].Severity != Warning || !strings.Contains(d[0].Summary, "1 steps: ip addr add 192.168.10.2/24 dev vmbr0") || d[0].Where != "/etc/network/interfaces:19" {
		t.Errorf("drift %+v", d)
	}
	a := got["netlive.auto-down"]
	if len(a) != 1 || a[0].Severity != Warning || !strings.Contains(a[0].Summary, "vmbr0 is up but has no link") || a[0].Where != "/etc/network/interfaces:20" {
		t.Errorf("auto-down %+v", a)
	}

	s = &Section{Area: "netlive"}
	st.Links[2].OperState = "UP"
	netliveFindings(s, n, st, &live.Plan{}, nil)
	got = byCheck(s)
	if d := got["netlive.drift"]; len(d) != 1 || d[0].Severity != OK {
		t.Errorf("no drift: %+v", d)
	}
	if a := got["netlive.auto-down"]; len(a) != 1 || a[0].Severity != OK {
		t.Errorf("all up: %+v", a)
	}

	s = &Section{Area: "netlive"}
	netliveFindings(s, n, st, nil, fmt.Errorf("%w: /etc/network/interfaces:15:1: eno1: no such device", live.ErrPlan))
	if d := byCheck(s)["netlive.drift"]; len(d) != 1 || d[0].Severity != Error {
		t.Errorf("unplannable: %+v", d)
	}
	s = &Section{Area: "netlive"}
	netliveFindings(s, n, st, nil, errors.New("boom"))
	if d := byCheck(s)["netlive.drift"]; len(d) != 1 || d[0].Severity != Warning {
		t.Errorf("failed: %+v", d)
	}
}

func TestNetLiveWoL(t *testing.T) {
	s := &Section{Area: "netlive"}
	wolFindings(s, []*live.NIC{
		{Name: "eno1", Driver: "igb", WoLKnown: true, WoLSupported: live.WoLPHY | live.WoLMagic, WoL: live.WoLMagic},
		{Name: "eno2", Driver: "igb", WoLKnown: true, WoLSupported: live.WoLPHY | live.WoLMagic},
		{Name: "ens18", Driver: "virtio_net"},
	})
	want := []struct {
		sev  Severity
		text string
	}{
		{OK, "eno1 (igb): Wake-on-LAN by magic packet enabled"},
		{Info, "eno2 (igb): Wake-on-LAN d, supports pg"},
		{Info, "ens18 (virtio_net): no Wake-on-LAN support"},
	}
	if len(s.Findings) != len(want) {
		t.Fatalf("findings %+v", s.Findings)
	}
	for i, w := range want {
		if f := s.Findings[i]; f.Severity != w.sev || f.Summary != w.text {
			t.Errorf("finding %d: %s %q, want %s %q", i, f.Severity, f.Summary, w.sev, w.text)
		}
	}
	if !strings.Contains(s.Findings[1].Advice, "ethtool -s eno2 wol g") {
		t.Errorf("advice %q", s.Findings[1].Advice)
	}
}
