package live

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
)

// linkMessages are link messages as the kernel sends them, encoded by
// rtnetlink: a bridge, a bond, an 802.1ad VLAN and a bridge port.
func linkMessages(t testing.TB) [][]byte {
	t.Helper()
	stp, fd, vf, pvid := driver.BridgeStpStateEnabled, uint32(400), driver.BridgeEnableEnabled, uint16(1)
	mii, prim, minl := uint32(100), uint32(7), uint32(2)
	xmit, rate := driver.BondXmitHashPolicyLayer2_3, driver.BondLacpRateFast
	id, proto := uint16(5), driver.VlanProtocol8021AD
	learn := driver.BridgeEnableDisabled
	master := uint32(3)
	msgs := []*rtnetlink.LinkMessage{
		{Index: 3, Flags: 1, Attributes: &rtnetlink.LinkAttributes{Name: "vmbr0", MTU: 1500, Address: net.HardwareAddr{2, 0, 0, 0, 0, 1},
			OperationalState: rtnetlink.OperStateUp,
			Info:             &rtnetlink.LinkInfo{Kind: "bridge", Data: &driver.Bridge{StpState: &stp, ForwardDelay: &fd, VlanFiltering: &vf, VlanDefaultPvid: &pvid}}}},
		{Index: 4, Attributes: &rtnetlink.LinkAttributes{Name: "bond0", MTU: 9000,
			Info: &rtnetlink.LinkInfo{Kind: "bond", Data: &driver.Bond{Mode: driver.BondMode802_3AD, Miimon: &mii, Primary: &prim, MinLinks: &minl, XmitHashPolicy: &xmit, AdLacpRate: &rate}}}},
		{Index: 5, Attributes: &rtnetlink.LinkAttributes{Name: "bond0.5", MTU: 9000, Type: 4,
			Info: &rtnetlink.LinkInfo{Kind: "vlan", Data: &driver.Vlan{ID: &id, Protocol: &proto}}}},
		{Index: 6, Attributes: &rtnetlink.LinkAttributes{Name: "eno1", MTU: 1500, Master: &master,
			Info: &rtnetlink.LinkInfo{SlaveKind: "bridge", SlaveData: &driver.BridgePort{Learning: &learn}}}},
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestDecodeLinkMsg(t *testing.T) {
	want := []Link{
		{Index: 3, Name: "vmbr0", Kind: "bridge", Up: true, OperState: "UP", MTU: 1500, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
			Bridge: &BridgeAttrs{STP: true, ForwardDelay: 400, VLANFiltering: true, DefaultPVID: 1}},
		{Index: 4, Name: "bond0", Kind: "bond", MTU: 9000,
			Bond: &BondAttrs{Mode: 4, MIIMon: 100, XmitHashPolicy: "layer2+3", LACPRate: "fast", Primary: "7", MinLinks: 2}},
		{Index: 5, Name: "bond0.5", Kind: "vlan", MTU: 9000, VLAN: &VLANAttrs{ID: 5, Protocol: "802.1ad"}},
		{Index: 6, Name: "eno1", MTU: 1500, Port: &PortAttrs{}},
	}
	for i, b := range linkMessages(t) {
		got, master, parent, err := decodeLinkMsg(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("link %d mismatch (-want +got):\n%s", i, diff)
		}
		if i == 2 && parent != 4 || i == 3 && master != 3 {
			t.Errorf("link %d: master %d parent %d", i, master, parent)
		}
	}
	if _, _, _, err := decodeLinkMsg([]byte{1, 2}); err == nil {
		t.Error("short message accepted")
	}
}

// encodeLink writes a link message for l with rtnetlink (everything but
// the operational state and carrier, which rtnetlink does not write).
func encodeLink(t *testing.T, l Link, master, parent uint32) []byte {
	a := &rtnetlink.LinkAttributes{Name: l.Name, MTU: uint32(l.MTU), Address: l.MAC, PermAddress: l.PermMAC, Type: parent}
	if master != 0 {
		a.Master = &master
	}
	info := &rtnetlink.LinkInfo{}
	switch {
	case l.Bridge != nil:
		b := l.Bridge
		stp, fd, vf, pvid := driver.BridgeStpState(boolU8(b.STP)), uint32(b.ForwardDelay), driver.BridgeEnable(boolU8(b.VLANFiltering)), uint16(b.DefaultPVID)
		d := &driver.Bridge{StpState: &stp, ForwardDelay: &fd, VlanFiltering: &vf}
		if pvid != 0 {
			d.VlanDefaultPvid = &pvid
		}
		info.Kind, info.Data = "bridge", d
	case l.VLAN != nil:
		id, proto := uint16(l.VLAN.ID), driver.VlanProtocol8021Q
		if l.VLAN.Protocol == "802.1ad" {
			proto = driver.VlanProtocol8021AD
		}
		info.Kind, info.Data = "vlan", &driver.Vlan{ID: &id, Protocol: &proto}
	case l.Kind != "" && l.Kind != "loopback":
		info.Kind = l.Kind
	}
	if l.Port != nil {
		learn, flood := driver.BridgeEnable(boolU8(l.Port.Learning)), driver.BridgeEnable(boolU8(l.Port.UnicastFlood))
		info.SlaveKind, info.SlaveData = "bridge", &driver.BridgePort{Learning: &learn, UnicastFlood: &flood}
	}
	if info.Kind != "" || info.SlaveKind != "" {
		a.Info = info
	}
	m := &rtnetlink.LinkMessage{Index: uint32(l.Index), Attributes: a}
	if l.Up {
		m.Flags = 1
	}
	if l.Kind == "loopback" {
		m.Type = 772
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// rtnetlink does not encode the read-only permanent address.
	if len(l.PermMAC) > 0 {
		n := 4 + len(l.PermMAC)
		b = binary.NativeEndian.AppendUint16(b, uint16(n))
		b = binary.NativeEndian.AppendUint16(b, iflaPermAddress)
		b = append(b, l.PermMAC...)
		b = append(b, make([]byte, (4-n%4)%4)...)
	}
	return b
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// FuzzDecodeLinkMsg decodes any message without panicking; what it reads
// from one, written again, reads back the same.
func FuzzDecodeLinkMsg(f *testing.F) {
	for _, b := range linkMessages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, master, parent, err := decodeLinkMsg(b)
		if err != nil || l.Bond != nil || strings.ContainsRune(l.Name, 0) || l.Kind == "bridge" && l.Bridge == nil {
			return
		}
		if l.Name == "" || l.Kind != "" && l.Kind != "bridge" && l.Kind != "vlan" && l.Kind != "loopback" && l.Kind != strings.Trim(l.Kind, "\x00") {
			return
		}
		l.OperState, l.Carrier = "", false
		again, m2, p2, err := decodeLinkMsg(encodeLink(t, l, master, parent))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(l, again); diff != "" || m2 != master || p2 != parent {
			t.Fatalf("round trip mismatch (-first +again):\n%s", diff)
		}
	})
}
