package netcfg

import (
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/NAME, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// TestModelGolden records the typed model of every spec example.
func TestModelGolden(t *testing.T) {
	for name, data := range specExamples(t) {
		t.Run(name, func(t *testing.T) {
			f, _ := Parse(name+".interfaces", data)
			b, err := json.MarshalIndent(NewNetwork(f), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("spec", name+".model.json"), append(b, '\n'))
		})
	}
}

func TestModelBondVLAN(t *testing.T) {
	f, _ := Parse("x", specExample(t, "vlan-bond-traditional"))
	n := NewNetwork(f)
	bond := n.Interface("bond0")
	if bond == nil || bond.Kind != KindBond {
		t.Fatalf("bond0 = %+v", bond)
	}
	want := &Bond{Slaves: []string{"eno1", "eno2"}, Mode: Bond8023AD, ModeSet: true, MIIMon: ptr(100), XmitHashPolicy: "layer2+3"}
	if diff := cmp.Diff(want, bond.Bond); diff != "" {
		t.Errorf("bond mismatch (-want +got):\n%s", diff)
	}
	v := n.Interface("bond0.5")
	if diff := cmp.Diff(&VLAN{ID: 5, RawDevice: "bond0", Dotted: true}, v.VLAN); diff != "" {
		t.Errorf("vlan mismatch (-want +got):\n%s", diff)
	}
	br := n.Interface("vmbr0v5")
	if br.Kind != KindBridge || br.Bridge.Ports[0] != "bond0.5" || !br.Auto {
		t.Errorf("vmbr0v5 = %+v", br)
	}
	if diff := cmp.Diff([]netip.Prefix{netip.MustParsePrefix("10.10.10.2/24")}, br.Addresses, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	ord, err := n.Ordered()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, x := range ord {
		pos[x.Name] = i
	}
	for _, dep := range [][2]string{{"eno1", "bond0"}, {"bond0", "bond0.5"}, {"bond0.5", "vmbr0v5"}, {"bond0", "vmbr0"}} {
		if pos[dep[0]] > pos[dep[1]] {
			t.Errorf("%s ordered after %s", dep[0], dep[1])
		}
	}
}

func TestModelForms(t *testing.T) {
	src := `auto vlan10 vmbr1 bond1
iface vlan10 inet6 static
	vlan-raw-device eno2
	address fd00::2
	netmask 64
	gateway fd00::1
iface vmbr1 inet manual
	bridge_ports eno3 eno4
	bridge_vlan_aware yes
	bridge-vids 2-10 20 30-40
	bridge-stp on
	bridge-fd 2.5
	bridge-disable-mac-learning 1
	mtu 9000
	hwaddress ether 02:00:00:00:00:01
	post-up ip route add 10.0.0.0/8 dev $IFACE
	pre-down ip route del 10.0.0.0/8 dev $IFACE
	dns-nameservers 1.1.1.1
iface bond1 inet static
	address 192.0.2.1
	netmask 255.255.255.0
	address 192.0.2.2/24
	netmask 255.255.0.0
	address 192.0.2.3 192.0.2.4
	bond-ports eno5 eno6
	bond-mode 1
	bond-primary eno5
	bond-lacp-rate 1
	bond-min-links 1
	bond-xmit-hash-policy 2
iface ovsbr inet manual
	ovs_type OVSBridge
	ovs_ports ovsint
iface ovsint inet manual
	ovs_type OVSIntPort
	ovs_bridge ovsbr
	ovs_tag 7
`
	f, err := Parse("forms", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := NewNetwork(f)
	v := n.Interface("vlan10")
	if diff := cmp.Diff(&VLAN{ID: 10, RawDevice: "eno2"}, v.VLAN); diff != "" {
		t.Errorf("vlan10 (-want +got):\n%s", diff)
	}
	if got := v.Addresses; len(got) != 1 || got[0] != netip.MustParsePrefix("fd00::2/64") {
		t.Errorf("vlan10 addresses = %v", got)
	}
	br := n.Interface("vmbr1")
	wantBr := &Bridge{Ports: []string{"eno3", "eno4"}, STP: ptr(true), ForwardDelay: ptr(2.5), VLANAware: true,
		VIDs: []VIDRange{{2, 10}, {20, 20}, {30, 40}}, DisableMACLearning: true}
	if diff := cmp.Diff(wantBr, br.Bridge); diff != "" {
		t.Errorf("vmbr1 bridge (-want +got):\n%s", diff)
	}
	if br.MTU != 9000 || br.HWAddress.String() != "02:00:00:00:00:01" {
		t.Errorf("vmbr1 mtu %d hw %v", br.MTU, br.HWAddress)
	}
	wantCmds := []Command{
		{Hook: "post-up", Line: "ip route add 10.0.0.0/8 dev vmbr1", Pos: Pos{"forms", 16, 2}},
		{Hook: "pre-down", Line: "ip route del 10.0.0.0/8 dev vmbr1", Pos: Pos{"forms", 17, 2}},
	}
	if diff := cmp.Diff(wantCmds, br.Commands); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if len(br.Unknown) != 1 || br.Unknown[0].Key != "dns-nameservers" {
		t.Errorf("unknown = %+v", br.Unknown)
	}
	b := n.Interface("bond1")
	wantBond := &Bond{Slaves: []string{"eno5", "eno6"}, Mode: BondActiveBackup, ModeSet: true, Primary: "eno5",
		LACPRate: "fast", MinLinks: ptr(1), XmitHashPolicy: "layer2+3"}
	if diff := cmp.Diff(wantBond, b.Bond); diff != "" {
		t.Errorf("bond1 (-want +got):\n%s", diff)
	}
	// A netmask belongs to the address line before it and counts only
	// when that address has no length; a line with two addresses is
	// refused as ifupdown2 refuses it.
	wantAddrs := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")}
	if diff := cmp.Diff(wantAddrs, b.Addresses, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("bond1 addresses (-want +got):\n%s", diff)
	}
	if fs := n.Validate(); !hasCheck(fs, "address", 24) {
		t.Errorf("no address finding at line 24: %v", fs)
	}
	ovs := n.Interface("ovsint")
	if ovs.Kind != KindOVSIntPort || ovs.OVS.Bridge != "ovsbr" || ovs.OVS.Tag != 7 {
		t.Errorf("ovsint = %+v %+v", ovs, ovs.OVS)
	}
	if k := n.Interface("ovsbr").Kind; k != KindOVSBridge {
		t.Errorf("ovsbr kind %v", k)
	}
	if !n.Interface("bond1").Auto || n.Interface("ovsbr").Auto {
		t.Error("auto flags wrong")
	}
}

func specExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/spec", name+".interfaces"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

func hasCheck(fs []Finding, check string, line int) bool {
	for _, f := range fs {
		if f.Check == check && f.Pos.Line == line {
			return true
		}
	}
	return false
}
