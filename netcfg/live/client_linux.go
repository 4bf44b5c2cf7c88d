package live

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/netcfg"
)

// nl is the rtnetlink side of a Client.
type nl struct {
	conn *netlink.Conn
	nsfd int // opened here, closed by close; -1 when not
	path string
	// names caches name to index for requests; refreshed on a miss.
	index map[string]int
}

func newKernel(cfg *Config) (kernel, error) {
	k := &nl{nsfd: -1}
	fd := cfg.NetNSFD
	switch {
	case cfg.NetNS != "":
		f, err := unix.Open(cfg.NetNS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: cfg.NetNS, Err: err}
		}
		k.nsfd, fd, k.path = f, f, cfg.NetNS
	case fd > 0:
		k.path = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd)
	}
	// A 32 KiB receive buffer, as iproute2 uses: the kernel sizes dump
	// messages by the buffers it sees, so that a dump of thousands of
	// links takes a few dozen reads instead of thousands.
	conn, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: fd, Strict: true, MessageBufferSize: 32 << 10})
	if err != nil {
		if k.nsfd >= 0 {
			unix.Close(k.nsfd)
		}
		return nil, fmt.Errorf("netlink: %w", err)
	}
	k.conn = conn
	return k, nil
}

func (k *nl) nsPath() string { return k.path }

func (k *nl) close() error {
	err := k.conn.Close()
	if k.nsfd >= 0 {
		unix.Close(k.nsfd)
		k.nsfd = -1
	}
	return err
}

// execute sends one request and returns the replies. The context's
// deadline bounds it, and cancelling the context interrupts it.
func (k *nl) execute(ctx context.Context, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) ([]netlink.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	if err := k.conn.SetDeadline(dl); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { k.conn.SetDeadline(time.Unix(1, 0)) })
	msgs, err := k.conn.Execute(netlink.Message{Header: netlink.Header{Type: typ, Flags: netlink.Request | flags}, Data: data})
	if !stop() {
		// The context ended during the request.
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
	}
	return msgs, err
}

// request runs a change and returns its error with the kernel's message.
func (k *nl) request(ctx context.Context, op string, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) error {
	_, err := k.execute(ctx, typ, netlink.Acknowledge|flags, data)
	if err != nil {
		return opError(op, err)
	}
	return nil
}

// opError wraps a netlink error so that errors.Is works on the errno and
// the message carries the kernel's extended ack text.
func opError(op string, err error) error {
	var oe *netlink.OpError
	if errors.As(err, &oe) && oe.Message != "" {
		return fmt.Errorf("%s: %w (%s)", op, oe.Err, oe.Message)
	}
	if errors.As(err, &oe) {
		return fmt.Errorf("%s: %w", op, os.NewSyscallError("netlink", oe.Err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (k *nl) links(ctx context.Context) ([]Link, error) {
	mask := uint32(rtextFilterSkipStats)
	req := &rtnetlink.LinkMessage{Attributes: &rtnetlink.LinkAttributes{ExtMask: &mask}}
	b, err := req.MarshalBinary()
	if err != nil {
		return nil, err
	}
	msgs, err := k.execute(ctx, unix.RTM_GETLINK, netlink.Dump, b)
	if err != nil {
		return nil, opError("dump links", err)
	}
	out := make([]Link, 0, len(msgs))
	byIndex := make(map[uint32]int, len(msgs))
	masters := make([]uint32, 0, len(msgs))
	parents := make([]uint32, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, master, parent, err := decodeLinkMsg(m.Data)
		if err != nil {
			return nil, fmt.Errorf("dump links: %w", err)
		}
		byIndex[uint32(l.Index)] = len(out)
		out = append(out, l)
		masters = append(masters, master)
		parents = append(parents, parent)
	}
	for i := range out {
		if j, ok := byIndex[masters[i]]; ok && masters[i] != 0 {
			out[i].Master = out[j].Name
			if out[i].Port != nil && out[j].Kind != "bridge" {
				out[i].Port = nil
			}
		} else {
			out[i].Port = nil
		}
		if j, ok := byIndex[parents[i]]; ok && parents[i] != 0 && parents[i] != uint32(out[i].Index) {
			// A veth's peer may be in another namespace under the same
			// index: trust it only when the peer points back.
			if out[i].Kind == "veth" && (out[j].Kind != "veth" || parents[j] != uint32(out[i].Index)) {
				continue
			}
			out[i].Parent = out[j].Name
		}
	}
	// The bond primary is reported by index.
	for i := range out {
		if b := out[i].Bond; b != nil && b.Primary != "" {
			n, _ := strconv.Atoi(b.Primary)
			b.Primary = ""
			if j, ok := byIndex[uint32(n)]; ok && n != 0 {
				b.Primary = out[j].Name
			}
		}
	}
	k.index = make(map[string]int, len(out))
	for _, l := range out {
		k.index[l.Name] = l.Index
	}
	return out, nil
}

// indexOf resolves a link name, asking the kernel when the cache misses.
func (k *nl) indexOf(ctx context.Context, name string) (int, error) {
	if i, ok := k.index[name]; ok {
		return i, nil
	}
	if _, err := k.links(ctx); err != nil {
		return 0, err
	}
	if i, ok := k.index[name]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("%s: %w", name, ErrNotFound)
}

func (k *nl) forget(name string) { delete(k.index, name) }

// bridgeDriver encodes bridge options. When creating, options equal to
// the kernel's defaults are left out: a kernel built without VLAN
// filtering refuses even "vlan_filtering 0".
func bridgeDriver(o *BridgeOptions, creating bool) *driver.Bridge {
	d := &driver.Bridge{}
	if o == nil {
		return d
	}
	if creating {
		c := *o
		if c.VLANFiltering != nil && !*c.VLANFiltering {
			c.VLANFiltering = nil
		}
		if c.DefaultPVID != nil && *c.DefaultPVID == 1 {
			c.DefaultPVID = nil
		}
		o = &c
	}
	if o.STP != nil {
		s := driver.BridgeStpStateDisabled
		if *o.STP {
			s = driver.BridgeStpStateEnabled
		}
		d.StpState = &s
	}
	if o.ForwardDelay != nil {
		v := uint32(*o.ForwardDelay)
		d.ForwardDelay = &v
	}
	if o.VLANFiltering != nil {
		e := driver.BridgeEnableDisabled
		if *o.VLANFiltering {
			e = driver.BridgeEnableEnabled
		}
		d.VlanFiltering = &e
	}
	if o.DefaultPVID != nil {
		v := uint16(*o.DefaultPVID)
		d.VlanDefaultPvid = &v
	}
	return d
}

func (k *nl) bondDriver(ctx context.Context, o *BondOptions) (*driver.Bond, error) {
	d := &driver.Bond{Mode: driver.BondModeUnknown}
	if o == nil {
		return d, nil
	}
	u32 := func(p *int) *uint32 {
		if p == nil {
			return nil
		}
		v := uint32(*p)
		return &v
	}
	if o.Mode != nil {
		d.Mode = driver.BondMode(*o.Mode)
	}
	d.Miimon, d.MinLinks, d.UpDelay, d.DownDelay = u32(o.MIIMon), u32(o.MinLinks), u32(o.UpDelay), u32(o.DownDelay)
	if o.XmitHashPolicy != nil {
		n := netcfg.XmitHashPolicyNumber(*o.XmitHashPolicy)
		if n < 0 {
			return nil, fmt.Errorf("bond: unknown xmit hash policy %q", *o.XmitHashPolicy)
		}
		p := driver.BondXmitHashPolicy(n)
		d.XmitHashPolicy = &p
	}
	if o.LACPRate != nil {
		r := driver.BondLacpRateSlow
		if *o.LACPRate == "fast" {
			r = driver.BondLacpRateFast
		}
		d.AdLacpRate = &r
	}
	if o.Primary != nil {
		var idx uint32
		if *o.Primary != "" {
			i, err := k.indexOf(ctx, *o.Primary)
			if err != nil {
				return nil, fmt.Errorf("bond primary: %w", err)
			}
			idx = uint32(i)
		}
		d.Primary = &idx
	}
	return d, nil
}

func (k *nl) create(ctx context.Context, l *Link, br *BridgeOptions, bond *BondOptions) error {
	if err := netcfg.CheckName(l.Name); err != nil {
		return err
	}
	attrs := &rtnetlink.LinkAttributes{Name: l.Name, MTU: uint32(l.MTU), Address: l.MAC}
	info := &rtnetlink.LinkInfo{Kind: l.Kind}
	switch l.Kind {
	case "bridge":
		info.Data = bridgeDriver(br, true)
	case "bond":
		d, err := k.bondDriver(ctx, bond)
		if err != nil {
			return err
		}
		if d.Mode == driver.BondModeUnknown {
			d.Mode = driver.BondModeBalanceRR
		}
		info.Data = d
	case "vlan":
		if l.VLAN == nil || l.Parent == "" {
			return fmt.Errorf("create %s: a VLAN needs an ID and a lower device", l.Name)
		}
		lower, err := k.indexOf(ctx, l.Parent)
		if err != nil {
			return fmt.Errorf("create %s: %w", l.Name, err)
		}
		attrs.Type = uint32(lower)
		id := uint16(l.VLAN.ID)
		proto := driver.VlanProtocol8021Q
		if l.VLAN.Protocol == "802.1ad" {
			proto = driver.VlanProtocol8021AD
		}
		info.Data = &driver.Vlan{ID: &id, Protocol: &proto}
	case "veth":
		if l.Parent == "" {
			return fmt.Errorf("create %s: a veth pair needs a peer name", l.Name)
		}
		info.Data = &driver.Veth{PeerInfo: &rtnetlink.LinkMessage{Attributes: &rtnetlink.LinkAttributes{Name: l.Parent}}}
	case "dummy":
	default:
		return fmt.Errorf("create %s: cannot create links of kind %q", l.Name, l.Kind)
	}
	attrs.Info = info
	b, err := (&rtnetlink.LinkMessage{Attributes: attrs}).MarshalBinary()
	if err != nil {
		return err
	}
	if err := k.request(ctx, "create "+l.Kind+" "+l.Name, unix.RTM_NEWLINK, netlink.Create|netlink.Excl, b); err != nil {
		return err
	}
	k.forget(l.Name)
	return nil
}

func (k *nl) change(ctx context.Context, name string, c *linkChange) error {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	attrs := &rtnetlink.LinkAttributes{MTU: uint32(c.MTU), Address: c.MAC}
	switch {
	case c.Bridge != nil:
		attrs.Info = &rtnetlink.LinkInfo{Kind: "bridge", Data: bridgeDriver(c.Bridge, false)}
	case c.Bond != nil:
		d, err := k.bondDriver(ctx, c.Bond)
		if err != nil {
			return err
		}
		attrs.Info = &rtnetlink.LinkInfo{Kind: "bond", Data: d}
	}
	b, err := (&rtnetlink.LinkMessage{Index: uint32(idx), Attributes: attrs}).MarshalBinary()
	if err != nil {
		return err
	}
	return k.request(ctx, "set "+name, unix.RTM_NEWLINK, 0, b)
}

func (k *nl) del(ctx context.Context, name string) error {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	b, _ := (&rtnetlink.LinkMessage{Index: uint32(idx)}).MarshalBinary()
	if err := k.request(ctx, "delete "+name, unix.RTM_DELLINK, 0, b); err != nil {
		return err
	}
	k.index = nil // a veth takes its peer along
	return nil
}

func (k *nl) setUp(ctx context.Context, name string, up bool) error {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	m := &rtnetlink.LinkMessage{Index: uint32(idx), Change: unix.IFF_UP}
	op := "set " + name + " down"
	if up {
		m.Flags = unix.IFF_UP
		op = "set " + name + " up"
	}
	b, _ := m.MarshalBinary()
	return k.request(ctx, op, unix.RTM_NEWLINK, 0, b)
}

func (k *nl) setMaster(ctx context.Context, name, master string) error {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	var midx int
	op := "set " + name + " nomaster"
	if master != "" {
		if midx, err = k.indexOf(ctx, master); err != nil {
			return err
		}
		op = "set " + name + " master " + master
	}
	m := uint32(midx)
	b, _ := (&rtnetlink.LinkMessage{Index: uint32(idx), Attributes: &rtnetlink.LinkAttributes{Master: &m}}).MarshalBinary()
	return k.request(ctx, op, unix.RTM_NEWLINK, 0, b)
}

// ifinfomsg builds the fixed header of a link message.
func ifinfomsg(family uint8, index int) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = family
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	return b
}

func (k *nl) setLearning(ctx context.Context, name string, on bool) error {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, func(nae *netlink.AttributeEncoder) error {
		nae.Uint8(unix.IFLA_BRPORT_LEARNING, boolByte(on))
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	return k.request(ctx, "bridge link set dev "+name+" learning "+onOff(on), unix.RTM_SETLINK, 0, append(ifinfomsg(unix.AF_BRIDGE, idx), attrs...))
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Bridge VLAN flags (linux/if_bridge.h) and dump filters
// (linux/rtnetlink.h).
const (
	rtextFilterBRVLANCompressed = 1 << 2
	rtextFilterSkipStats        = 1 << 3

	bridgeFlagsSelf      = 2
	bridgeVLANPVID       = 1 << 1
	bridgeVLANUntagged   = 1 << 2
	bridgeVLANRangeBegin = 1 << 3
	bridgeVLANRangeEnd   = 1 << 4
	iflaBridgeFlags      = 0
	iflaBridgeVLANInfo   = 2
)

func vlanInfo(flags uint16, vid int) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint16(b[0:2], flags)
	binary.NativeEndian.PutUint16(b[2:4], uint16(vid))
	return b
}

// vlan adds or removes bridge VLAN entries of one link with RTM_SETLINK
// or RTM_DELLINK on AF_BRIDGE and an IFLA_AF_SPEC of
// IFLA_BRIDGE_VLAN_INFO, as "bridge vlan add" does. Entries of a bridge
// itself go with BRIDGE_FLAGS_SELF.
func (k *nl) vlan(ctx context.Context, add bool, self bool, list []VLANEntry) error {
	if len(list) == 0 {
		return nil
	}
	name := list[0].Link
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.IFLA_AF_SPEC|unix.NLA_F_NESTED, func(nae *netlink.AttributeEncoder) error {
		if self {
			nae.Uint16(iflaBridgeFlags, bridgeFlagsSelf)
		}
		for _, e := range list {
			var f uint16
			if e.PVID {
				f |= bridgeVLANPVID
			}
			if e.Untagged {
				f |= bridgeVLANUntagged
			}
			if e.To > e.VID {
				nae.Bytes(iflaBridgeVLANInfo, vlanInfo(f|bridgeVLANRangeBegin, e.VID))
				nae.Bytes(iflaBridgeVLANInfo, vlanInfo(f|bridgeVLANRangeEnd, e.To))
			} else {
				nae.Bytes(iflaBridgeVLANInfo, vlanInfo(f, e.VID))
			}
		}
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	typ, verb := netlink.HeaderType(unix.RTM_SETLINK), "add"
	if !add {
		typ, verb = unix.RTM_DELLINK, "del"
	}
	return k.request(ctx, "bridge vlan "+verb+" dev "+name, typ, 0, append(ifinfomsg(unix.AF_BRIDGE, idx), attrs...))
}

// isBridge asks the kernel whether name is a bridge.
func (k *nl) isBridge(ctx context.Context, name string) bool {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return false
	}
	b, _ := (&rtnetlink.LinkMessage{Index: uint32(idx)}).MarshalBinary()
	msgs, err := k.execute(ctx, unix.RTM_GETLINK, 0, b)
	if err != nil || len(msgs) == 0 {
		return false
	}
	var lm rtnetlink.LinkMessage
	if lm.UnmarshalBinary(msgs[0].Data) != nil || lm.Attributes == nil || lm.Attributes.Info == nil {
		return false
	}
	return lm.Attributes.Info.Kind == "bridge"
}

// bridgeVLANs dumps the VLAN entries of bridges and their ports
// (RTM_GETLINK on AF_BRIDGE with RTEXT_FILTER_BRVLAN_COMPRESSED).
func (k *nl) bridgeVLANs(ctx context.Context, byIndex map[int]string) ([]VLANEntry, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_EXT_MASK, rtextFilterBRVLANCompressed)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	msgs, err := k.execute(ctx, unix.RTM_GETLINK, netlink.Dump, append(ifinfomsg(unix.AF_BRIDGE, 0), attrs...))
	if err != nil {
		return nil, opError("dump bridge vlans", err)
	}
	var out []VLANEntry
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		name := byIndex[int(binary.NativeEndian.Uint32(m.Data[4:8]))]
		if name == "" {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[unix.SizeofIfInfomsg:])
		if err != nil {
			return nil, err
		}
		for ad.Next() {
			if ad.Type() != unix.IFLA_AF_SPEC {
				continue
			}
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				begin := -1
				for nad.Next() {
					if nad.Type() != iflaBridgeVLANInfo {
						continue
					}
					v := nad.Bytes()
					if len(v) < 4 {
						continue
					}
					f := binary.NativeEndian.Uint16(v[0:2])
					vid := int(binary.NativeEndian.Uint16(v[2:4]))
					e := VLANEntry{Link: name, VID: vid, PVID: f&bridgeVLANPVID != 0, Untagged: f&bridgeVLANUntagged != 0}
					switch {
					case f&bridgeVLANRangeBegin != 0:
						begin = vid
						continue
					case f&bridgeVLANRangeEnd != 0 && begin > 0:
						e.VID, e.To = begin, vid
						begin = -1
					}
					out = append(out, e.norm())
				}
				return nil
			})
		}
		if err := ad.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// linkVLANs returns the VLAN entries of one bridge or port.
func (k *nl) linkVLANs(ctx context.Context, name string) ([]VLANEntry, error) {
	idx, err := k.indexOf(ctx, name)
	if err != nil {
		return nil, err
	}
	all, err := k.bridgeVLANs(ctx, map[int]string{idx: name})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// ndmsg builds the fixed header of a neighbour message.
func ndmsg(family uint8, index int, state uint16, flags uint8) []byte {
	b := make([]byte, unix.SizeofNdMsg)
	b[0] = family
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	binary.NativeEndian.PutUint16(b[8:10], state)
	b[10] = flags
	return b
}

func (k *nl) fdb(ctx context.Context, byIndex map[int]string) ([]FDBEntry, error) {
	msgs, err := k.execute(ctx, unix.RTM_GETNEIGH, netlink.Dump, ndmsg(unix.AF_BRIDGE, 0, 0, 0))
	if err != nil {
		return nil, opError("dump fdb", err)
	}
	var out []FDBEntry
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNEIGH || len(m.Data) < unix.SizeofNdMsg {
			continue
		}
		state := binary.NativeEndian.Uint16(m.Data[8:10])
		flags := m.Data[10]
		if flags&unix.NTF_MASTER == 0 && flags&unix.NTF_SELF != 0 {
			continue // the device's own address list
		}
		if state&(unix.NUD_NOARP|unix.NUD_PERMANENT) == 0 {
			continue // learned
		}
		e := FDBEntry{Port: byIndex[int(binary.NativeEndian.Uint32(m.Data[4:8]))], Local: state&unix.NUD_PERMANENT != 0}
		ad, err := netlink.NewAttributeDecoder(m.Data[unix.SizeofNdMsg:])
		if err != nil {
			return nil, err
		}
		master := 0
		for ad.Next() {
			switch ad.Type() {
			case unix.NDA_LLADDR:
				e.MAC = net.HardwareAddr(append([]byte(nil), ad.Bytes()...))
			case unix.NDA_VLAN:
				e.VLAN = int(ad.Uint16())
			case unix.NDA_MASTER:
				master = int(ad.Uint32())
			}
		}
		if e.Port == "" || master == 0 || len(e.MAC) != 6 {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (k *nl) fdbEntry(ctx context.Context, add bool, e FDBEntry) error {
	idx, err := k.indexOf(ctx, e.Port)
	if err != nil {
		return err
	}
	state := uint16(unix.NUD_NOARP)
	if e.Local {
		state = unix.NUD_PERMANENT
	}
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(unix.NDA_LLADDR, e.MAC)
	if e.VLAN != 0 {
		ae.Uint16(unix.NDA_VLAN, uint16(e.VLAN))
	}
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	data := append(ndmsg(unix.AF_BRIDGE, idx, state, unix.NTF_MASTER), attrs...)
	if add {
		return k.request(ctx, fdbText("add", e), unix.RTM_NEWNEIGH, netlink.Create|netlink.Replace, data)
	}
	return k.request(ctx, fdbText("del", e), unix.RTM_DELNEIGH, 0, data)
}

var scopeNames = map[uint8]string{unix.RT_SCOPE_UNIVERSE: "global", unix.RT_SCOPE_SITE: "site", unix.RT_SCOPE_LINK: "link", unix.RT_SCOPE_HOST: "host", unix.RT_SCOPE_NOWHERE: "nowhere"}

func scopeName(s uint8) string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return strconv.Itoa(int(s))
}

func (k *nl) addresses(ctx context.Context, byIndex map[int]string) ([]Address, error) {
	msgs, err := k.execute(ctx, unix.RTM_GETADDR, netlink.Dump, make([]byte, unix.SizeofIfAddrmsg))
	if err != nil {
		return nil, opError("dump addresses", err)
	}
	var out []Address
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		family, plen, flags, scope := m.Data[0], int(m.Data[1]), uint32(m.Data[2]), m.Data[3]
		name := byIndex[int(binary.NativeEndian.Uint32(m.Data[4:8]))]
		ad, err := netlink.NewAttributeDecoder(m.Data[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, err
		}
		var local, addr []byte
		for ad.Next() {
			switch ad.Type() {
			case unix.IFA_LOCAL:
				local = ad.Bytes()
			case unix.IFA_ADDRESS:
				addr = ad.Bytes()
			case unix.IFA_FLAGS:
				flags = ad.Uint32()
			}
		}
		if family == unix.AF_INET && local != nil {
			addr = local
		}
		ip, ok := netip.AddrFromSlice(addr)
		if !ok || name == "" {
			continue
		}
		out = append(out, Address{Link: name, Prefix: netip.PrefixFrom(ip, plen), Scope: scopeName(scope), Dynamic: flags&unix.IFA_F_PERMANENT == 0})
	}
	return out, nil
}

func (k *nl) address(ctx context.Context, add bool, link string, p netip.Prefix) error {
	idx, err := k.indexOf(ctx, link)
	if err != nil {
		return err
	}
	h := make([]byte, unix.SizeofIfAddrmsg)
	h[0] = unix.AF_INET
	if p.Addr().Is6() {
		h[0] = unix.AF_INET6
	}
	h[1] = uint8(p.Bits())
	binary.NativeEndian.PutUint32(h[4:8], uint32(idx))
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(unix.IFA_LOCAL, p.Addr().AsSlice())
	ae.Bytes(unix.IFA_ADDRESS, p.Addr().AsSlice())
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	if add {
		return k.request(ctx, "ip addr add "+p.String()+" dev "+link, unix.RTM_NEWADDR, netlink.Create|netlink.Excl, append(h, attrs...))
	}
	return k.request(ctx, "ip addr del "+p.String()+" dev "+link, unix.RTM_DELADDR, 0, append(h, attrs...))
}

var (
	protoNames = map[uint8]string{unix.RTPROT_UNSPEC: "unspec", unix.RTPROT_REDIRECT: "redirect", unix.RTPROT_KERNEL: "kernel", unix.RTPROT_BOOT: "boot", unix.RTPROT_STATIC: "static", unix.RTPROT_RA: "ra", unix.RTPROT_DHCP: "dhcp"}
	typeNames  = map[uint8]string{unix.RTN_UNICAST: "unicast", unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast", unix.RTN_ANYCAST: "anycast", unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole", unix.RTN_UNREACHABLE: "unreachable", unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw"}
)

func protoName(p uint8) string {
	if n, ok := protoNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

func typeName(t uint8) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return strconv.Itoa(int(t))
}

func lookup(m map[uint8]string, s string, def uint8) uint8 {
	if s == "" {
		return def
	}
	for k, v := range m {
		if v == s {
			return k
		}
	}
	if n, err := strconv.Atoi(s); err == nil {
		return uint8(n)
	}
	return def
}

func (k *nl) routes(ctx context.Context, byIndex map[int]string) ([]Route, error) {
	var out []Route
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		// With strict checking the kernel filters the dump by table.
		h := make([]byte, unix.SizeofRtMsg)
		h[0] = family
		h[4] = unix.RT_TABLE_MAIN
		msgs, err := k.execute(ctx, unix.RTM_GETROUTE, netlink.Dump, h)
		if errors.Is(err, unix.ENOENT) {
			continue // no main table yet: no routes
		}
		if err != nil {
			return nil, opError("dump routes", err)
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
				continue
			}
			d := m.Data
			table := uint32(d[4])
			r := Route{Protocol: protoName(d[5]), Scope: scopeName(d[6]), Type: typeName(d[7])}
			dlen := int(d[1])
			ad, err := netlink.NewAttributeDecoder(d[unix.SizeofRtMsg:])
			if err != nil {
				return nil, err
			}
			var dst netip.Addr
			for ad.Next() {
				switch ad.Type() {
				case unix.RTA_TABLE:
					table = ad.Uint32()
				case unix.RTA_DST:
					dst, _ = netip.AddrFromSlice(ad.Bytes())
				case unix.RTA_GATEWAY:
					r.Gateway, _ = netip.AddrFromSlice(ad.Bytes())
				case unix.RTA_OIF:
					r.Link = byIndex[int(ad.Uint32())]
				case unix.RTA_PRIORITY:
					r.Metric = int(ad.Uint32())
				}
			}
			if table != unix.RT_TABLE_MAIN {
				continue
			}
			if !dst.IsValid() {
				dst = netip.IPv4Unspecified()
				if family == unix.AF_INET6 {
					dst = netip.IPv6Unspecified()
				}
			}
			r.Dst = netip.PrefixFrom(dst, dlen)
			out = append(out, r)
		}
	}
	return out, nil
}

func (k *nl) route(ctx context.Context, add bool, r Route) error {
	h := make([]byte, unix.SizeofRtMsg)
	h[0] = unix.AF_INET
	if r.Dst.Addr().Is6() {
		h[0] = unix.AF_INET6
	}
	h[1] = uint8(r.Dst.Bits())
	h[4] = unix.RT_TABLE_MAIN
	h[5] = lookup(protoNames, r.Protocol, unix.RTPROT_BOOT)
	h[7] = lookup(typeNames, r.Type, unix.RTN_UNICAST)
	scope := uint8(unix.RT_SCOPE_UNIVERSE)
	if !r.Gateway.IsValid() && h[7] == unix.RTN_UNICAST {
		scope = unix.RT_SCOPE_LINK
	}
	if r.Scope != "" {
		for k, v := range scopeNames {
			if v == r.Scope {
				scope = k
			}
		}
	}
	h[6] = scope
	ae := netlink.NewAttributeEncoder()
	if r.Dst.Bits() > 0 {
		ae.Bytes(unix.RTA_DST, r.Dst.Masked().Addr().AsSlice())
	}
	if r.Gateway.IsValid() {
		ae.Bytes(unix.RTA_GATEWAY, r.Gateway.AsSlice())
	}
	if r.Link != "" {
		idx, err := k.indexOf(ctx, r.Link)
		if err != nil {
			return err
		}
		ae.Uint32(unix.RTA_OIF, uint32(idx))
	}
	if r.Metric != 0 {
		ae.Uint32(unix.RTA_PRIORITY, uint32(r.Metric))
	}
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	if add {
		return k.request(ctx, routeText("replace", r), unix.RTM_NEWROUTE, netlink.Create|netlink.Replace, append(h, attrs...))
	}
	if !add {
		h[5] = 0 // any protocol
		h[6] = unix.RT_SCOPE_NOWHERE
	}
	return k.request(ctx, routeText("del", r), unix.RTM_DELROUTE, 0, append(h, attrs...))
}
