//go:build vmtest

package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/netcfg"
)

// vmNS returns a client for a fresh namespace holding the guest's NICs
// under the given names (eno1, eno2, ...); they go back, under their own
// names, when the test ends.
func vmNS(t *testing.T, names ...string) (*Client, *testenv.NetNS) {
	t.Helper()
	testenv.RequireVM(t)
	nics := testenv.VMNICs(t, len(names))
	c, ns := nsClient(t)
	for i, name := range names {
		orig := nics[i]
		if out, err := exec.Command("ip", "link", "set", "dev", orig, "down").CombinedOutput(); err != nil {
			t.Fatalf("ip link set %s down: %v: %s", orig, err, out)
		}
		if out, err := exec.Command("ip", "link", "set", "dev", orig, "netns", ns.Name, "name", name).CombinedOutput(); err != nil {
			t.Fatalf("move %s into the namespace: %v: %s", orig, err, out)
		}
		t.Cleanup(func() {
			exec.Command("ip", "-n", ns.Name, "link", "set", "dev", name, "down").Run()
			exec.Command("ip", "-n", ns.Name, "link", "set", "dev", name, "nomaster").Run()
			if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "dev", name, "netns", "1", "name", orig).CombinedOutput(); err != nil {
				t.Errorf("move %s back: %v: %s", name, err, out)
			}
		})
	}
	return c, ns
}

// ipLink is a link as "ip -j -d link show" prints it.
type ipLink struct {
	Name      string   `json:"ifname"`
	Flags     []string `json:"flags"`
	MTU       int      `json:"mtu"`
	Master    string   `json:"master"`
	Link      string   `json:"link"`
	OperState string   `json:"operstate"`
	Address   string   `json:"address"`
	Info      struct {
		Kind      string         `json:"info_kind"`
		Data      map[string]any `json:"info_data"`
		SlaveKind string         `json:"info_slave_kind"`
		SlaveData map[string]any `json:"info_slave_data"`
	} `json:"linkinfo"`
}

func (l ipLink) up() bool {
	for _, f := range l.Flags {
		if f == "UP" {
			return true
		}
	}
	return false
}

func ipLinks(t *testing.T, ns *testenv.NetNS) map[string]ipLink {
	t.Helper()
	var list []ipLink
	ipJSON(t, ns, &list, "-d", "link", "show")
	m := map[string]ipLink{}
	for _, l := range list {
		m[l.Name] = l
	}
	return m
}

// checkAgainstIP compares what the file asks with ip's view of the
// namespace, interface by interface, and that a second apply is a no-op.
func checkAgainstIP(t *testing.T, c *Client, ns *testenv.NetNS, n *netcfg.Network, opts *Options) {
	t.Helper()
	links := ipLinks(t, ns)
	var addrs []struct {
		Name     string `json:"ifname"`
		AddrInfo []struct {
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	ipJSON(t, ns, &addrs, "addr", "show")
	var routes []struct {
		Dst, Gateway, Dev string
	}
	ipJSON(t, ns, &routes, "route", "show", "default")
	tg, err := newTarget(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range tg.links {
		l, ok := links[w.name]
		if !ok {
			t.Errorf("%s: ip does not show it", w.name)
			continue
		}
		if !l.up() {
			t.Errorf("%s: not up: %v", w.name, l.Flags)
		}
		if w.kind != "" && l.Info.Kind != w.kind {
			t.Errorf("%s: kind %q, want %q", w.name, l.Info.Kind, w.kind)
		}
		if w.master != nil && l.Master != *w.master {
			t.Errorf("%s: master %q, want %q", w.name, l.Master, *w.master)
		}
		if w.mtu != 0 && l.MTU != w.mtu {
			t.Errorf("%s: mtu %d, want %d", w.name, l.MTU, w.mtu)
		}
		d := l.Info.Data
		if b := w.bridge; b != nil {
			if b.STP != nil && d["stp_state"] != boolNum(*b.STP) {
				t.Errorf("%s: stp_state %v", w.name, d["stp_state"])
			}
			if b.ForwardDelay != nil && d["forward_delay"] != float64(*b.ForwardDelay) {
				t.Errorf("%s: forward_delay %v, want %d", w.name, d["forward_delay"], *b.ForwardDelay)
			}
			if b.VLANFiltering != nil && d["vlan_filtering"] != boolNum(*b.VLANFiltering) {
				t.Errorf("%s: vlan_filtering %v", w.name, d["vlan_filtering"])
			}
		}
		if b := w.bond; b != nil {
			if d["mode"] != b.Mode.String() {
				t.Errorf("%s: mode %v, want %s", w.name, d["mode"], b.Mode)
			}
			if b.MIIMon != nil && d["miimon"] != float64(*b.MIIMon) {
				t.Errorf("%s: miimon %v", w.name, d["miimon"])
			}
			if b.XmitHashPolicy != nil && d["xmit_hash_policy"] != *b.XmitHashPolicy {
				t.Errorf("%s: xmit_hash_policy %v", w.name, d["xmit_hash_policy"])
			}
		}
		if v := w.vlan; v != nil {
			if d["id"] != float64(v.ID) || l.Link != w.parent || !strings.EqualFold(fmt.Sprint(d["protocol"]), v.Protocol) {
				t.Errorf("%s: vlan %v on %q, want %d on %s", w.name, d, l.Link, v.ID, w.parent)
			}
		}
		if w.port != nil && l.Info.SlaveKind == "bridge" && l.Info.SlaveData["learning"] != w.port.Learning {
			t.Errorf("%s: learning %v, want %v", w.name, l.Info.SlaveData["learning"], w.port.Learning)
		}
		for _, a := range w.addrs {
			found := false
			for _, ia := range addrs {
				if ia.Name != w.name {
					continue
				}
				for _, ai := range ia.AddrInfo {
					if ai.Local == a.Addr().String() && ai.PrefixLen == a.Bits() {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: address %s missing", w.name, a)
			}
		}
		for _, g := range w.gateways {
			found := false
			for _, r := range routes {
				if r.Gateway == g.String() && r.Dev == w.name {
					found = true
				}
			}
			if !found && g.Is4() {
				t.Errorf("%s: no default route via %s: %+v", w.name, g, routes)
			}
		}
	}
	// Our reading of the kernel agrees with ip's.
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Links {
		il := links[l.Name]
		kind := il.Info.Kind
		if l.Name == "lo" {
			kind = "loopback"
		}
		if l.Kind != kind || l.Master != il.Master || l.MTU != il.MTU || l.Up != il.up() {
			t.Errorf("%s: Links says %+v, ip says %+v", l.Name, l, il)
		}
		if l.Bond != nil && (l.Bond.Mode.String() != il.Info.Data["mode"] || float64(l.Bond.MIIMon) != il.Info.Data["miimon"]) {
			t.Errorf("%s: bond %+v, ip says %v", l.Name, *l.Bond, il.Info.Data)
		}
	}
	res, err := c.Apply(context.Background(), n, opts)
	if err != nil || !res.NoOp() {
		t.Errorf("re-apply: %v\n%s", err, res.Plan)
	}
}

// TestSpecExamplesVM applies every example configuration of the admin
// guide end to end on the guest's NICs and compares the result with ip.
func TestSpecExamplesVM(t *testing.T) {
	examples := map[string][]string{
		"bridge":                {"eno1"},
		"routed":                {"eno0"},
		"masquerade":            {"eno1"},
		"bond-address":          {"eno1", "eno2", "eno3"},
		"bond-bridge":           {"eno1", "eno2"},
		"vlan-traditional":      {"eno1"},
		"vlan-aware":            {"eno1"},
		"vlan-bond-traditional": {"eno1", "eno2"},
		"mac-learning":          {"ens18"},
	}
	// The masquerade example's iptables lines run through a stand-in
	// that records them (the guest has no iptables).
	bin := t.TempDir()
	log := filepath.Join(bin, "iptables.log")
	if err := os.WriteFile(filepath.Join(bin, "iptables"), []byte("#!/bin/sh\necho \"$@\" >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	for name, nics := range examples {
		t.Run(name, func(t *testing.T) {
			c, ns := vmNS(t, nics...)
			data, err := os.ReadFile(filepath.Join("testdata", "spec", name+".interfaces"))
			if err != nil {
				t.Fatal(err)
			}
			n := parseFile(t, "/etc/network/interfaces", data)
			opts := &Options{}
			if name == "mac-learning" {
				veth(t, c, "tap100i0", "peer100")
				mac, _ := net.ParseMAC("bc:24:11:00:00:01")
				opts.FDB = []FDBEntry{{Port: "tap100i0", MAC: mac}}
				// The guest's tap joins first, as qemu-server does.
				if _, err := c.Apply(context.Background(), n, nil); err != nil {
					t.Fatal(err)
				}
				if err := c.SetMaster(context.Background(), "tap100i0", "vmbr0"); err != nil {
					t.Fatal(err)
				}
			}
			res, err := c.Apply(context.Background(), n, opts)
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, res.Plan)
			}
			checkAgainstIP(t, c, ns, n, opts)
			switch name {
			case "routed", "masquerade":
				var fwd string
				ns.Do(func() error {
					b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
					fwd = strings.TrimSpace(string(b))
					return err
				})
				if fwd != "1" {
					t.Errorf("ip_forward = %q", fwd)
				}
				if name == "masquerade" {
					b, _ := os.ReadFile(log)
					if !strings.Contains(string(b), "-t nat -A POSTROUTING -s 10.10.10.0/24 -o eno1 -j MASQUERADE") {
						t.Errorf("post-up did not run iptables: %q", b)
					}
				}
			case "vlan-aware":
				var vl []struct {
					Name  string `json:"ifname"`
					VLANs []struct {
						VLAN    int      `json:"vlan"`
						VLANEnd int      `json:"vlanEnd"`
						Flags   []string `json:"flags"`
					} `json:"vlans"`
				}
				out, err := exec.Command("ip", "netns", "exec", ns.Name, "bridge", "-j", "-compressvlans", "vlan", "show").Output()
				if err != nil || json.Unmarshal(out, &vl) != nil {
					t.Fatalf("bridge vlan show: %v %s", err, out)
				}
				got := map[string]string{}
				for _, e := range vl {
					var parts []string
					for _, v := range e.VLANs {
						s := fmt.Sprint(v.VLAN)
						if v.VLANEnd != 0 {
							s += fmt.Sprintf("-%d", v.VLANEnd)
						}
						if len(v.Flags) > 0 {
							s += " " + strings.Join(v.Flags, " ")
						}
						parts = append(parts, s)
					}
					got[e.Name] = strings.Join(parts, ", ")
				}
				want := map[string]string{"eno1": "1 PVID Egress Untagged, 2-4094", "vmbr0": "1 PVID Egress Untagged, 5"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("bridge vlan show mismatch (-want +got):\n%s", diff)
				}
			case "mac-learning":
				out, _ := exec.Command("ip", "netns", "exec", ns.Name, "bridge", "fdb", "show", "dev", "tap100i0").Output()
				if !strings.Contains(string(out), "bc:24:11:00:00:01 master vmbr0 static") {
					t.Errorf("bridge fdb show: %s", out)
				}
			}
		})
	}
}

// TestVLANReadBackVM reads a VLAN device back.
func TestVLANReadBackVM(t *testing.T) {
	c, ns := vmNS(t, "eno1")
	ctx := context.Background()
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "add", "link", "eno1", "name", "eno1.5", "type", "vlan", "id", "5").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	l, err := c.Link(ctx, "eno1.5")
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != "vlan" || l.Parent != "eno1" || l.VLAN == nil || *l.VLAN != (VLANAttrs{ID: 5, Protocol: "802.1Q"}) {
		t.Errorf("eno1.5: %+v %+v", l, l.VLAN)
	}
}

// TestBondModesVM creates a bond in every mode with the options the
// guide uses, compares it with ip, and changes the mode of a live bond.
func TestBondModesVM(t *testing.T) {
	modes := []string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}
	for i, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			c, ns := vmNS(t, "eno1", "eno2")
			file := func(mode string) string {
				s := "auto bond0\niface bond0 inet static\n\taddress 192.168.1.2/24\n\tbond-slaves eno1 eno2\n\tbond-miimon 100\n\tbond-mode " + mode + "\n\tbond-min-links 1\n"
				switch mode {
				case "balance-xor", "802.3ad":
					s += "\tbond-xmit-hash-policy layer2+3\n"
				case "active-backup":
					s += "\tbond-primary eno1\n"
				}
				if mode == "802.3ad" {
					s += "\tbond-lacp-rate fast\n"
				}
				return s
			}
			n := parseFile(t, "/etc/network/interfaces", []byte(file(mode)))
			if res, err := c.Apply(context.Background(), n, nil); err != nil {
				t.Fatalf("apply: %v\n%s", err, res.Plan)
			}
			checkAgainstIP(t, c, ns, n, nil)
			d := ipLinks(t, ns)["bond0"].Info.Data
			if d["min_links"] != float64(1) {
				t.Errorf("min_links %v", d["min_links"])
			}
			if mode == "active-backup" && d["primary"] != "eno1" {
				t.Errorf("primary %v", d["primary"])
			}
			if mode == "802.3ad" && d["ad_lacp_rate"] != "fast" {
				t.Errorf("ad_lacp_rate %v", d["ad_lacp_rate"])
			}
			// Change the mode of the running bond.
			next := modes[(i+1)%len(modes)]
			n2 := parseFile(t, "/etc/network/interfaces", []byte(file(next)))
			if res, err := c.Apply(context.Background(), n2, nil); err != nil {
				t.Fatalf("mode %s to %s: %v\n%s", mode, next, err, res.Plan)
			}
			checkAgainstIP(t, c, ns, n2, nil)
		})
	}
}

// TestVLANDevicesVM covers VLAN devices on NICs, bonds and bridges,
// 802.1ad, and a changed VLAN ID (the device is made anew).
func TestVLANDevicesVM(t *testing.T) {
	c, ns := vmNS(t, "eno1", "eno2")
	text := `auto eno1.10
iface eno1.10 inet static
        address 10.0.10.2/24
        mtu 1400

auto vlan20
iface vlan20 inet static
        address 10.0.20.2/24
        vlan-raw-device eno2
        vlan-id 20
        vlan-protocol 802.1ad
`
	n := parseFile(t, "/etc/network/interfaces", []byte(text))
	if res, err := c.Apply(context.Background(), n, nil); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Plan)
	}
	checkAgainstIP(t, c, ns, n, nil)
	n2 := parseFile(t, "/etc/network/interfaces", []byte(strings.Replace(text, "vlan-id 20", "vlan-id 21", 1)))
	res, err := c.Apply(context.Background(), n2, nil)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Plan)
	}
	if !strings.Contains(res.Plan.String(), "ip link del vlan20") {
		t.Errorf("VLAN ID change without re-creating:\n%s", res.Plan)
	}
	checkAgainstIP(t, c, ns, n2, nil)
}

// TestRollbackBondsVM fails an apply that changes bonds, VLANs and a
// VLAN-aware bridge half way and checks that the namespace is back, field
// by field; then the same without confirmation.
func TestRollbackBondsVM(t *testing.T) {
	before := `auto bond0
iface bond0 inet static
        address 192.168.1.2/24
        bond-slaves eno1 eno2
        bond-miimon 100
        bond-mode active-backup

auto bond0.5
iface bond0.5 inet static
        address 10.5.0.2/24
`
	after := `auto bond0
iface bond0 inet manual
        bond-slaves eno1
        bond-miimon 200
        bond-mode 802.3ad
        bond-xmit-hash-policy layer3+4

auto vmbr0
iface vmbr0 inet static
        address 10.10.10.2/24
        gateway 10.10.10.1
        bridge-ports bond0 eno2
        bridge-stp off
        bridge-fd 0
        bridge-vlan-aware yes
        bridge-vids 2-100

auto vmbr0.7
iface vmbr0.7 inet static
        address 10.7.0.2/24
`
	for _, confirm := range []bool{false, true} {
		t.Run(fmt.Sprintf("confirm=%v", confirm), func(t *testing.T) {
			c, _ := vmNS(t, "eno1", "eno2")
			ctx := context.Background()
			if _, err := c.Apply(ctx, parseFile(t, "/etc/network/interfaces", []byte(before)), nil); err != nil {
				t.Fatal(err)
			}
			snap, err := c.State(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !confirm {
				n := parseFile(t, "/etc/network/interfaces", []byte(after+"        post-up /bin/false\n"))
				res, err := c.Apply(ctx, n, nil)
				if !errors.Is(err, ErrRestored) {
					t.Fatalf("apply: %v\nplan:\n%s\nrestore:\n%v", err, res.Plan, res.Restore)
				}
			} else {
				tx, err := c.ApplyConfirm(ctx, parseFile(t, "/etc/network/interfaces", []byte(after)), nil, 500_000_000)
				if err != nil {
					t.Fatal(err)
				}
				<-tx.Done()
				if !errors.Is(tx.Err(), ErrNotConfirmed) {
					t.Fatal(tx.Err())
				}
			}
			sameState(t, c, snap)
		})
	}
}

// TestEthtoolVM reads a virtio NIC through ethtool and forces its link
// mode (virtio_net takes speed and duplex with autoneg off), comparing
// with ethtool(8).
func TestEthtoolVM(t *testing.T) {
	c, ns := vmNS(t, "eno1")
	ctx := context.Background()
	if err := c.SetUp(ctx, "eno1", true); err != nil {
		t.Fatal(err)
	}
	nic, err := c.NIC(ctx, "eno1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "netns", "exec", ns.Name, "ethtool", "-i", "eno1").Output()
	if err != nil {
		t.Fatal(err)
	}
	if nic.Driver != "virtio_net" || !strings.Contains(string(out), "bus-info: "+nic.BusInfo) || nic.BusInfo == "" {
		t.Errorf("NIC %+v, ethtool -i:\n%s", nic, out)
	}
	speed, duplex, autoneg := 1000, "full", false
	if err := c.SetLinkMode(ctx, "eno1", LinkModeChange{Speed: &speed, Duplex: &duplex, Autoneg: &autoneg}); err != nil {
		t.Fatal(err)
	}
	nic, err = c.NIC(ctx, "eno1")
	if err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command("ip", "netns", "exec", ns.Name, "ethtool", "eno1").Output()
	if nic.Speed != 1000 || nic.Duplex != "full" || nic.Autoneg || !strings.Contains(string(out), "Speed: 1000Mb/s") || !strings.Contains(string(out), "Duplex: Full") {
		t.Errorf("after setting 1000/full: %+v, ethtool says:\n%s", nic, out)
	}
	if nic.WoLKnown && nic.WoLSupported != 0 {
		t.Errorf("virtio reports Wake-on-LAN: %+v", nic)
	}
}
