package netcfg

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Style lays out the files the setup builders write.
type Style struct {
	// Indent indents options; BondIndent those of bond stanzas.
	Indent, BondIndent string
	// Align pads "address" and "gateway" to 9 columns and the keys of a
	// run of hook lines to the longest of them, as the admin guide's
	// examples do.
	Align bool
}

// Styles of the builders. A nil *Style gives each setup the exact layout
// of its example in the admin guide (GuideStyle, except that the default
// bridge example does not align, and two examples have a double blank
// line).
var (
	// GuideStyle is the admin guide's layout: 8 spaces, 6 in bonds,
	// aligned addresses and hooks.
	GuideStyle = &Style{Indent: "        ", BondIndent: "      ", Align: true}
	// ProxmoxStyle is how Proxmox VE's own writer lays files out: a tab,
	// one blank after the key.
	ProxmoxStyle = &Style{Indent: "\t", BondIndent: "\t"}
)

// BondSpec is the bond of a setup.
type BondSpec struct {
	// Name is "" for bond0.
	Name string
	// Slaves are the bonded NICs.
	Slaves []string
	// Mode is the bonding mode; the guide uses 802.3ad (LACP) where the
	// switch supports it, else active-backup.
	Mode BondMode
	// MIIMon is the link monitoring interval in ms; 0 means 100.
	MIIMon int
	// XmitHashPolicy is "" for layer2+3 in the modes that use one
	// (802.3ad, balance-xor), none otherwise.
	XmitHashPolicy string
	// Address, when valid, is put on the bond itself.
	Address netip.Prefix
}

func (b *BondSpec) name() string {
	if b.Name == "" {
		return "bond0"
	}
	return b.Name
}

// BridgeSetup is the default configuration: a bridge on a NIC with the
// host's address ("Default Configuration using a Bridge").
type BridgeSetup struct {
	// Bridge is "" for vmbr0.
	Bridge string
	// Ports are the bridge's NICs, such as eno1; none makes a bridge
	// without ports.
	Ports []string
	// Address and Gateway are the host's; an invalid Address makes the
	// bridge manual.
	Address netip.Prefix
	Gateway netip.Addr
	// VLANAware makes the bridge VLAN aware with VIDs ("" for 2-4094).
	VLANAware bool
	VIDs      string
	// DisableMACLearning sets bridge-disable-mac-learning 1.
	DisableMACLearning bool
	Style              *Style
}

// RoutedSetup is the routed configuration for a host with one public
// address and an extra block for its guests ("Routed Configuration").
type RoutedSetup struct {
	// Uplink is the NIC with the public address.
	Uplink string
	// Address and Gateway are the uplink's.
	Address netip.Prefix
	Gateway netip.Addr
	// Bridge is "" for vmbr0; BridgeAddress is the host's address in the
	// guests' block.
	Bridge        string
	BridgeAddress netip.Prefix
	Style         *Style
}

// MasqueradeSetup is NAT for guests with private addresses ("Masquerading
// (NAT) with iptables").
type MasqueradeSetup struct {
	// Uplink is the NIC with the host's real address.
	Uplink  string
	Address netip.Prefix
	Gateway netip.Addr
	// Bridge is "" for vmbr0; BridgeAddress is the host's address in the
	// private network, which is masqueraded.
	Bridge        string
	BridgeAddress netip.Prefix
	// ConntrackZones adds the guide's conntrack-zone lines, needed with
	// the firewall enabled.
	ConntrackZones bool
	Style          *Style
}

// BondSetup is a bond with the host's bridge on it or beside it ("Linux
// Bond").
type BondSetup struct {
	Bond BondSpec
	// Bridge is "" for vmbr0. BridgePort is the bridge's port: "" for the
	// bond itself ("Use a bond as bridge port"), or another NIC ("Use bond
	// with fixed IP address", with Bond.Address set).
	Bridge     string
	BridgePort string
	// Address and Gateway are the bridge's.
	Address netip.Prefix
	Gateway netip.Addr
	Style   *Style
}

// VLANSetup puts the host's management address on a VLAN ("VLAN on the
// Host"): traditional (a VLAN device and a bridge vmbr0vN on it, beside
// the guests' bridge) or on a VLAN-aware bridge (vmbr0.N), over a NIC or
// a bond.
type VLANSetup struct {
	// Port is the NIC when Bond is nil.
	Port string
	Bond *BondSpec
	// VLAN is the management VLAN's ID.
	VLAN int
	// Bridge is "" for vmbr0.
	Bridge string
	// VLANAware chooses the VLAN-aware bridge; VIDs are its VLANs ("" for
	// 2-4094).
	VLANAware bool
	VIDs      string
	Address   netip.Prefix
	Gateway   netip.Addr
	Style     *Style
}

// setupWriter writes the text of a setup.
type setupWriter struct {
	b     strings.Builder
	st    Style
	guide bool // the guide's own layout quirks
}

func newSetupWriter(st *Style, align bool) *setupWriter {
	w := &setupWriter{}
	if st == nil {
		w.st, w.guide = *GuideStyle, true
		w.st.Align = align
	} else {
		w.st = *st
	}
	if w.st.Indent == "" {
		w.st.Indent = "\t"
	}
	if w.st.BondIndent == "" {
		w.st.BondIndent = w.st.Indent
	}
	w.line("auto lo")
	w.line("iface lo inet loopback")
	return w
}

func (w *setupWriter) line(s string) { w.b.WriteString(s + "\n") }

// stanza starts a stanza after a blank line.
func (w *setupWriter) stanza(name, method string, auto bool, comment string) {
	w.line("")
	if auto {
		w.line("auto " + name)
	}
	if comment != "" {
		w.line(comment)
	}
	w.line("iface " + name + " inet " + method)
}

func (w *setupWriter) opt(indent, key, value string) {
	width := 0
	if w.st.Align && (key == "address" || key == "gateway") {
		width = 9
	}
	w.padded(indent, key, value, width)
}

func (w *setupWriter) padded(indent, key, value string, width int) {
	pad := " "
	if n := width - len(key); n > 1 {
		pad = strings.Repeat(" ", n)
	}
	w.line(indent + key + pad + value)
}

// hooks writes hook lines ("post-up CMD"), aligned as a block.
func (w *setupWriter) hooks(lines ...string) {
	width := 0
	if w.st.Align {
		for _, l := range lines {
			k, _, _ := strings.Cut(l, " ")
			width = max(width, len(k)+1)
		}
	}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, " ")
		w.padded(w.st.Indent, k, strings.TrimSpace(v), width)
	}
}

func (w *setupWriter) address(indent string, a netip.Prefix, gw netip.Addr) {
	if a.IsValid() {
		w.opt(indent, "address", a.String())
	}
	if gw.IsValid() {
		w.opt(indent, "gateway", gw.String())
	}
}

func method(a netip.Prefix) string {
	if a.IsValid() {
		return "static"
	}
	return "manual"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (w *setupWriter) bridgeOpts(ports []string) {
	p := "none"
	if len(ports) > 0 {
		p = strings.Join(ports, " ")
	}
	w.opt(w.st.Indent, "bridge-ports", p)
	w.opt(w.st.Indent, "bridge-stp", "off")
	w.opt(w.st.Indent, "bridge-fd", "0")
}

func (w *setupWriter) nics(names ...string) {
	for _, n := range names {
		w.stanza(n, "manual", false, "")
	}
}

func (w *setupWriter) bond(b *BondSpec) {
	ind := w.st.BondIndent
	w.stanza(b.name(), method(b.Address), true, "")
	w.opt(ind, "bond-slaves", strings.Join(b.Slaves, " "))
	if b.Address.IsValid() {
		w.opt(ind, "address", b.Address.String())
	}
	miimon := b.MIIMon
	if miimon == 0 {
		miimon = 100
	}
	w.opt(ind, "bond-miimon", strconv.Itoa(miimon))
	w.opt(ind, "bond-mode", b.Mode.String())
	if p := b.XmitHashPolicy; p != "" || b.Mode == Bond8023AD || b.Mode == BondBalanceXOR {
		w.opt(ind, "bond-xmit-hash-policy", orDefault(p, "layer2+3"))
	}
}

func (w *setupWriter) file(name string) *File {
	f, _ := Parse(name, []byte(w.b.String()))
	return f
}

// DefaultBridge builds the default configuration. With the admin guide's
// parameters (port eno1, 192.168.10.2/24, gateway 192.168.10.1) and a nil
// Style it writes the guide's example exactly.
func DefaultBridge(s BridgeSetup) *File {
	w := newSetupWriter(s.Style, false)
	w.nics(s.Ports...)
	br := orDefault(s.Bridge, "vmbr0")
	w.stanza(br, method(s.Address), true, "")
	w.address(w.st.Indent, s.Address, s.Gateway)
	w.bridgeOpts(s.Ports)
	if s.VLANAware {
		w.opt(w.st.Indent, "bridge-vlan-aware", "yes")
		w.opt(w.st.Indent, "bridge-vids", orDefault(s.VIDs, "2-4094"))
	}
	if s.DisableMACLearning {
		w.opt(w.st.Indent, "bridge-disable-mac-learning", "1")
	}
	return w.file(DefaultPath)
}

// Routed builds the routed configuration: the public address on the
// uplink with IP forwarding and proxy ARP, and a bridge without ports
// holding the host's address in the guests' block. With the guide's
// parameters it writes the guide's example exactly.
func Routed(s RoutedSetup) *File {
	w := newSetupWriter(s.Style, true)
	w.stanza(s.Uplink, method(s.Address), true, "")
	w.address(w.st.Indent, s.Address, s.Gateway)
	w.hooks("post-up echo 1 > /proc/sys/net/ipv4/ip_forward",
		fmt.Sprintf("post-up echo 1 > /proc/sys/net/ipv4/conf/%s/proxy_arp", s.Uplink))
	if w.guide {
		w.line("")
	}
	w.stanza(orDefault(s.Bridge, "vmbr0"), method(s.BridgeAddress), true, "")
	w.address(w.st.Indent, s.BridgeAddress, netip.Addr{})
	w.bridgeOpts(nil)
	return w.file(DefaultPath)
}

// Masquerade builds NAT for the guests: the host's address on the uplink
// and a private network on a bridge without ports, masqueraded by
// iptables when the bridge comes up. With the guide's parameters it
// writes the guide's example exactly; ConntrackZones adds the guide's
// conntrack-zone lines at the end of the bridge's stanza.
func Masquerade(s MasqueradeSetup) *File {
	w := newSetupWriter(s.Style, true)
	w.stanza(s.Uplink, method(s.Address), true, "#real IP address")
	w.address(w.st.Indent, s.Address, s.Gateway)
	w.stanza(orDefault(s.Bridge, "vmbr0"), method(s.BridgeAddress), true, "#private sub network")
	w.address(w.st.Indent, s.BridgeAddress, netip.Addr{})
	w.bridgeOpts(nil)
	w.line("")
	net := s.BridgeAddress.Masked().String()
	hooks := []string{"post-up echo 1 > /proc/sys/net/ipv4/ip_forward",
		fmt.Sprintf("post-up iptables -t nat -A POSTROUTING -s '%s' -o %s -j MASQUERADE", net, s.Uplink),
		fmt.Sprintf("post-down iptables -t nat -D POSTROUTING -s '%s' -o %s -j MASQUERADE", net, s.Uplink)}
	if s.ConntrackZones {
		hooks = append(hooks, ConntrackZoneLines()...)
	}
	w.hooks(hooks...)
	return w.file(DefaultPath)
}

// ConntrackZoneLines returns the guide's conntrack-zone options for a
// masquerading bridge with the firewall enabled.
func ConntrackZoneLines() []string {
	return []string{
		"post-up iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1",
		"post-down iptables -t raw -D PREROUTING -i fwbr+ -j CT --zone 1",
	}
}

// Bonded builds a bond with the host's bridge on it (BridgePort "") or on
// another NIC (with the bond carrying its own address, for a storage
// network). With the guide's parameters it writes the guide's examples
// exactly.
func Bonded(s BondSetup) *File {
	w := newSetupWriter(s.Style, true)
	nics := append([]string(nil), s.Bond.Slaves...)
	if s.BridgePort != "" {
		nics = append(nics, s.BridgePort)
	}
	w.nics(nics...)
	w.bond(&s.Bond)
	port := s.BridgePort
	if port == "" {
		port = s.Bond.name()
	}
	w.stanza(orDefault(s.Bridge, "vmbr0"), method(s.Address), true, "")
	w.address(w.st.Indent, s.Address, s.Gateway)
	w.bridgeOpts([]string{port})
	return w.file(DefaultPath)
}

// ManagementVLAN builds the guide's "VLAN on the Host" setups: the host's
// address on VLAN s.VLAN, traditionally (a VLAN device PORT.N bridged as
// vmbr0vN beside the guests' bridge) or on a VLAN-aware bridge (vmbr0.N),
// over a NIC or a bond. With the guide's parameters it writes the guide's
// three examples exactly.
func ManagementVLAN(s VLANSetup) *File {
	w := newSetupWriter(s.Style, true)
	port := s.Port
	if s.Bond != nil {
		w.nics(s.Bond.Slaves...)
		w.bond(s.Bond)
		port = s.Bond.name()
	} else {
		w.nics(port)
	}
	br := orDefault(s.Bridge, "vmbr0")
	vid := strconv.Itoa(s.VLAN)
	if s.VLANAware {
		if w.guide && s.Bond == nil {
			w.line("")
		}
		w.stanza(br+"."+vid, method(s.Address), true, "")
		w.address(w.st.Indent, s.Address, s.Gateway)
		w.stanza(br, "manual", true, "")
		w.bridgeOpts([]string{port})
		w.opt(w.st.Indent, "bridge-vlan-aware", "yes")
		w.opt(w.st.Indent, "bridge-vids", orDefault(s.VIDs, "2-4094"))
		return w.file(DefaultPath)
	}
	w.stanza(port+"."+vid, "manual", false, "")
	w.stanza(br+"v"+vid, method(s.Address), true, "")
	w.address(w.st.Indent, s.Address, s.Gateway)
	w.bridgeOpts([]string{port + "." + vid})
	w.stanza(br, "manual", true, "")
	w.bridgeOpts([]string{port})
	return w.file(DefaultPath)
}
