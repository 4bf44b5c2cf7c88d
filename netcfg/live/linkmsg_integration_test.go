//go:build integration

package live

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/netcfg"
)

// TestLinkDecoderMatchesRtnetlink decodes a real dump of bridges, ports
// with and without learning, veth pairs and lo with the package's
// decoder and with rtnetlink's typed messages, and compares them.
func TestLinkDecoderMatchesRtnetlink(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	veth(t, c, "eth2", "peer2")
	for i, stp := range []bool{false, true} {
		name := fmt.Sprintf("vmbr%d", i)
		if err := c.Create(ctx, &Link{Name: name, Kind: "bridge"}, &BridgeOptions{STP: ptr(stp), ForwardDelay: ptr(400)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range [][2]string{{"eth1", "vmbr0"}, {"eth2", "vmbr1"}} {
		if err := c.SetMaster(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetLearning(ctx, "eth2", false); err != nil {
		t.Fatal(err)
	}
	k := c.k.(*nl)
	mask := uint32(rtextFilterSkipStats)
	req, _ := (&rtnetlink.LinkMessage{Attributes: &rtnetlink.LinkAttributes{ExtMask: &mask}}).MarshalBinary()
	msgs, err := k.execute(ctx, unix.RTM_GETLINK, netlink.Dump, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 7 {
		t.Fatalf("%d messages", len(msgs))
	}
	for _, m := range msgs {
		got, gm, gp, err := decodeLinkMsg(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		var lm rtnetlink.LinkMessage
		if err := lm.UnmarshalBinary(m.Data); err != nil {
			t.Fatal(err)
		}
		want, wm, wp := decodeWithRtnetlink(&lm)
		if diff := cmp.Diff(want, got); diff != "" || gm != wm || gp != wp {
			t.Errorf("%s: mismatch (-rtnetlink +ours):\n%s master %d/%d parent %d/%d", want.Name, diff, wm, gm, wp, gp)
		}
	}
}

// decodeLink converts a link message; master and parent are indexes the
// caller resolves.
func decodeWithRtnetlink(lm *rtnetlink.LinkMessage) (l Link, master, parent uint32) {
	a := lm.Attributes
	l = Link{Index: int(lm.Index), Up: lm.Flags&unix.IFF_UP != 0}
	if a == nil {
		return l, 0, 0
	}
	l.Name = a.Name
	l.MTU = int(a.MTU)
	if len(a.Address) > 0 {
		l.MAC = net.HardwareAddr(a.Address)
	}
	if len(a.PermAddress) > 0 {
		l.PermMAC = net.HardwareAddr(a.PermAddress)
	}
	if int(a.OperationalState) < len(operStates) {
		l.OperState = operStates[a.OperationalState]
	}
	l.Carrier = a.Carrier != nil && *a.Carrier != 0
	if a.Master != nil {
		master = *a.Master
	}
	parent = a.Type // IFLA_LINK
	if lm.Type == unix.ARPHRD_LOOPBACK {
		l.Kind = "loopback"
	}
	if a.Info != nil {
		if a.Info.Kind != "" {
			l.Kind = a.Info.Kind
		}
		switch d := a.Info.Data.(type) {
		case *driver.Bridge:
			b := &BridgeAttrs{}
			if d.StpState != nil {
				b.STP = *d.StpState != driver.BridgeStpStateDisabled
			}
			if d.ForwardDelay != nil {
				b.ForwardDelay = int(*d.ForwardDelay)
			}
			if d.VlanFiltering != nil {
				b.VLANFiltering = *d.VlanFiltering == driver.BridgeEnableEnabled
			}
			if d.VlanDefaultPvid != nil {
				b.DefaultPVID = int(*d.VlanDefaultPvid)
			}
			l.Bridge = b
		case *driver.Bond:
			b := &BondAttrs{Mode: netcfg.BondMode(d.Mode), LACPRate: "slow", XmitHashPolicy: "layer2"}
			if d.Miimon != nil {
				b.MIIMon = int(*d.Miimon)
			}
			if d.XmitHashPolicy != nil {
				b.XmitHashPolicy = xmitName(int(*d.XmitHashPolicy))
			}
			if d.AdLacpRate != nil && *d.AdLacpRate == driver.BondLacpRateFast {
				b.LACPRate = "fast"
			}
			if d.Primary != nil && *d.Primary != 0 {
				b.Primary = strconv.Itoa(int(*d.Primary))
			}
			if d.MinLinks != nil {
				b.MinLinks = int(*d.MinLinks)
			}
			if d.UpDelay != nil {
				b.UpDelay = int(*d.UpDelay)
			}
			if d.DownDelay != nil {
				b.DownDelay = int(*d.DownDelay)
			}
			l.Bond = b
		case *driver.Vlan:
			v := &VLANAttrs{Protocol: "802.1Q"}
			if d.ID != nil {
				v.ID = int(*d.ID)
			}
			if d.Protocol != nil && *d.Protocol == driver.VlanProtocol8021AD {
				v.Protocol = "802.1ad"
			}
			l.VLAN = v
		}
		if bp, ok := a.Info.SlaveData.(*driver.BridgePort); ok {
			p := &PortAttrs{}
			if bp.Learning != nil {
				p.Learning = *bp.Learning == driver.BridgeEnableEnabled
			}
			if bp.UnicastFlood != nil {
				p.UnicastFlood = *bp.UnicastFlood == driver.BridgeEnableEnabled
			}
			l.Port = p
		}
	}
	return l, master, parent
}
