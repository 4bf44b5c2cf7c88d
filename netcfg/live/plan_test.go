package live

import (
	"errors"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hostadm/hostadm/netcfg"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// hostState is a freshly booted host: lo and the given NICs, all down but
// lo.
func hostState(nics ...string) *State {
	s := &State{Links: []Link{{Index: 1, Name: "lo", Kind: "loopback", Up: true, MTU: 65536}}}
	s.Addresses = []Address{{Link: "lo", Prefix: netip.MustParsePrefix("127.0.0.1/8"), Scope: "host"}}
	for i, n := range nics {
		s.Links = append(s.Links, Link{Index: i + 2, Name: n, MTU: 1500, MAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(i + 1)}})
	}
	s.sort()
	return s
}

func parseFile(t testing.TB, name string, data []byte) *netcfg.Network {
	t.Helper()
	f, err := netcfg.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return netcfg.NewNetwork(f)
}

// golden compares got with testdata/plan/NAME.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("plan mismatch (-want +got):\n%s", diff)
	}
}

// TestPlanSpecExamples plans every example configuration of the admin
// guide against a freshly booted host with the NICs it names, then checks
// that the state the plan leads to needs no further step.
func TestPlanSpecExamples(t *testing.T) {
	nics := map[string][]string{
		"bridge":                {"eno1"},
		"routed":                {"eno0"},
		"masquerade":            {"eno1"},
		"bond-address":          {"eno1", "eno2", "eno3"},
		"bond-bridge":           {"eno1", "eno2"},
		"vlan-traditional":      {"eno1"},
		"vlan-aware":            {"eno1"},
		"vlan-bond-traditional": {"eno1", "eno2"},
		"mac-learning":          {"ens18", "tap100i0"},
	}
	for name, list := range nics {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "spec", name+".interfaces")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n := parseFile(t, "/etc/network/interfaces", data)
			opts := &Options{}
			if name == "mac-learning" {
				opts.FDB = []FDBEntry{{Port: "tap100i0", MAC: net.HardwareAddr{0xbc, 0x24, 0x11, 0, 0, 1}}}
			}
			tg, err := newTarget(n, opts)
			if err != nil {
				t.Fatal(err)
			}
			cur := hostState(list...)
			if name == "mac-learning" {
				cur.Links[len(cur.Links)-1].Master = "vmbr0" // joins once the guest starts
			}
			p, err := makePlan(tg, cur)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, p.String())
			// The steps lead to a state the same target finds complete.
			after := simulate(t, cur, p)
			again, err := makePlan(tg, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range again.Steps {
				if s.Op != OpExec {
					t.Errorf("second plan not empty: %s", s.Text)
				}
			}
		})
	}
}

// simulate applies a plan's steps to a copy of a state the way the kernel
// does, for checking that plans converge.
func simulate(t *testing.T, s *State, p *Plan) *State {
	t.Helper()
	out := &State{Sysctls: map[string]string{}}
	out.Links = append(out.Links, s.Links...)
	out.Addresses = append(out.Addresses, s.Addresses...)
	out.Routes = append(out.Routes, s.Routes...)
	out.FDB = append(out.FDB, s.FDB...)
	out.VLANs = append(out.VLANs, s.VLANs...)
	for k, v := range s.Sysctls {
		out.Sysctls[k] = v
	}
	link := func(name string) *Link {
		for i := range out.Links {
			if out.Links[i].Name == name {
				return &out.Links[i]
			}
		}
		t.Fatalf("step on missing link %s", name)
		return nil
	}
	for _, st := range p.Steps {
		switch st.Op {
		case OpCreate:
			l := *st.link
			l.MTU = 1500
			if st.chg.Bridge != nil {
				b := BridgeAttrs{ForwardDelay: 1500, DefaultPVID: 1}
				if o := st.chg.Bridge; o != nil {
					if o.STP != nil {
						b.STP = *o.STP
					}
					if o.ForwardDelay != nil {
						b.ForwardDelay = *o.ForwardDelay
					}
					if o.VLANFiltering != nil {
						b.VLANFiltering = *o.VLANFiltering
					}
				}
				l.Bridge = &b
			}
			if l.Kind == "bond" {
				b := BondAttrs{XmitHashPolicy: "layer2", LACPRate: "slow"}
				if o := st.chg.Bond; o != nil {
					applyBond(&b, o)
				}
				l.Bond = &b
			}
			out.Links = append(out.Links, l)
			out.sort()
		case OpDelete:
			for i := range out.Links {
				if out.Links[i].Name == st.Link {
					out.Links = append(out.Links[:i], out.Links[i+1:]...)
					break
				}
			}
			// Its ports leave, its addresses and routes go.
			for i := range out.Links {
				if out.Links[i].Master == st.Link {
					out.Links[i].Master, out.Links[i].Port = "", nil
				}
			}
			var addrs []Address
			for _, a := range out.Addresses {
				if a.Link != st.Link {
					addrs = append(addrs, a)
				}
			}
			out.Addresses = addrs
			var routes []Route
			for _, r := range out.Routes {
				if r.Link != st.Link {
					routes = append(routes, r)
				}
			}
			out.Routes = routes
		case OpSet:
			l := link(st.Link)
			if st.chg.MTU != 0 {
				l.MTU = st.chg.MTU
			}
			if st.chg.MAC != nil {
				l.MAC = st.chg.MAC
			}
			if o := st.chg.Bond; o != nil {
				applyBond(l.Bond, o)
			}
		case OpUp, OpDown:
			link(st.Link).Up = st.Op == OpUp
		case OpEnslave:
			l := link(st.Link)
			l.Master = st.master
			if link(st.master).Kind == "bridge" {
				l.Port = &PortAttrs{Learning: true, UnicastFlood: true}
				if link(st.master).Bridge.VLANFiltering {
					out.VLANs = append(out.VLANs, VLANEntry{Link: st.Link, VID: 1, PVID: true, Untagged: true})
				}
			}
		case OpRelease:
			link(st.Link).Master, link(st.Link).Port = "", nil
		case OpPort:
			link(st.Link).Port.Learning = st.port.Learning
		case OpVLAN:
			var cur, kept []VLANEntry
			for _, e := range out.VLANs {
				if e.Link == st.Link {
					cur = append(cur, e)
				} else {
					kept = append(kept, e)
				}
			}
			have := expandVLANs(cur)
			want := expandVLANs(st.vlans)
			if !st.manage {
				for v, f := range have {
					if _, ok := want[v]; !ok {
						want[v] = f
					}
				}
			}
			out.VLANs = append(kept, compress(st.Link, want, nil)...)
		case OpFDBAdd:
			out.FDB = append(out.FDB, st.fdb)
		case OpAddrAdd:
			out.Addresses = append(out.Addresses, Address{Link: st.Link, Prefix: st.addr})
		case OpAddrDel:
			for i, a := range out.Addresses {
				if a.Link == st.Link && a.Prefix == st.addr {
					out.Addresses = append(out.Addresses[:i], out.Addresses[i+1:]...)
					break
				}
			}
		case OpRouteAdd:
			out.Routes = append(out.Routes, st.route)
		case OpSysctl:
			out.Sysctls[strings.ReplaceAll(st.param, "/", ".")] = st.value
		}
	}
	out.sort()
	return out
}

func applyBond(b *BondAttrs, o *BondOptions) {
	if o.Mode != nil {
		b.Mode = *o.Mode
	}
	if o.MIIMon != nil {
		b.MIIMon = *o.MIIMon
	}
	if o.XmitHashPolicy != nil {
		b.XmitHashPolicy = *o.XmitHashPolicy
	}
	if o.LACPRate != nil {
		b.LACPRate = *o.LACPRate
	}
	if o.MinLinks != nil {
		b.MinLinks = *o.MinLinks
	}
}

func TestPlanChanges(t *testing.T) {
	base := `auto eno1
iface eno1 inet manual

auto vmbr0
iface vmbr0 inet static
        address 192.168.10.2/24
        gateway 192.168.10.1
        bridge-ports eno1
        bridge-stp off
        bridge-fd 0
`
	applied := func(t *testing.T, text string, nics ...string) *State {
		n := parseFile(t, "/etc/network/interfaces", []byte(text))
		tg, err := newTarget(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := hostState(nics...)
		p, err := makePlan(tg, s)
		if err != nil {
			t.Fatal(err)
		}
		return simulate(t, s, p)
	}
	for _, tc := range []struct {
		name, file string
		prev       string
		want       []string
	}{
		{
			name: "unchanged", file: base,
		},
		{
			name: "new address and gateway",
			file: strings.NewReplacer("192.168.10.2/24", "192.168.20.2/24", "192.168.10.1", "192.168.20.1").Replace(base),
			want: []string{
				"ip route del default via 192.168.10.1 dev vmbr0",
				"ip addr del 192.168.10.2/24 dev vmbr0",
				"ip addr add 192.168.20.2/24 dev vmbr0",
				"ip route replace default via 192.168.20.1 dev vmbr0",
			},
		},
		{
			name: "stp and forward delay",
			file: strings.NewReplacer("bridge-stp off", "bridge-stp on", "bridge-fd 0", "bridge-fd 15").Replace(base),
			want: []string{"ip link set vmbr0 type bridge stp_state 1 forward_delay 1500"},
		},
		{
			name: "port moves to a new bridge",
			file: base + "\nauto vmbr1\niface vmbr1 inet manual\n        bridge-ports eno2\n",
			want: []string{"ip link add vmbr1 type bridge stp_state 0", "ip link set eno2 master vmbr1", "ip link set eno2 up", "ip link set vmbr1 up"},
		},
		{
			name: "bridge removed with the previous file",
			file: "auto eno1\niface eno1 inet manual\n",
			prev: base,
			want: []string{"ip link del vmbr0"},
		},
		{
			name: "bridge kept without the previous file",
			file: "auto eno1\niface eno1 inet manual\n",
		},
		{
			name: "port dropped",
			file: strings.Replace(base, "bridge-ports eno1", "bridge-ports none", 1),
			want: []string{"ip link set eno1 nomaster  (not a port of vmbr0 any more)"},
		},
		{
			name: "hooks run when the link comes up only",
			file: base + "        post-up iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE\n",
		},
		{
			name: "sysctl hooks run when the value differs",
			file: base + "        post-up echo 1 > /proc/sys/net/ipv4/ip_forward\n        post-up sysctl -w net.ipv4.conf.eno1.proxy_arp=1\n",
			want: []string{"sysctl -w net.ipv4.ip_forward=1", "sysctl -w net.ipv4.conf.eno1.proxy_arp=1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := applied(t, base, "eno1", "eno2")
			opts := &Options{}
			if tc.prev != "" {
				opts.Previous = parseFile(t, "/etc/network/interfaces.old", []byte(tc.prev))
			}
			tg, err := newTarget(parseFile(t, "/etc/network/interfaces", []byte(tc.file)), opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := makePlan(tg, cur)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, stepTexts(p)); diff != "" {
				t.Errorf("steps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanHookSteps(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte(`auto vmbr0
iface vmbr0 inet static
        address 10.10.10.1/24
        bridge-ports none
        post-up   echo 1 > /proc/sys/net/ipv4/ip_forward
        post-up   iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE
        post-up   ip link show | grep -q vmbr0
        post-down iptables -t nat -D POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE
`))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(tg, hostState())
	if err != nil {
		t.Fatal(err)
	}
	var execs []Step
	for _, s := range p.Steps {
		if s.Op == OpExec || s.Op == OpSysctl {
			execs = append(execs, Step{Op: s.Op, Link: s.Link, Hook: s.Hook, Argv: s.Argv, Shell: s.Shell, Where: s.Where})
		}
	}
	want := []Step{
		{Op: OpSysctl, Where: "/etc/network/interfaces:5:9"},
		{Op: OpExec, Link: "vmbr0", Hook: "post-up", Where: "/etc/network/interfaces:6:9",
			Argv: []string{"iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.10.10.0/24", "-o", "eno1", "-j", "MASQUERADE"}},
		{Op: OpExec, Link: "vmbr0", Hook: "post-up", Where: "/etc/network/interfaces:7:9", Shell: "pipe"},
	}
	if diff := cmp.Diff(want, execs, cmpopts.IgnoreUnexported(Step{})); diff != "" {
		t.Errorf("hook steps mismatch (-want +got):\n%s", diff)
	}
}

func TestPlanRefusesMissingDevices(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte("auto vmbr0\niface vmbr0 inet manual\n    bridge-ports eno7\n\nauto eno9.5\niface eno9.5 inet manual\n"))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = makePlan(tg, hostState("eno1"))
	if !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), "eno7: no such device") || !strings.Contains(err.Error(), "interfaces:6:1: eno9: no such device") {
		t.Errorf("err = %v", err)
	}
}

func TestRestoreTargetUndoes(t *testing.T) {
	snap := hostState("eno1", "eno2")
	snap.Routes = []Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.1"), Link: "eno1", Protocol: "boot", Scope: "global", Type: "unicast"}}
	snap.Sysctls = map[string]string{"net.ipv4.ip_forward": "0"}
	n := parseFile(t, "/etc/network/interfaces", []byte(`auto vmbr0
iface vmbr0 inet static
        address 10.0.0.1/24
        gateway 10.0.0.254
        bridge-ports eno1 eno2
        mtu 9000
        post-up echo 1 > /proc/sys/net/ipv4/ip_forward
        post-down logger vmbr0 gone
`))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(tg, snap)
	if err != nil {
		t.Fatal(err)
	}
	after := simulate(t, snap, p)
	after.Routes = append(after.Routes[:0:0], Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.254"), Link: "vmbr0", Protocol: "boot", Type: "unicast"})
	rp, err := makePlan(restoreTarget(snap, tg, map[string]bool{"vmbr0": true}), after)
	if err != nil {
		t.Fatal(err)
	}
	restored := simulate(t, after, rp)
	if diff := cmp.Diff(snap, restored, planStateOpts()); diff != "" {
		t.Errorf("restored state mismatch (-want +got):\n%s\nsteps:\n%s", diff, rp)
	}
	if !strings.Contains(rp.String(), "post-down vmbr0: logger vmbr0 gone") {
		t.Errorf("restore does not run the down hook of the link it deletes:\n%s", rp)
	}
}

func planStateOpts() cmp.Option {
	return cmp.Options{
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Transformer("links", func(l []Link) []Link {
			out := make([]Link, len(l))
			for i, x := range l {
				x.Index = 0
				out[i] = x
			}
			return out
		}),
	}
}

func TestPlanOnlyInterfaces(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte(`auto vmbr0
iface vmbr0 inet manual
        bridge-ports eno1

auto vmbr1
iface vmbr1 inet manual
        bridge-ports eno2

iface vmbr2 inet manual
        bridge-ports none
`))
	tg, err := newTarget(n, &Options{Interfaces: []string{"vmbr1", "vmbr2"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(tg, hostState("eno1", "eno2"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip link add vmbr1 type bridge stp_state 0",
		"ip link add vmbr2 type bridge stp_state 0",
		"ip link set eno2 master vmbr1",
		"ip link set eno2 up",
		"ip link set vmbr1 up",
		"ip link set vmbr2 up",
	}
	if diff := cmp.Diff(want, stepTexts(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	if _, err := newTarget(n, &Options{Interfaces: []string{"vmbr9"}}); !errors.Is(err, netcfg.ErrNotFound) {
		t.Errorf("unknown interface: %v", err)
	}
}

func TestPlanAddressFamilies(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte(`auto eno1
iface eno1 inet static
        address 192.0.2.2/24
        gateway 192.0.2.1

iface eno1 inet6 auto
`))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := hostState("eno1")
	cur.Link("eno1").Up = true
	cur.Addresses = append(cur.Addresses,
		Address{Link: "eno1", Prefix: netip.MustParsePrefix("192.0.2.9/24")},
		Address{Link: "eno1", Prefix: netip.MustParsePrefix("2001:db8::9/64")},
		Address{Link: "eno1", Prefix: netip.MustParsePrefix("fe80::1/64")},
	)
	cur.Routes = []Route{
		{Dst: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fe80::1"), Link: "eno1", Protocol: "ra", Type: "unicast"},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.254"), Link: "eno1", Protocol: "boot", Type: "unicast"},
	}
	cur.sort()
	p, err := makePlan(tg, cur)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip route del default via 192.0.2.254 dev eno1",
		"ip addr del 192.0.2.9/24 dev eno1",
		"ip addr add 192.0.2.2/24 dev eno1",
		"ip route replace default via 192.0.2.1 dev eno1",
	}
	if diff := cmp.Diff(want, stepTexts(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "inet6 auto: addresses are left to the kernel's autoconfiguration") {
		t.Errorf("notes %q", p.Notes)
	}
}

func TestPlanDHCP(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte("auto eno1\niface eno1 inet dhcp\n\niface eno1 inet6 dhcp\n"))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(tg, hostState("eno1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip link set eno1 up",
		"dhcp eno1: dhclient -pf /run/dhclient.eno1.pid -lf /var/lib/dhcp/dhclient.eno1.leases eno1",
		"dhcp eno1: dhclient -6 -pf /run/dhclient6.eno1.pid -lf /var/lib/dhcp/dhclient6.eno1.leases eno1",
	}
	if diff := cmp.Diff(want, stepTexts(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	// Up already: nothing to do, dhclient keeps running.
	cur := hostState("eno1")
	cur.Link("eno1").Up = true
	if p, _ := makePlan(tg, cur); !p.Empty() {
		t.Errorf("re-apply:\n%s", p)
	}
}

// TestPlanKeepsGuestPorts checks which ports that bridge-ports does not
// list an apply releases: NICs, bonds and VLANs go; guests' taps, veths
// and firewall links stay, as do names bridge-ports-condone-regex matches.
func TestPlanKeepsGuestPorts(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte(`auto vmbr0
iface vmbr0 inet manual
        bridge-ports eno1
        bridge-ports-condone-regex ^eno9$
`))
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := hostState("eno1", "eno2", "eno9", "tap100i0", "veth101i0", "fwpr102p0", "bond3")
	for _, name := range []string{"eno1", "eno2", "eno9", "tap100i0", "veth101i0", "fwpr102p0", "bond3"} {
		l := cur.Link(name)
		l.Master, l.Up, l.Port = "vmbr0", true, &PortAttrs{Learning: true, UnicastFlood: true}
	}
	cur.Links = append(cur.Links, Link{Index: 99, Name: "vmbr0", Kind: "bridge", Up: true, MTU: 1500, Bridge: &BridgeAttrs{}})
	cur.sort()
	p, err := makePlan(tg, cur)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip link set bond3 nomaster  (not a port of vmbr0 any more)",
		"ip link set bond3 down",
		"ip link set eno2 nomaster  (not a port of vmbr0 any more)",
		"ip link set eno2 down",
	}
	if diff := cmp.Diff(want, stepTexts(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
}
