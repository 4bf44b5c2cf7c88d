package netcfg

import (
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePredictableName(t *testing.T) {
	mac, _ := net.ParseMAC("00:11:22:33:44:55")
	base := PredictableName{Domain: -1, Bus: -1, Slot: -1, Function: -1, Index: -1, DevPort: -1, BCMA: -1, USBConfig: -1, USBInterface: -1, VF: -1}
	with := func(f func(p *PredictableName)) PredictableName {
		p := base
		p.Prefix = "en"
		f(&p)
		return p
	}
	tests := []struct {
		name string
		want PredictableName
	}{
		{"eno1", with(func(p *PredictableName) { p.Scheme, p.Index = "onboard", 1 })},
		{"eno1np0", with(func(p *PredictableName) { p.Scheme, p.Index, p.PhysPortName = "onboard", 1, "p0" })},
		{"enp3s0f1", with(func(p *PredictableName) { p.Scheme, p.Bus, p.Slot, p.Function = "path", 3, 0, 1 })},
		{"enp3s0f1d2", with(func(p *PredictableName) { p.Scheme, p.Bus, p.Slot, p.Function, p.DevPort = "path", 3, 0, 1, 2 })},
		{"enP2p1s0", with(func(p *PredictableName) { p.Scheme, p.Domain, p.Bus, p.Slot = "path", 2, 1, 0 })},
		{"ens1", with(func(p *PredictableName) { p.Scheme, p.Slot = "slot", 1 })},
		{"ens2f0v3", with(func(p *PredictableName) { p.Scheme, p.Slot, p.Function, p.VF = "slot", 2, 0, 3 })},
		{"enp0s20u1u2i3", with(func(p *PredictableName) {
			p.Scheme, p.Bus, p.Slot, p.USB, p.USBInterface = "path", 0, 20, []int{1, 2}, 3
		})},
		{"enx001122334455", with(func(p *PredictableName) { p.Scheme, p.MAC = "mac", mac })},
		{"wlp2s0", func() PredictableName {
			p := with(func(p *PredictableName) { p.Scheme, p.Bus, p.Slot = "path", 2, 0 })
			p.Prefix = "wl"
			return p
		}()},
		{"enc0.0.123", with(func(p *PredictableName) { p.Scheme, p.ID = "ccw", "0.0.123" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePredictableName(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if s := got.String(); s != tt.name {
				t.Errorf("String() = %q, want %q", s, tt.name)
			}
		})
	}
	for _, bad := range []string{"enwan0", "eth0", "vmbr0", "en", "enp3", "enps0", "enx0011", "bond0", "eno", "enp3s0f", "enoone"} {
		if _, err := ParsePredictableName(bad); !errors.Is(err, ErrNotPredictable) {
			t.Errorf("ParsePredictableName(%q) = %v, want ErrNotPredictable", bad, err)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name string
		want Name
	}{
		{"lo", Name{Name: "lo", Kind: KindLoopback, Index: -1}},
		{"eth0", Name{Name: "eth0", Kind: KindPhysical, Index: 0}},
		{"vmbr4094", Name{Name: "vmbr4094", Kind: KindBridge, Index: 4094}},
		{"vmbr0v5", Name{Name: "vmbr0v5", Kind: KindBridge, Index: 0, Parent: "vmbr0", VLAN: 5}},
		{"bond1", Name{Name: "bond1", Kind: KindBond, Index: 1}},
		{"eno1.50", Name{Name: "eno1.50", Kind: KindVLAN, Index: -1, Parent: "eno1", VLAN: 50}},
		{"bond1.30", Name{Name: "bond1.30", Kind: KindVLAN, Index: -1, Parent: "bond1", VLAN: 30}},
		{"vlan7", Name{Name: "vlan7", Kind: KindVLAN, Index: -1, VLAN: 7}},
		{"enwan0", Name{Name: "enwan0", Kind: KindPhysical, Index: -1}},
		{"tap100i0", Name{Name: "tap100i0", Kind: KindOther, Index: -1}},
		{"vmbr01", Name{Name: "vmbr01", Kind: KindOther, Index: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseName(tt.name)
			got.Predictable = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if p := ParseName("enp3s0f1").Predictable; p == nil || p.Bus != 3 || p.Function != 1 {
		t.Errorf("enp3s0f1 predictable = %+v", p)
	}
}

func TestCheckPinName(t *testing.T) {
	for name, ok := range map[string]bool{
		"enwan0": true, "enlan1": true, "ethwan": true,
		"eth0": false, "eno1": false, "enp3s0": false, "ens1": false, "enx001122334455": false,
		"wan0": false, "en.1": false, "": false, "enaveryverylongx": false, "en wan": false,
	} {
		if err := CheckPinName(name); (err == nil) != ok {
			t.Errorf("CheckPinName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestNamingScheme(t *testing.T) {
	tests := []struct {
		cmdline, want string
		ok            bool
	}{
		{"BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro quiet", "", false},
		{"root=ZFS=rpool/ROOT/pve-1 boot=zfs net.naming-scheme=v252", "v252", true},
		{`quiet "net.naming-scheme=v247" net.naming-scheme=v252`, "v252", true},
		{`foo="a net.naming-scheme=v1" bar`, "", false},
	}
	for _, tt := range tests {
		got, ok := NamingScheme(tt.cmdline)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NamingScheme(%q) = %q, %v", tt.cmdline, got, ok)
		}
	}
	for v, ok := range map[string]bool{"v252": true, "v238": true, "latest": true, "rhel-9.0": true, "v100": false, "252": false, "": false} {
		if ValidNamingScheme(v) != ok {
			t.Errorf("ValidNamingScheme(%q) != %v", v, ok)
		}
	}
}

// FuzzNames decodes arbitrary names: no panic, and a predictable name's
// parts encode to a name that decodes to the same parts.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"eno1", "enp3s0f1", "enP2p1s0f0np1", "ens1d2", "enx001122334455", "eno1.50", "vmbr0v5", "bond0", "eth1", "enp0s20u1u2c2i3", "ens2f0v7", "enc0.0.1234", "swp[1-3].100", "lo", "enwan0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		_ = ParseName(name)
		_ = CheckPinName(name)
		_ = CheckName(name)
		parseRange(name)
		p, err := ParsePredictableName(name)
		if err != nil {
			return
		}
		again, err := ParsePredictableName(p.String())
		if err != nil {
			t.Fatalf("%q decodes to %+v, which encodes to %q that does not decode: %v", name, p, p.String(), err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("%q: re-decoding %q differs (-first +again):\n%s", name, p.String(), diff)
		}
	})
}
