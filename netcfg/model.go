package netcfg

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Network is the typed meaning of an interfaces file (with the files it
// includes) as ifupdown2 reads it: one [Interface] per configured name,
// merging that name's stanzas (inet and inet6) as ifupdown2 merges them
// before it configures the interface.
//
// An interface counts as auto (or as a member of an allow class) only if
// the auto or allow line naming it comes before its stanza, and files
// named by source-directory lines are not part of it: ifupdown2, which
// applies the file at boot and on "ifreload -a", reads it that way.
// [Network.Validate] reports where this differs from what the file seems
// to say.
type Network struct {
	// File is the file the network was read from.
	File *File `json:"-"`
	// Interfaces are in the order of their first stanza.
	Interfaces []*Interface `json:"interfaces"`

	byName  map[string]*Interface
	ifaces  slab[Interface]
	reading *reading
	groups  []*group
	issues  []Finding // attribute values that do not parse
}

// Kind is the type of an interface, as Proxmox VE names it.
type Kind int

// Kinds of interfaces.
const (
	// KindOther is an interface the model does not type: a tap, veth,
	// dummy or VXLAN device, or an unknown name.
	KindOther Kind = iota
	KindLoopback
	// KindPhysical is an Ethernet device: en* (systemd names) or ethN.
	KindPhysical
	KindBridge
	KindBond
	KindVLAN
	KindOVSBridge
	KindOVSBond
	KindOVSPort
	KindOVSIntPort
)

var kindNames = [...]string{"unknown", "loopback", "eth", "bridge", "bond", "vlan", "OVSBridge", "OVSBond", "OVSPort", "OVSIntPort"}

// String returns Proxmox VE's name of the kind: "eth", "bridge", "bond",
// "vlan", "loopback", "OVSBridge", "OVSBond", "OVSPort", "OVSIntPort" or
// "unknown".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MarshalText encodes the kind by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown interface kind %q", b)
}

// Interface is one configured interface.
type Interface struct {
	// Name is the kernel name (a stanza's ":label" suffix removed).
	Name string `json:"name"`
	// Auto is true when an "auto" line lists the interface before its
	// stanza (or "auto all" precedes it): "ifup -a" brings it up.
	Auto bool `json:"auto"`
	// Classes are the allow-CLASS lines that list it before its stanza
	// ("hotplug" for allow-hotplug), in order.
	Classes []string `json:"classes,omitempty"`
	Kind    Kind     `json:"kind"`
	// Families has one entry per stanza: inet or inet6 and its method.
	Families []FamilyMethod `json:"families"`
	// Stanzas are the interface's stanzas in file order.
	Stanzas []*Stanza `json:"-"`

	// Addresses are the static addresses of every stanza, v4 and v6, in
	// order, in CIDR form with the host bits kept (192.168.10.2/24). An
	// address written without a length takes it from its netmask line, or
	// is a host address (/32, /128).
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	// Gateways are the default gateways, v4 and v6, in order.
	Gateways []netip.Addr `json:"gateways,omitempty"`
	// MTU is 0 when not set.
	MTU int `json:"mtu,omitempty"`
	// HWAddress is the MAC address to set, nil when not set.
	HWAddress net.HardwareAddr `json:"hwaddress,omitempty"`

	Bridge *Bridge `json:"bridge,omitempty"`
	Bond   *Bond   `json:"bond,omitempty"`
	VLAN   *VLAN   `json:"vlan,omitempty"`
	OVS    *OVS    `json:"ovs,omitempty"`

	// Commands are the pre-up, up, post-up, down, pre-down and post-down
	// lines in file order.
	Commands []Command `json:"commands,omitempty"`
	// Attrs are all option lines of every stanza in order, keys with "_"
	// turned into "-" and $IFACE expanded, as ifupdown2 reads them.
	Attrs []Attr `json:"attrs,omitempty"`
	// Unknown are the attributes this model does not interpret (such as
	// dns-nameservers or vxlan-id), in order; they are kept in the file.
	Unknown []Attr `json:"unknown,omitempty"`
	// Pos is the position of the first stanza's header.
	Pos Pos `json:"pos"`

	// Room for the common case of one stanza, saving allocations.
	famBuf    [1]FamilyMethod
	stanzaBuf [1]*Stanza
}

// FamilyMethod is a stanza's address family and method. Family is empty
// for a stanza written "iface NAME" alone, whose method is empty too.
type FamilyMethod struct {
	Family string `json:"family"`
	Method string `json:"method"`
}

// Attr is one option of an interface.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Pos   Pos    `json:"pos"`
	// Option is the line in the file.
	Option *Option `json:"-"`
}

// Command is a pre-up, up, post-up, down, pre-down or post-down line.
type Command struct {
	// Hook is the option name: "pre-up", "up", "post-up", "down",
	// "pre-down" or "post-down".
	Hook string `json:"hook"`
	// Line is the command line as written, for sh -c.
	Line string `json:"line"`
	Pos  Pos    `json:"pos"`
}

// Bridge holds a Linux bridge's options.
type Bridge struct {
	// Ports are the bridge-ports; nil for "none".
	Ports []string `json:"ports"`
	// STP is nil when bridge-stp is not set.
	STP *bool `json:"stp,omitempty"`
	// ForwardDelay is bridge-fd in seconds, nil when not set.
	ForwardDelay *float64 `json:"fd,omitempty"`
	// VLANAware is bridge-vlan-aware.
	VLANAware bool `json:"vlan_aware,omitempty"`
	// VIDs are the bridge-vids ranges in order.
	VIDs []VIDRange `json:"vids,omitempty"`
	// PVID is bridge-pvid, 0 when not set.
	PVID int `json:"pvid,omitempty"`
	// DisableMACLearning is bridge-disable-mac-learning.
	DisableMACLearning bool `json:"disable_mac_learning,omitempty"`
}

// VIDRange is a range of VLAN IDs, From <= To; a single ID has From ==
// To.
type VIDRange struct {
	From, To int
}

// String formats the range as bridge-vids writes it ("2-4094", "5").
func (r VIDRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(r.From)
	}
	return strconv.Itoa(r.From) + "-" + strconv.Itoa(r.To)
}

// Bond holds a Linux bond's options.
type Bond struct {
	// Slaves are the bond-slaves (or bond-ports); nil for "none".
	Slaves []string `json:"slaves"`
	// Mode is bond-mode; balance-rr, the kernel's default, when not set.
	Mode BondMode `json:"mode"`
	// ModeSet is true when bond-mode is written.
	ModeSet bool `json:"mode_set,omitempty"`
	// MIIMon is bond-miimon in milliseconds, nil when not set.
	MIIMon *int `json:"miimon,omitempty"`
	// XmitHashPolicy is bond-xmit-hash-policy by name ("layer2+3"), ""
	// when not set.
	XmitHashPolicy string `json:"xmit_hash_policy,omitempty"`
	// LACPRate is "slow" or "fast", "" when not set.
	LACPRate string `json:"lacp_rate,omitempty"`
	// Primary is bond-primary, "" when not set.
	Primary string `json:"primary,omitempty"`
	// MinLinks is bond-min-links, nil when not set.
	MinLinks *int `json:"min_links,omitempty"`
	// UpDelay and DownDelay are bond-updelay and bond-downdelay in
	// milliseconds, nil when not set.
	UpDelay   *int `json:"updelay,omitempty"`
	DownDelay *int `json:"downdelay,omitempty"`
}

// VLAN holds an 802.1Q VLAN device's options.
type VLAN struct {
	// ID is the VLAN ID, 1 to 4094 when valid.
	ID int `json:"id"`
	// RawDevice is the lower device.
	RawDevice string `json:"raw_device"`
	// Dotted is true when both come from a "dev.ID" name; false when
	// vlan-raw-device names the device (and vlan-id or a "vlanID" name the
	// ID).
	Dotted bool `json:"dotted,omitempty"`
	// Protocol is vlan-protocol ("802.1q", "802.1ad"), "" when not set.
	Protocol string `json:"protocol,omitempty"`
}

// OVS holds the ovs_* options of an Open vSwitch interface.
type OVS struct {
	// Type is ovs_type: OVSBridge, OVSBond, OVSPort or OVSIntPort.
	Type string `json:"type"`
	// Bridge is ovs_bridge, the bridge a port or bond belongs to.
	Bridge string `json:"bridge,omitempty"`
	// Ports are ovs_ports of a bridge; Bonds are ovs_bonds of a bond.
	Ports []string `json:"ports,omitempty"`
	Bonds []string `json:"bonds,omitempty"`
	// Options is ovs_options as written.
	Options string `json:"options,omitempty"`
	// Tag is ovs_tag, 0 when not set.
	Tag int `json:"tag,omitempty"`
}

// NewNetwork reads the typed configuration out of f and the files its
// source lines include (resolved by [LoadFS]).
func NewNetwork(f *File) *Network {
	n := &Network{File: f}
	n.reading = read(f)
	n.groups = n.reading.groups()
	n.byName = make(map[string]*Interface, len(n.groups))
	n.Interfaces = make([]*Interface, 0, len(n.groups))
	for _, g := range n.groups {
		i := n.build(g)
		n.Interfaces = append(n.Interfaces, i)
		n.byName[i.Name] = i
	}
	return n
}

// Interface returns the interface called name, or nil.
func (n *Network) Interface(name string) *Interface { return n.byName[name] }

// Auto returns the interfaces marked auto, in order.
func (n *Network) Auto() []*Interface {
	var out []*Interface
	for _, i := range n.Interfaces {
		if i.Auto {
			out = append(out, i)
		}
	}
	return out
}

// Method returns the method of the interface's stanza for family ("inet"
// or "inet6"), "" if it has none.
func (i *Interface) Method(family string) string {
	for _, fm := range i.Families {
		if fm.Family == family {
			return fm.Method
		}
	}
	return ""
}

// Lower returns the names of the devices the interface is built on:
// bridge ports, bond slaves, a VLAN's raw device, an OVS port's bridge.
func (i *Interface) Lower() []string {
	var out []string
	if i.Bridge != nil {
		out = append(out, i.Bridge.Ports...)
	}
	if i.Bond != nil {
		out = append(out, i.Bond.Slaves...)
	}
	if i.VLAN != nil && i.VLAN.RawDevice != "" {
		out = append(out, i.VLAN.RawDevice)
	}
	if i.OVS != nil {
		out = append(out, i.OVS.Bonds...)
	}
	return out
}

// Values returns the values of the attribute key ("_" and "-" are the
// same) in order.
func (i *Interface) Values(key string) []string {
	key = normKey(key)
	var out []string
	for _, a := range i.Attrs {
		if a.Key == key {
			out = append(out, a.Value)
		}
	}
	return out
}

// Get returns the last value of the attribute key.
func (i *Interface) Get(key string) (string, bool) {
	key = normKey(key)
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		if i.Attrs[j].Key == key {
			return i.Attrs[j].Value, true
		}
	}
	return "", false
}

// Ordered returns the interfaces with every interface after the
// configured devices it is built on (ports before bridges, slaves before
// bonds, raw devices before VLANs), otherwise in file order. Devices that
// form a cycle are reported as an error and placed in file order.
func (n *Network) Ordered() ([]*Interface, error) {
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var out []*Interface
	var cycle []string
	var visit func(i *Interface)
	visit = func(i *Interface) {
		switch state[i.Name] {
		case 1:
			cycle = append(cycle, i.Name)
			return
		case 2:
			return
		}
		state[i.Name] = 1
		for _, l := range i.Lower() {
			if li := n.byName[l]; li != nil && li != i {
				visit(li)
			}
		}
		if i.OVS != nil && i.OVS.Bridge != "" {
			// OVS bridges are created before their ports.
			if b := n.byName[i.OVS.Bridge]; b != nil && b != i {
				visit(b)
			}
		}
		state[i.Name] = 2
		out = append(out, i)
	}
	for _, i := range n.Interfaces {
		visit(i)
	}
	if len(cycle) > 0 {
		return out, errorf(ErrCycle, "interfaces built on each other: %s", strings.Join(cycle, ", "))
	}
	return out, nil
}

// knownAttr reports whether the model interprets the attribute key.
func knownAttr(key string) bool {
	switch key {
	case "address", "netmask", "gateway", "mtu", "hwaddress",
		"bridge-ports", "bridge-stp", "bridge-fd", "bridge-vlan-aware",
		"bridge-vids", "bridge-pvid", "bridge-disable-mac-learning",
		"bond-slaves", "bond-ports", "bond-mode", "bond-miimon",
		"bond-xmit-hash-policy", "bond-lacp-rate", "bond-primary",
		"bond-min-links", "bond-updelay", "bond-downdelay",
		"vlan-raw-device", "vlan-id", "vlan-protocol",
		"ovs-type", "ovs-bridge", "ovs-ports", "ovs-bonds",
		"ovs-options", "ovs-tag":
		return true
	}
	return IsCommandHook(key)
}

// IsCommandHook reports whether key is one of the command options.
func IsCommandHook(key string) bool {
	switch key {
	case "pre-up", "up", "post-up", "down", "pre-down", "post-down":
		return true
	}
	return false
}

func (n *Network) issue(pos Pos, iface, check string, err error) {
	n.issues = append(n.issues, Finding{Pos: pos, Severity: SeverityError, Check: check, Interface: iface, Err: err})
}

func (n *Network) build(g *group) *Interface {
	i := n.ifaces.new()
	i.Name, i.Pos = g.name, g.objs[0].stanza.pos
	count := 0
	for _, o := range g.objs {
		count += len(o.stanza.Body)
	}
	i.Attrs = make([]Attr, 0, count)
	i.Families, i.Stanzas = i.famBuf[:0], i.stanzaBuf[:0]
	for _, o := range g.objs {
		i.Auto = i.Auto || o.auto
		for _, c := range o.classes {
			if !slices.Contains(i.Classes, c) {
				i.Classes = append(i.Classes, c)
			}
		}
		if !slices.Contains(i.Stanzas, o.stanza) {
			i.Stanzas = append(i.Stanzas, o.stanza)
		}
		fm := FamilyMethod{Method: o.method}
		if len(o.families) > 0 {
			fm.Family = o.families[0]
		}
		i.Families = append(i.Families, fm)
		o.options(func(key, value string, opt *Option) {
			i.Attrs = append(i.Attrs, Attr{Key: key, Value: value, Pos: opt.pos, Option: opt})
		})
	}
	has := func(k string) bool { return slices.ContainsFunc(i.Attrs, func(a Attr) bool { return a.Key == k }) }
	i.Kind = n.kind(i, has)
	n.addresses(i)
	for _, a := range i.Attrs {
		switch {
		case IsCommandHook(a.Key):
			i.Commands = append(i.Commands, Command{Hook: a.Key, Line: a.Value, Pos: a.Pos})
		case a.Key == "mtu":
			if v, err := strconv.Atoi(a.Value); err != nil || v <= 0 {
				n.issue(a.Pos, i.Name, "mtu", errorf(ErrValue, "mtu %q is not a positive number", a.Value))
			} else {
				i.MTU = v
			}
		case a.Key == "hwaddress":
			v := strings.TrimPrefix(a.Value, "ether ")
			if mac, err := net.ParseMAC(strings.TrimSpace(v)); err != nil {
				n.issue(a.Pos, i.Name, "hwaddress", errorf(ErrValue, "hwaddress %q is not a MAC address", a.Value))
			} else {
				i.HWAddress = mac
			}
		case !knownAttr(a.Key):
			i.Unknown = append(i.Unknown, a)
		}
	}
	switch i.Kind {
	case KindBridge:
		i.Bridge = n.bridge(i)
	case KindBond:
		i.Bond = n.bond(i)
	case KindVLAN:
		i.VLAN = n.vlan(i)
	case KindOVSBridge, KindOVSBond, KindOVSPort, KindOVSIntPort:
		i.OVS = n.ovs(i)
	}
	return i
}

func (n *Network) kind(i *Interface, has func(string) bool) Kind {
	if t, ok := i.Get("ovs-type"); ok {
		switch t {
		case "OVSBridge":
			return KindOVSBridge
		case "OVSBond":
			return KindOVSBond
		case "OVSPort":
			return KindOVSPort
		case "OVSIntPort":
			return KindOVSIntPort
		}
	}
	if i.Name == "lo" || slices.ContainsFunc(i.Families, func(f FamilyMethod) bool { return f.Method == "loopback" }) {
		return KindLoopback
	}
	nk := ClassifyName(i.Name)
	switch {
	case has("bridge-ports") || nk == KindBridge:
		return KindBridge
	case has("bond-slaves") || has("bond-ports") || has("bond-mode") || nk == KindBond:
		return KindBond
	case has("vlan-raw-device") || has("vlan-id") || nk == KindVLAN:
		return KindVLAN
	}
	return nk
}

// addresses reads address, netmask and gateway lines: a netmask line
// belongs to the address line before it.
func (n *Network) addresses(i *Interface) {
	type pending struct {
		addr netip.Addr
		bits int // -1 when the address had no length
		pos  Pos
	}
	var cur []pending
	flush := func() {
		for _, p := range cur {
			bits := p.bits
			if bits < 0 {
				bits = p.addr.BitLen()
			}
			i.Addresses = append(i.Addresses, netip.PrefixFrom(p.addr, bits))
		}
		cur = nil
	}
	for _, a := range i.Attrs {
		switch a.Key {
		case "address":
			flush()
			w := a.Value
			if len(strings.Fields(w)) > 1 {
				n.issue(a.Pos, i.Name, "address", errorf(ErrValue, "address %q: ifupdown2 takes one address per address line and configures none of %s's addresses otherwise", w, i.Name))
				continue
			}
			p, err := parseAddress(w)
			if err != nil {
				n.issue(a.Pos, i.Name, "address", errorf(ErrValue, "address %q is not an IP address in CIDR form", w))
				continue
			}
			bits := p.Bits()
			if !strings.Contains(w, "/") {
				bits = -1
			}
			cur = append(cur, pending{addr: p.Addr(), bits: bits, pos: a.Pos})
		case "netmask":
			if len(cur) == 0 {
				continue
			}
			last := &cur[len(cur)-1]
			if last.bits >= 0 {
				continue
			}
			bits, err := parseNetmask(a.Value, last.addr)
			if err != nil {
				n.issue(a.Pos, i.Name, "netmask", errorf(ErrValue, "netmask %q is not a netmask or prefix length", a.Value))
				continue
			}
			last.bits = bits
		case "gateway":
			for _, w := range strings.Fields(a.Value) {
				g, err := netip.ParseAddr(w)
				if err != nil {
					n.issue(a.Pos, i.Name, "gateway", errorf(ErrValue, "gateway %q is not an IP address", w))
					continue
				}
				i.Gateways = append(i.Gateways, g)
			}
		}
	}
	flush()
}

// parseAddress reads "192.168.1.2/24", "fe80::1/64" or an address without
// length.
func parseAddress(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseNetmask reads a netmask as a dotted mask or a prefix length.
func parseNetmask(s string, addr netip.Addr) (int, error) {
	if v, err := strconv.Atoi(s); err == nil {
		if v < 0 || v > addr.BitLen() {
			return 0, fmt.Errorf("length %d out of range", v)
		}
		return v, nil
	}
	m, err := netip.ParseAddr(s)
	if err != nil || !m.Is4() || !addr.Is4() {
		return 0, fmt.Errorf("not a netmask")
	}
	b := m.As4()
	ones, bits := net.IPv4Mask(b[0], b[1], b[2], b[3]).Size()
	if bits == 0 {
		return 0, fmt.Errorf("not a contiguous netmask")
	}
	return ones, nil
}

// list splits a port or slave list; "none" means no entries.
func list(v string) []string {
	f := strings.Fields(v)
	if len(f) == 1 && f[0] == "none" {
		return nil
	}
	return f
}

// ParseBool reads an ifupdown2 boolean: yes, on, 1, true or no, off, 0,
// false.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "on", "1", "true":
		return true, nil
	case "no", "off", "0", "false":
		return false, nil
	}
	return false, errorf(ErrValue, "%q is not yes or no", s)
}

// boolAttr returns the last value of a boolean attribute and whether it
// is set and valid.
func (n *Network) boolAttr(i *Interface, key string) (bool, bool) {
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		a := &i.Attrs[j]
		if a.Key != key {
			continue
		}
		b, err := ParseBool(a.Value)
		if err != nil {
			n.issue(a.Pos, i.Name, key, fmt.Errorf("%s: %w", key, err))
			return false, false
		}
		return b, true
	}
	return false, false
}

func (n *Network) intAttr(i *Interface, key string) *int {
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		a := i.Attrs[j]
		if a.Key != key {
			continue
		}
		v, err := strconv.Atoi(a.Value)
		if err != nil || v < 0 {
			n.issue(a.Pos, i.Name, key, errorf(ErrValue, "%s %q is not a number", key, a.Value))
			return nil
		}
		return &v
	}
	return nil
}

func (n *Network) bridge(i *Interface) *Bridge {
	b := &Bridge{}
	if v, ok := i.Get("bridge-ports"); ok {
		b.Ports = list(v)
	}
	if v, ok := n.boolAttr(i, "bridge-stp"); ok {
		b.STP = &v
	}
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		if a := i.Attrs[j]; a.Key == "bridge-fd" {
			v, err := strconv.ParseFloat(a.Value, 64)
			if err != nil || v < 0 {
				n.issue(a.Pos, i.Name, "bridge-fd", errorf(ErrValue, "bridge-fd %q is not a number of seconds", a.Value))
			} else {
				b.ForwardDelay = &v
			}
			break
		}
	}
	b.VLANAware, _ = n.boolAttr(i, "bridge-vlan-aware")
	b.DisableMACLearning, _ = n.boolAttr(i, "bridge-disable-mac-learning")
	if v := n.intAttr(i, "bridge-pvid"); v != nil {
		b.PVID = *v
	}
	for _, a := range i.Attrs {
		if a.Key != "bridge-vids" {
			continue
		}
		r, err := ParseVIDs(a.Value)
		if err != nil {
			n.issue(a.Pos, i.Name, "bridge-vids", fmt.Errorf("bridge-vids: %w", err))
		}
		b.VIDs = append(b.VIDs, r...)
	}
	return b
}

// ParseVIDs reads a bridge-vids list: VLAN IDs and ranges separated by
// blanks or commas ("2-4094", "10 20-30"). Ranges outside 1 to 4094 are
// returned too, with an error wrapping [ErrValue].
func ParseVIDs(s string) ([]VIDRange, error) {
	var out []VIDRange
	var bad []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		lo, hi, isRange := strings.Cut(w, "-")
		from, err1 := strconv.Atoi(lo)
		to := from
		var err2 error
		if isRange {
			to, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || from > to {
			bad = append(bad, w)
			continue
		}
		out = append(out, VIDRange{From: from, To: to})
		if from < 1 || to > 4094 {
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		return out, errorf(ErrValue, "%s outside 1-4094", strings.Join(bad, ", "))
	}
	return out, nil
}

func (n *Network) bond(i *Interface) *Bond {
	b := &Bond{}
	if v, ok := i.Get("bond-slaves"); ok {
		b.Slaves = list(v)
	} else if v, ok := i.Get("bond-ports"); ok {
		b.Slaves = list(v)
	}
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		if a := i.Attrs[j]; a.Key == "bond-mode" {
			m, err := ParseBondMode(a.Value)
			if err != nil {
				n.issue(a.Pos, i.Name, "bond-mode", err)
			} else {
				b.Mode, b.ModeSet = m, true
			}
			break
		}
	}
	b.MIIMon = n.intAttr(i, "bond-miimon")
	b.MinLinks = n.intAttr(i, "bond-min-links")
	b.UpDelay = n.intAttr(i, "bond-updelay")
	b.DownDelay = n.intAttr(i, "bond-downdelay")
	b.Primary, _ = i.Get("bond-primary")
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		a := i.Attrs[j]
		switch a.Key {
		case "bond-xmit-hash-policy":
			if b.XmitHashPolicy != "" {
				continue
			}
			p, err := ParseXmitHashPolicy(a.Value)
			if err != nil {
				n.issue(a.Pos, i.Name, a.Key, err)
				b.XmitHashPolicy = "-"
				continue
			}
			b.XmitHashPolicy = p
		case "bond-lacp-rate":
			if b.LACPRate != "" {
				continue
			}
			switch strings.ToLower(a.Value) {
			case "slow", "0":
				b.LACPRate = "slow"
			case "fast", "1":
				b.LACPRate = "fast"
			default:
				n.issue(a.Pos, i.Name, a.Key, errorf(ErrValue, "bond-lacp-rate %q is not slow or fast", a.Value))
				b.LACPRate = "-"
			}
		}
	}
	if b.XmitHashPolicy == "-" {
		b.XmitHashPolicy = ""
	}
	if b.LACPRate == "-" {
		b.LACPRate = ""
	}
	return b
}

func (n *Network) vlan(i *Interface) *VLAN {
	v := &VLAN{}
	v.Protocol, _ = i.Get("vlan-protocol")
	raw, hasRaw := i.Get("vlan-raw-device")
	if hasRaw {
		v.RawDevice = raw
	}
	if s, ok := i.Get("vlan-id"); ok {
		id, err := strconv.Atoi(s)
		if err != nil {
			for _, a := range i.Attrs {
				if a.Key == "vlan-id" {
					n.issue(a.Pos, i.Name, "vlan-id", errorf(ErrValue, "vlan-id %q is not a number", s))
				}
			}
		} else {
			v.ID = id
		}
	}
	nm := parseName(i.Name, false)
	if nm.Kind == KindVLAN {
		if v.ID == 0 {
			v.ID = nm.VLAN
		}
		if !hasRaw && nm.Parent != "" {
			v.RawDevice, v.Dotted = nm.Parent, true
		}
	}
	return v
}

func (n *Network) ovs(i *Interface) *OVS {
	o := &OVS{}
	o.Type, _ = i.Get("ovs-type")
	o.Bridge, _ = i.Get("ovs-bridge")
	if v, ok := i.Get("ovs-ports"); ok {
		o.Ports = strings.Fields(v)
	}
	if v, ok := i.Get("ovs-bonds"); ok {
		o.Bonds = strings.Fields(v)
	}
	o.Options, _ = i.Get("ovs-options")
	if t := n.intAttr(i, "ovs-tag"); t != nil {
		o.Tag = *t
	}
	return o
}
