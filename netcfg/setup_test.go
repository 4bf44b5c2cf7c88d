package netcfg

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

func lacp(slaves ...string) *BondSpec {
	return &BondSpec{Slaves: slaves, Mode: Bond8023AD}
}

// TestSetupsReproduceSpec builds every setup with the admin guide's
// parameters and compares the result with the guide's example text.
func TestSetupsReproduceSpec(t *testing.T) {
	tests := []struct {
		name string
		f    *File
	}{
		{"bridge", DefaultBridge(BridgeSetup{Ports: []string{"eno1"}, Address: pfx("192.168.10.2/24"), Gateway: addr("192.168.10.1")})},
		{"routed", Routed(RoutedSetup{Uplink: "eno0", Address: pfx("198.51.100.5/29"), Gateway: addr("198.51.100.1"), BridgeAddress: pfx("203.0.113.17/28")})},
		{"masquerade", Masquerade(MasqueradeSetup{Uplink: "eno1", Address: pfx("198.51.100.5/24"), Gateway: addr("198.51.100.1"), BridgeAddress: pfx("10.10.10.1/24")})},
		{"bond-address", Bonded(BondSetup{Bond: BondSpec{Slaves: []string{"eno1", "eno2"}, Mode: Bond8023AD, Address: pfx("192.168.1.2/24")}, BridgePort: "eno3", Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")})},
		{"bond-bridge", Bonded(BondSetup{Bond: *lacp("eno1", "eno2"), Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")})},
		{"vlan-traditional", ManagementVLAN(VLANSetup{Port: "eno1", VLAN: 5, Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")})},
		{"vlan-aware", ManagementVLAN(VLANSetup{Port: "eno1", VLAN: 5, VLANAware: true, Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")})},
		{"vlan-bond-traditional", ManagementVLAN(VLANSetup{Bond: lacp("eno1", "eno2"), VLAN: 5, Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := string(specExample(t, tt.name))
			if diff := cmp.Diff(want, string(tt.f.Format())); diff != "" {
				t.Errorf("setup differs from the guide (-guide +built):\n%s", diff)
			}
		})
	}
}

func TestMasqueradeConntrack(t *testing.T) {
	f := Masquerade(MasqueradeSetup{Uplink: "eno1", Address: pfx("198.51.100.5/24"), Gateway: addr("198.51.100.1"), BridgeAddress: pfx("10.10.10.1/24"), ConntrackZones: true})
	zones, err := os.ReadFile("testdata/spec/conntrack-zone.lines")
	if err != nil {
		t.Fatal(err)
	}
	want := string(specExample(t, "masquerade"))
	for _, l := range strings.SplitAfter(string(zones), "\n") {
		if l != "" {
			want += "        " + l
		}
	}
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if fs := Check(f); len(fs) != 0 {
		t.Errorf("findings: %v", fs)
	}
}

// TestSetupsValidate builds the setups with other parameters and styles;
// each must validate clean and keep its meaning.
func TestSetupsValidate(t *testing.T) {
	ab := &BondSpec{Name: "bond1", Slaves: []string{"enp1s0f0", "enp1s0f1"}, Mode: BondActiveBackup, MIIMon: 200}
	files := map[string]*File{
		"bridge proxmox":   DefaultBridge(BridgeSetup{Bridge: "vmbr3", Ports: []string{"enp3s0f1"}, Address: pfx("2001:db8::2/64"), Gateway: addr("2001:db8::1"), VLANAware: true, DisableMACLearning: true, Style: ProxmoxStyle}),
		"bridge no port":   DefaultBridge(BridgeSetup{Style: GuideStyle}),
		"routed":           Routed(RoutedSetup{Uplink: "enp0s31f6", Address: pfx("192.0.2.10/29"), Gateway: addr("192.0.2.9"), Bridge: "vmbr1", BridgeAddress: pfx("198.51.100.1/28"), Style: ProxmoxStyle}),
		"aware bond":       ManagementVLAN(VLANSetup{Bond: ab, VLAN: 42, VLANAware: true, VIDs: "10-100", Address: pfx("10.42.0.2/24"), Gateway: addr("10.42.0.1"), Style: ProxmoxStyle}),
		"aware bond guide": ManagementVLAN(VLANSetup{Bond: lacp("eno1", "eno2"), VLAN: 5, VLANAware: true, Address: pfx("10.10.10.2/24"), Gateway: addr("10.10.10.1")}),
		"bond bridge":      Bonded(BondSetup{Bond: *ab, Bridge: "vmbr2", Address: pfx("10.0.0.2/24"), Gateway: addr("10.0.0.1"), Style: ProxmoxStyle}),
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			for _, fd := range Check(f) {
				t.Errorf("finding: %v\n%s", fd, f.Format())
			}
		})
	}
	n := NewNetwork(files["aware bond"])
	if v := n.Interface("vmbr0.42"); v == nil || v.VLAN.RawDevice != "vmbr0" || v.VLAN.ID != 42 {
		t.Errorf("vmbr0.42 = %+v", v)
	}
	if b := n.Interface("bond1").Bond; b.Mode != BondActiveBackup || *b.MIIMon != 200 || b.XmitHashPolicy != "" {
		t.Errorf("bond1 = %+v", b)
	}
	if br := n.Interface("vmbr0").Bridge; !br.VLANAware || br.VIDs[0] != (VIDRange{10, 100}) || br.Ports[0] != "bond1" {
		t.Errorf("vmbr0 = %+v", br)
	}
	if !strings.Contains(string(files["bridge proxmox"].Format()), "\taddress 2001:db8::2/64\n") {
		t.Errorf("Proxmox style not applied:\n%s", files["bridge proxmox"].Format())
	}
}
