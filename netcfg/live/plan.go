package live

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/sysctl"
)

// Op is the kind of a plan step.
type Op string

// Step operations, in the order a plan runs them.
const (
	OpExec     Op = "exec"      // a hook command (pre-up, post-up, pre-down, ...)
	OpRelease  Op = "release"   // take a port out of its bridge or bond
	OpDown     Op = "down"      // set a link administratively down
	OpDelete   Op = "delete"    // delete a virtual link
	OpCreate   Op = "create"    // create a bridge, bond, VLAN, veth or dummy
	OpSet      Op = "set"       // change MTU, MAC or bridge, bond options
	OpEnslave  Op = "enslave"   // make a link a port of a bridge or bond
	OpPort     Op = "port"      // set bridge port options (learning)
	OpVLAN     Op = "vlan"      // make a bridge's or port's VLAN entries match
	OpFDBDel   Op = "fdb-del"   // remove a static FDB entry
	OpFDBAdd   Op = "fdb-add"   // add a static FDB entry
	OpUp       Op = "up"        // set a link administratively up
	OpAddrDel  Op = "addr-del"  // remove an address
	OpAddrAdd  Op = "addr-add"  // add an address
	OpRouteDel Op = "route-del" // remove a route
	OpRouteAdd Op = "route-add" // add (or replace) a route
	OpSysctl   Op = "sysctl"    // set a kernel parameter
)

// Step is one change a plan makes. Text says it in the words of ip(8),
// bridge(8) and sysctl(8).
type Step struct {
	Op   Op     `json:"op"`
	Link string `json:"link,omitempty"`
	Text string `json:"text"`
	// Where is the file position of the line that asks for the step
	// ("/etc/network/interfaces:12"), "" for steps a rollback makes.
	Where string `json:"where,omitempty"`
	// Hook is the option of an exec step ("post-up").
	Hook string `json:"hook,omitempty"`
	// Argv is the command of an exec step run without a shell.
	Argv []string `json:"argv,omitempty"`
	// Shell is set for an exec step whose line needs /bin/sh: it names
	// what needs it ("redirection", "pipe", ...).
	Shell string `json:"shell,omitempty"`

	// payload
	link   *Link        // create: the link to make; set: the fields to change
	chg    *linkChange  // set
	master string       // enslave
	port   *PortAttrs   // port
	vlans  []VLANEntry  // vlan: the entries to have
	manage bool         // vlan: remove other entries
	self   bool         // vlan: the link is the bridge itself
	fdb    FDBEntry     // fdb-*
	addr   netip.Prefix // addr-*
	route  Route        // route-*
	param  string       // sysctl, path form
	value  string       // sysctl
	// optional: a sysctl the kernel may lack (no error then)
	optional bool
	line     string   // exec
	env      []string // exec
}

// String returns the step's text.
func (s Step) String() string { return s.Text }

// Plan is the list of steps that make the kernel match a configuration,
// in dependency order: hooks and removals first, then bonds and bridges
// before the devices built on them, ports, VLANs and FDB entries, links
// up, addresses, routes, kernel parameters and post-up hooks last.
type Plan struct {
	Steps []Step `json:"steps"`
	// Notes say what the plan leaves alone and why (Open vSwitch
	// interfaces, DHCP, interfaces that are not auto).
	Notes []string `json:"notes,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// String lists the steps one per line, or says that nothing changes.
func (p *Plan) String() string {
	if p.Empty() {
		return "nothing to do: the kernel already matches the configuration\n"
	}
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(s.Text)
		if s.Where != "" {
			b.WriteString("  # " + s.Where)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// linkChange lists the attributes a set step changes; nil and zero fields
// stay.
type linkChange struct {
	MTU    int
	MAC    net.HardwareAddr
	Bridge *BridgeOptions
	Bond   *BondOptions
}

// families says which address families a setting covers.
type families struct{ v4, v6 bool }

func (f families) any() bool { return f.v4 || f.v6 }

func (f families) has(a netip.Addr) bool {
	if a.Is4() || a.Is4In6() {
		return f.v4
	}
	return f.v6
}

var bothFamilies = families{v4: true, v6: true}

// hook is a command of a link's stanza.
type hook struct {
	hook, line, where string
	env               []string
}

// wantLink is what a target asks of one link. Nil pointers and zero
// values mean "leave as it is".
type wantLink struct {
	name string
	// kind is the kind to create ("bridge", "bond", "vlan", ...), ""
	// for a device that must exist already.
	kind   string
	parent string // VLAN lower device, veth peer
	vlan   *VLANAttrs
	bridge *BridgeOptions
	bond   *BondOptions
	mtu    int
	mac    net.HardwareAddr
	up     *bool
	master *string
	port   *PortAttrs

	// addrs are the addresses to have; for the families in manageAddrs
	// (v4, v6), others (but IPv6 link-local and dynamic ones) are
	// removed.
	addrs       []netip.Prefix
	manageAddrs families
	// gateways are the default routes through this link; with
	// manageGateways, other default routes of those families added by ip
	// or this package through it are removed.
	gateways       []netip.Addr
	manageGateways families
	// vlans are the bridge VLAN entries of the link; with manageVLANs,
	// others are removed.
	vlans       []VLANEntry
	manageVLANs bool
	// keepMember decides, for a bridge or bond, whether a port not
	// asked for stays (guest taps, condoned names); nil releases none.
	keepMember func(name string) bool

	preUp, postUp, preDown, postDown []hook
	where                            string
}

type sysctlWant struct {
	param, value, where string
	// optional parameters of link are skipped where the kernel lacks
	// them (IPv6 disabled).
	optional bool
	link     string
}

// target is the whole configuration a plan works towards.
type target struct {
	links []*wantLink // dependency order: lower devices first
	by    map[string]*wantLink
	// remove are links to take down (virtual ones deleted), with their
	// down hooks, uppers first.
	remove []*wantLink
	// prune deletes current virtual links the target does not name.
	prune bool
	// routes, with exactRoutes, are all routes but the kernel's.
	routes      []Route
	exactRoutes bool
	// fdb are the static entries to have; fdbPorts are the ports whose
	// other static entries are removed (all ports with exactFDB).
	fdb      []FDBEntry
	fdbPorts map[string]bool
	exactFDB bool
	// sysctls (path form) in order.
	sysctls []sysctlWant
	notes   []string
}

// usesBridgeTables reports whether the target asks for FDB or bridge
// VLAN entries.
func (t *target) usesBridgeTables() bool {
	if t.exactFDB || len(t.fdb) > 0 || len(t.fdbPorts) > 0 {
		return true
	}
	for _, w := range t.links {
		if w.manageVLANs || len(w.vlans) > 0 {
			return true
		}
	}
	return false
}

func (t *target) add(w *wantLink) *wantLink {
	if t.by == nil {
		t.by = map[string]*wantLink{}
	}
	if old := t.by[w.name]; old != nil {
		return old
	}
	t.by[w.name] = w
	t.links = append(t.links, w)
	return w
}

// Options tune how a configuration is applied. The zero value applies the
// auto interfaces of a file.
type Options struct {
	// Previous is the configuration the kernel was set up from (the old
	// /etc/network/interfaces when committing interfaces.new): interfaces
	// it had that the new one lacks are brought down and, if virtual,
	// deleted, and ports it named are released from their bridges. Nil
	// means none: nothing outside the new file is removed.
	Previous *netcfg.Network
	// FDB are static forwarding entries for guest MACs on bridges with
	// bridge-disable-mac-learning: Proxmox VE adds the MAC of each guest
	// NIC on its tap or veth port so that the guest stays reachable
	// without learning.
	FDB []FDBEntry
	// Interfaces limits the apply to these interfaces (and the devices
	// they are built on), as ifup IFACE does; nil means all auto
	// interfaces, as ifreload -a does.
	Interfaces []string
}

// ErrPlan marks a configuration that cannot be applied (a missing port, a
// VLAN without lower device); no step has run when it is returned.
var ErrPlan = errors.New("cannot apply")

// guestPort reports whether a bridge port name is one Proxmox VE's guests
// plug in (tap, veth, firewall links): an apply never releases those.
func guestPort(name string) bool {
	switch netcfg.ClassifyName(name) {
	case netcfg.KindPhysical, netcfg.KindBond, netcfg.KindVLAN, netcfg.KindBridge:
		return false
	}
	return true
}

// newTarget reads what the configuration n asks of the kernel.
func newTarget(n *netcfg.Network, opts *Options) (*target, error) {
	if opts == nil {
		opts = &Options{}
	}
	t := &target{fdbPorts: map[string]bool{}}
	ordered, err := n.Ordered()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPlan, err)
	}
	// The interfaces to apply: the selection (auto ones by default) and
	// everything they are built on.
	sel := map[string]bool{}
	if opts.Interfaces != nil {
		for _, name := range opts.Interfaces {
			if n.Interface(name) == nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrPlan, name, netcfg.ErrNotFound)
			}
			sel[name] = true
		}
	} else {
		for _, i := range n.Interfaces {
			if i.Auto {
				sel[i.Name] = true
			}
		}
	}
	var need func(name string)
	need = func(name string) {
		i := n.Interface(name)
		if i == nil {
			return
		}
		for _, l := range i.Lower() {
			if !sel[l] {
				sel[l] = true
				need(l)
			}
		}
	}
	for name := range sel {
		need(name)
	}
	for _, i := range ordered {
		if !sel[i.Name] {
			if i.Kind != netcfg.KindLoopback {
				t.notes = append(t.notes, fmt.Sprintf("%s: not auto and no auto interface uses it: left as it is", i.Name))
			}
			continue
		}
		if err := t.addInterface(n, i, opts); err != nil {
			return nil, err
		}
	}
	if opts.Previous != nil {
		t.addRemovals(opts.Previous)
	}
	for _, e := range opts.FDB {
		if e.Port == "" || len(e.MAC) != 6 {
			return nil, fmt.Errorf("%w: FDB entry %s on %q: want a port and a 6-byte MAC", ErrPlan, e.MAC, e.Port)
		}
		t.fdb = append(t.fdb, e)
		t.fdbPorts[e.Port] = true
	}
	return t, nil
}

func ptr[T any](v T) *T { return &v }

func (t *target) addInterface(n *netcfg.Network, i *netcfg.Interface, opts *Options) error {
	where := i.Pos.String()
	w := &wantLink{name: i.Name, where: where, up: ptr(true), mtu: i.MTU, mac: i.HWAddress}
	switch i.Kind {
	case netcfg.KindOVSBridge, netcfg.KindOVSBond, netcfg.KindOVSPort, netcfg.KindOVSIntPort:
		t.notes = append(t.notes, fmt.Sprintf("%s: Open vSwitch interfaces are applied by ovs-vsctl, not here: left as it is", i.Name))
		return nil
	case netcfg.KindBridge:
		w.kind = "bridge"
		b := i.Bridge
		bw := &BridgeOptions{VLANFiltering: ptr(b.VLANAware)}
		bw.STP = b.STP
		if bw.STP == nil {
			bw.STP = ptr(false) // ifupdown2's default bridge-stp no
		}
		if b.ForwardDelay != nil {
			bw.ForwardDelay = ptr(int(*b.ForwardDelay*100 + 0.5))
		}
		w.bridge = bw
		condone := condoneRegexp(i)
		prevPorts := map[string]bool{}
		if opts.Previous != nil {
			if pi := opts.Previous.Interface(i.Name); pi != nil && pi.Bridge != nil {
				for _, p := range pi.Bridge.Ports {
					prevPorts[p] = true
				}
			}
		}
		w.keepMember = func(name string) bool {
			if prevPorts[name] {
				return false
			}
			return guestPort(name) || (condone != nil && condone.MatchString(name))
		}
		if b.VLANAware {
			w.manageVLANs = false // the bridge's own entries follow VLAN devices on it
		}
	case netcfg.KindBond:
		w.kind = "bond"
		b := i.Bond
		mode := b.Mode
		bw := &BondOptions{Mode: &mode, MIIMon: b.MIIMon, MinLinks: b.MinLinks, UpDelay: b.UpDelay, DownDelay: b.DownDelay}
		if b.XmitHashPolicy != "" {
			bw.XmitHashPolicy = ptr(b.XmitHashPolicy)
		}
		if b.LACPRate != "" {
			bw.LACPRate = ptr(b.LACPRate)
		}
		if b.Primary != "" {
			bw.Primary = ptr(b.Primary)
		}
		w.bond = bw
		w.keepMember = func(string) bool { return false }
	case netcfg.KindVLAN:
		v := i.VLAN
		if v.RawDevice == "" || v.ID < 1 || v.ID > 4094 {
			return fmt.Errorf("%w: %s: %s: VLAN needs a raw device and an ID from 1 to 4094", ErrPlan, where, i.Name)
		}
		w.kind = "vlan"
		w.parent = v.RawDevice
		proto := "802.1Q"
		if strings.EqualFold(v.Protocol, "802.1ad") {
			proto = "802.1ad"
		}
		w.vlan = &VLANAttrs{ID: v.ID, Protocol: proto}
		// A lower device without a stanza comes up with its VLAN, as
		// ifupdown2 brings dependencies up: the kernel refuses to
		// open a VLAN on a device that is down.
		if t.by[v.RawDevice] == nil && n.Interface(v.RawDevice) == nil {
			t.add(&wantLink{name: v.RawDevice, up: ptr(true), where: where})
		}
		// A VLAN device on a VLAN-aware bridge needs its VID on the
		// bridge itself.
		if pb := n.Interface(v.RawDevice); pb != nil && pb.Bridge != nil && pb.Bridge.VLANAware {
			if bw := t.by[v.RawDevice]; bw != nil {
				bw.vlans = append(bw.vlans, VLANEntry{Link: v.RawDevice, VID: v.ID})
			}
		}
	}
	w = t.add(w)
	// Merge what an upper device asked before (ports are created first
	// as implicit links when they have no stanza).
	w.where = where
	if i.MTU != 0 {
		w.mtu = i.MTU
	}
	if i.HWAddress != nil {
		w.mac = i.HWAddress
	}
	// Addresses and gateways of a family are managed when its stanza's
	// method is static or manual; dhcp and auto leave them to their
	// client.
	method := ""
	w.addrs = i.Addresses
	w.gateways = i.Gateways
	for _, fm := range i.Families {
		if fm.Method != "" {
			method = fm.Method
		}
		switch fm.Method {
		case "static", "manual", "":
			if fm.Family == "inet6" {
				w.manageAddrs.v6, w.manageGateways.v6 = true, true
			} else {
				w.manageAddrs.v4, w.manageGateways.v4 = true, true
			}
		case "loopback":
		case "dhcp":
			// As ifupdown2 does: dhclient when the link comes up,
			// released when it goes down.
			v6, pf, lf := "", "/run/dhclient."+i.Name+".pid", "/var/lib/dhcp/dhclient."+i.Name+".leases"
			if fm.Family == "inet6" {
				v6, pf, lf = "-6", "/run/dhclient6."+i.Name+".pid", "/var/lib/dhcp/dhclient6."+i.Name+".leases"
			}
			up := []string{"dhclient", v6, "-pf", pf, "-lf", lf, i.Name}
			down := []string{"dhclient", v6, "-x", "-pf", pf, "-lf", lf, i.Name}
			if v6 == "" {
				up = slices.Delete(up, 1, 2)
				down = slices.Delete(down, 1, 2)
			}
			w.postUp = append(w.postUp, hook{hook: "dhcp", line: strings.Join(up, " "), where: where})
			w.preDown = append(w.preDown, hook{hook: "dhcp", line: strings.Join(down, " "), where: where})
			t.notes = append(t.notes, fmt.Sprintf("%s: %s dhcp: addresses are left to dhclient, started when the link comes up", i.Name, fm.Family))
		default:
			t.notes = append(t.notes, fmt.Sprintf("%s: %s %s: addresses are left to the kernel's autoconfiguration", i.Name, fm.Family, fm.Method))
		}
	}
	env := func(phase, mode string) []string {
		fam, meth := "", method
		if len(i.Families) > 0 {
			fam = i.Families[0].Family
		}
		return []string{"IFACE=" + i.Name, "LOGICAL=" + i.Name, "ADDRFAM=" + fam, "METHOD=" + meth, "MODE=" + mode, "PHASE=" + phase}
	}
	for _, c := range i.Commands {
		h := hook{hook: c.Hook, line: c.Line, where: c.Pos.String()}
		switch c.Hook {
		case "pre-up":
			h.env = env("pre-up", "start")
			w.preUp = append(w.preUp, h)
		case "up", "post-up":
			act, err := parseHook(c.Line)
			if err == nil && act.Param != "" {
				t.sysctls = append(t.sysctls, sysctlWant{param: act.Param, value: act.Value, where: h.where})
				continue
			}
			h.env = env("post-up", "start")
			w.postUp = append(w.postUp, h)
		case "pre-down", "down":
			h.env = env("pre-down", "stop")
			w.preDown = append(w.preDown, h)
		case "post-down":
			h.env = env("post-down", "stop")
			w.postDown = append(w.postDown, h)
		}
	}
	// Ports and slaves: enslave them, and for a bridge without MAC
	// learning turn learning off on them.
	switch {
	case i.Bridge != nil:
		learning := !i.Bridge.DisableMACLearning
		pvid := i.Bridge.PVID
		if pvid == 0 {
			pvid = 1
		}
		for _, p := range i.Bridge.Ports {
			// ifupdown2 turns IPv6 off on bridge ports: the host is
			// reachable through the bridge, not the port.
			t.sysctls = append(t.sysctls, sysctlWant{param: "net/ipv6/conf/" + p + "/disable_ipv6", value: "1", where: where, optional: true, link: p})
			pw := t.member(p, i.Name, where)
			pw.port = &PortAttrs{Learning: learning, UnicastFlood: true}
			if i.Bridge.VLANAware {
				pw.manageVLANs = true
				pw.vlans = portVLANs(p, i.Bridge.VIDs, pvid)
			}
		}
		if i.Bridge.DisableMACLearning {
			for _, e := range opts.FDB {
				t.fdbPorts[e.Port] = true
			}
		}
	case i.Bond != nil:
		for _, s := range i.Bond.Slaves {
			t.member(s, i.Name, where)
		}
	}
	return nil
}

// member records that name is a port of master. A port without a stanza
// of its own goes before its master in the order.
func (t *target) member(name, master, where string) *wantLink {
	w := t.by[name]
	if w == nil {
		w = &wantLink{name: name, up: ptr(true), where: where}
		t.by[name] = w
		i := slices.IndexFunc(t.links, func(l *wantLink) bool { return l.name == master })
		if i < 0 {
			i = len(t.links)
		}
		t.links = slices.Insert(t.links, i, w)
	}
	w.master = ptr(master)
	return w
}

// portVLANs returns the VLAN entries of a port of a VLAN-aware bridge:
// bridge-vids tagged, and the PVID untagged.
func portVLANs(port string, vids []netcfg.VIDRange, pvid int) []VLANEntry {
	var set vidSet
	for _, r := range vids {
		for v := max(r.From, 1); v <= min(r.To, 4094); v++ {
			set.add(v)
		}
	}
	out := set.ranges(port, false, false)
	out = removeVID(out, pvid)
	out = append(out, VLANEntry{Link: port, VID: pvid, PVID: true, Untagged: true})
	slices.SortFunc(out, func(a, b VLANEntry) int { return a.VID - b.VID })
	return out
}

// removeVID cuts vid out of tagged ranges.
func removeVID(list []VLANEntry, vid int) []VLANEntry {
	var out []VLANEntry
	for _, e := range list {
		end := e.end()
		if vid < e.VID || vid > end {
			out = append(out, e)
			continue
		}
		if vid > e.VID {
			out = append(out, VLANEntry{Link: e.Link, VID: e.VID, To: vid - 1, PVID: e.PVID, Untagged: e.Untagged}.norm())
		}
		if vid < end {
			out = append(out, VLANEntry{Link: e.Link, VID: vid + 1, To: end, PVID: e.PVID, Untagged: e.Untagged}.norm())
		}
	}
	return out
}

func (t *target) addRemovals(prev *netcfg.Network) {
	ordered, _ := prev.Ordered()
	for j := len(ordered) - 1; j >= 0; j-- {
		i := ordered[j]
		if !i.Auto || t.by[i.Name] != nil || i.OVS != nil || i.Kind == netcfg.KindLoopback {
			continue
		}
		w := &wantLink{name: i.Name, where: i.Pos.String()}
		switch i.Kind {
		case netcfg.KindBridge:
			w.kind = "bridge"
		case netcfg.KindBond:
			w.kind = "bond"
		case netcfg.KindVLAN:
			w.kind = "vlan"
		}
		for _, c := range i.Commands {
			h := hook{hook: c.Hook, line: c.Line, where: c.Pos.String(), env: []string{"IFACE=" + i.Name, "LOGICAL=" + i.Name, "MODE=stop", "PHASE=" + c.Hook}}
			switch c.Hook {
			case "pre-down", "down":
				w.preDown = append(w.preDown, h)
			case "post-down":
				w.postDown = append(w.postDown, h)
			}
		}
		w.addrs = i.Addresses
		t.remove = append(t.remove, w)
	}
}

// condoneRegexp returns the bridge-ports-condone-regex of a bridge.
func condoneRegexp(i *netcfg.Interface) interface{ MatchString(string) bool } {
	v, ok := i.Get("bridge-ports-condone-regex")
	if !ok || v == "" {
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return nil
	}
	return re
}

// vidSet is a set of VLAN IDs.
type vidSet [4096 / 64]uint64

func (s *vidSet) add(v int)      { s[v/64] |= 1 << (v % 64) }
func (s *vidSet) has(v int) bool { return s[v/64]&(1<<(v%64)) != 0 }

// ranges compresses the set into entries.
func (s *vidSet) ranges(link string, pvid, untagged bool) []VLANEntry {
	var out []VLANEntry
	for v := 1; v <= 4094; v++ {
		if !s.has(v) {
			continue
		}
		end := v
		for end+1 <= 4094 && s.has(end+1) {
			end++
		}
		out = append(out, VLANEntry{Link: link, VID: v, To: end, PVID: pvid, Untagged: untagged}.norm())
		v = end
	}
	return out
}

func (e VLANEntry) end() int {
	if e.To < e.VID {
		return e.VID
	}
	return e.To
}

// norm writes a single VLAN with To 0.
func (e VLANEntry) norm() VLANEntry {
	if e.To <= e.VID {
		e.To = 0
	}
	return e
}

// vlanText formats an entry as bridge vlan takes it.
func vlanText(e VLANEntry) string {
	s := "vid " + strconv.Itoa(e.VID)
	if e.To > e.VID {
		s += "-" + strconv.Itoa(e.To)
	}
	if e.PVID {
		s += " pvid"
	}
	if e.Untagged {
		s += " untagged"
	}
	return s
}

// planner turns a target and the current state into steps.
type planner struct {
	t   *target
	cur *State
	// names of links that exist (or will) after the create phase.
	steps []Step
	// created and broughtUp record links whose up hooks run.
	created, broughtUp map[string]bool
	// gone are links deleted by the plan (and "NAME\x00master",
	// "NAME\x00up" for links that lose their master or go down on the way).
	gone map[string]bool
	// released are links a step takes out of their master.
	released map[string]bool
	// indexes of cur by link name.
	addrsBy   map[string][]Address
	routesBy  map[string][]Route
	vlansBy   map[string][]VLANEntry
	membersBy map[string][]*Link
	linkBy    map[string]*Link
}

// link returns the current link called name, or nil.
func (p *planner) link(name string) *Link { return p.linkBy[name] }

func (p *planner) index() {
	p.linkBy = make(map[string]*Link, len(p.cur.Links))
	for i := range p.cur.Links {
		p.linkBy[p.cur.Links[i].Name] = &p.cur.Links[i]
	}
	p.addrsBy = map[string][]Address{}
	for _, a := range p.cur.Addresses {
		p.addrsBy[a.Link] = append(p.addrsBy[a.Link], a)
	}
	p.routesBy = map[string][]Route{}
	for _, r := range p.cur.Routes {
		p.routesBy[r.Link] = append(p.routesBy[r.Link], r)
	}
	p.vlansBy = map[string][]VLANEntry{}
	for _, e := range p.cur.VLANs {
		p.vlansBy[e.Link] = append(p.vlansBy[e.Link], e)
	}
	p.membersBy = map[string][]*Link{}
	for i := range p.cur.Links {
		if m := p.cur.Links[i].Master; m != "" {
			p.membersBy[m] = append(p.membersBy[m], &p.cur.Links[i])
		}
	}
}

func (p *planner) add(s Step) {
	if s.Op == OpRelease {
		p.released[s.Link] = true
	}
	p.steps = append(p.steps, s)
}

// makePlan computes the steps from cur to t.
func makePlan(t *target, cur *State) (*Plan, error) {
	p := &planner{t: t, cur: cur, created: map[string]bool{}, broughtUp: map[string]bool{}, gone: map[string]bool{}, released: map[string]bool{}}
	p.index()
	if err := p.check(); err != nil {
		return nil, err
	}
	p.teardown()
	p.create()
	p.set()
	p.enslave()
	p.mtu()
	p.ports()
	p.bridgeVLANs()
	p.fdb()
	p.up()
	p.routes(true)
	p.addresses()
	p.routes(false)
	p.sysctls()
	p.postUp()
	return &Plan{Steps: p.steps, Notes: t.notes}, nil
}

// check refuses targets that cannot work: ports and lower devices that
// neither exist nor are created.
func (p *planner) check() error {
	var errs []error
	for _, w := range p.t.links {
		if w.kind != "" {
			if w.parent != "" && p.link(w.parent) == nil && p.t.by[w.parent] == nil {
				errs = append(errs, fmt.Errorf("%s: %s: lower device %s does not exist", w.where, w.name, w.parent))
			}
			continue
		}
		if p.link(w.name) == nil {
			errs = append(errs, fmt.Errorf("%s: %s: no such device (and it is not a bridge, bond or VLAN to create)", w.where, w.name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrPlan, errors.Join(errs...))
	}
	return nil
}

// needsRecreate reports whether an existing link cannot become what w
// asks without deleting it: another kind, or a VLAN with another ID,
// protocol or lower device.
func needsRecreate(w *wantLink, l *Link) bool {
	if w.kind == "" {
		return false
	}
	if l.Kind != w.kind {
		return true
	}
	if w.kind == "vlan" && w.vlan != nil {
		return l.VLAN == nil || l.VLAN.ID != w.vlan.ID || l.VLAN.Protocol != w.vlan.Protocol || l.Parent != w.parent
	}
	if w.kind == "veth" && w.parent != "" && l.Parent != w.parent {
		return true
	}
	return false
}

func (p *planner) hooks(w *wantLink, hs []hook) {
	for _, h := range hs {
		s := Step{Op: OpExec, Link: w.name, Hook: h.hook, Where: h.where, line: h.line, env: h.env}
		act, err := parseHook(h.line)
		switch {
		case err != nil:
			s.Shell = "unparsed line"
		case act.Param != "":
			// A parameter set on the way down runs as the line says.
			s.Shell = "redirection"
		case act.Shell != "":
			s.Shell = act.Shell
		default:
			s.Argv = act.Argv
		}
		if s.Shell != "" {
			s.Text = fmt.Sprintf("%s %s: sh -c %s  (shell: %s)", h.hook, w.name, shellQuote(h.line), s.Shell)
		} else {
			s.Text = fmt.Sprintf("%s %s: %s", h.hook, w.name, strings.Join(quoteAll(s.Argv), " "))
		}
		p.add(s)
	}
}

func (p *planner) teardown() {
	// Interfaces the previous configuration had and this one lacks.
	for _, w := range p.t.remove {
		l := p.link(w.name)
		if l == nil {
			continue
		}
		if l.Up {
			p.hooks(w, w.preDown)
		}
		if l.IsVirtual() {
			p.add(Step{Op: OpDelete, Link: w.name, Where: w.where, Text: "ip link del " + w.name})
			p.gone[w.name] = true
		} else {
			if l.Master != "" {
				p.add(Step{Op: OpRelease, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " nomaster"})
			}
			for _, a := range p.addrsBy[w.name] {
				if !a.managed() {
					continue
				}
				p.add(Step{Op: OpAddrDel, Link: w.name, addr: a.Prefix, Where: w.where, Text: "ip addr del " + a.Prefix.String() + " dev " + w.name})
			}
			if l.Up {
				p.add(Step{Op: OpDown, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " down"})
			}
		}
		if l.Up {
			p.hooks(w, w.postDown)
		}
	}
	// Members of managed bridges and bonds that are not asked for.
	for _, w := range p.t.links {
		if w.keepMember == nil || p.gone[w.name] {
			continue
		}
		for _, l := range p.membersBy[w.name] {
			if p.gone[l.Name] {
				continue
			}
			if mw := p.t.by[l.Name]; mw != nil && mw.master != nil && *mw.master == w.name {
				continue
			}
			if w.keepMember(l.Name) {
				continue
			}
			p.add(Step{Op: OpRelease, Link: l.Name, Where: w.where, Text: fmt.Sprintf("ip link set %s nomaster  (not a port of %s any more)", l.Name, w.name)})
			if p.t.by[l.Name] == nil && l.Up {
				p.add(Step{Op: OpDown, Link: l.Name, Where: w.where, Text: "ip link set " + l.Name + " down"})
			}
		}
	}
	// Links to delete: pruned ones (rollback), and ones of the wrong
	// kind, uppers first.
	var del []*Link
	for idx := range p.cur.Links {
		l := &p.cur.Links[idx]
		if p.gone[l.Name] {
			continue
		}
		w := p.t.by[l.Name]
		switch {
		case w == nil && p.t.prune && l.IsVirtual():
			del = append(del, l)
		case w != nil && needsRecreate(w, l):
			del = append(del, l)
		}
	}
	for _, l := range sortUppersFirst(del, p.cur) {
		if w := p.t.by[l.Name]; w != nil && l.Up {
			p.hooks(w, w.preDown)
		}
		p.add(Step{Op: OpDelete, Link: l.Name, Text: "ip link del " + l.Name})
		p.gone[l.Name] = true
		if l.Kind == "veth" && l.Parent != "" {
			p.gone[l.Parent] = true // deleting one end deletes the pair
		}
	}
	// Links asked to be down (a rollback to a down link).
	for _, w := range p.t.links {
		l := p.link(w.name)
		if l == nil || p.gone[w.name] || w.up == nil || *w.up || !l.Up {
			continue
		}
		p.hooks(w, w.preDown)
		p.add(Step{Op: OpDown, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " down"})
		p.hooks(w, w.postDown)
	}
}

// sortUppersFirst orders links so that a VLAN comes before its lower
// device and a master before its ports.
func sortUppersFirst(list []*Link, cur *State) []*Link {
	depth := func(l *Link) int {
		d := 0
		for x, seen := l, 0; x != nil && seen < 16; seen++ {
			next := ""
			if x.Parent != "" && x.Kind == "vlan" {
				next = x.Parent
			}
			if next == "" {
				break
			}
			d++
			x = cur.Link(next)
		}
		return d
	}
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b *Link) int { return depth(b) - depth(a) })
	return out
}

func (p *planner) exists(name string) bool {
	return p.link(name) != nil && !p.gone[name]
}

func (p *planner) create() {
	for _, w := range p.t.links {
		if w.kind == "" || p.exists(w.name) {
			continue
		}
		if w.kind == "veth" && w.parent != "" && p.created[w.parent] {
			p.created[w.name] = true // made with its peer
			continue
		}
		// The MTU follows in the mtu phase, after ports join: a bridge
		// takes its ports' MTU when they do unless the MTU was set.
		l := &Link{Name: w.name, Kind: w.kind, Parent: w.parent, MAC: w.mac, VLAN: w.vlan}
		text := "ip link add "
		switch w.kind {
		case "vlan":
			text += fmt.Sprintf("link %s name %s type vlan id %d", w.parent, w.name, w.vlan.ID)
			if w.vlan.Protocol != "802.1Q" {
				text += " protocol " + w.vlan.Protocol
			}
		case "veth":
			text += w.name + " type veth peer name " + w.parent
		default:
			text += w.name + " type " + w.kind
		}
		if w.mac != nil {
			text += " address " + w.mac.String()
		}
		chg := &linkChange{Bridge: w.bridge, Bond: w.bond}
		text += bridgeText(w.bridge, nil) + bondText(w.bond, nil)
		p.add(Step{Op: OpCreate, Link: w.name, Where: w.where, Text: text, link: l, chg: chg})
		p.created[w.name] = true
	}
}

func bridgeText(b *BridgeOptions, cur *BridgeAttrs) string {
	if b == nil {
		return ""
	}
	var s string
	if b.STP != nil && (cur == nil || cur.STP != *b.STP) {
		s += " stp_state " + b01(*b.STP)
	}
	if b.ForwardDelay != nil && (cur == nil || cur.ForwardDelay != *b.ForwardDelay) {
		s += " forward_delay " + strconv.Itoa(*b.ForwardDelay)
	}
	if b.VLANFiltering != nil && (cur == nil || cur.VLANFiltering != *b.VLANFiltering) {
		if cur != nil || *b.VLANFiltering {
			s += " vlan_filtering " + b01(*b.VLANFiltering)
		}
	}
	if b.DefaultPVID != nil && (cur == nil || cur.DefaultPVID != *b.DefaultPVID) {
		s += " vlan_default_pvid " + strconv.Itoa(*b.DefaultPVID)
	}
	return s
}

// bridgeDiff returns the options of b that differ from cur.
func bridgeDiff(b *BridgeOptions, cur *BridgeAttrs) *BridgeOptions {
	if b == nil || cur == nil {
		return b
	}
	d := &BridgeOptions{}
	any := false
	if b.STP != nil && cur.STP != *b.STP {
		d.STP, any = b.STP, true
	}
	if b.ForwardDelay != nil && cur.ForwardDelay != *b.ForwardDelay {
		d.ForwardDelay, any = b.ForwardDelay, true
	}
	if b.VLANFiltering != nil && cur.VLANFiltering != *b.VLANFiltering {
		d.VLANFiltering, any = b.VLANFiltering, true
	}
	if b.DefaultPVID != nil && cur.DefaultPVID != *b.DefaultPVID {
		d.DefaultPVID, any = b.DefaultPVID, true
	}
	if !any {
		return nil
	}
	return d
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func bondText(b *BondOptions, cur *BondAttrs) string {
	if b == nil {
		return ""
	}
	var s string
	if b.Mode != nil && (cur == nil || cur.Mode != *b.Mode) {
		s += " mode " + b.Mode.String()
	}
	if b.MIIMon != nil && (cur == nil || cur.MIIMon != *b.MIIMon) {
		s += " miimon " + strconv.Itoa(*b.MIIMon)
	}
	if b.XmitHashPolicy != nil && (cur == nil || cur.XmitHashPolicy != *b.XmitHashPolicy) {
		s += " xmit_hash_policy " + *b.XmitHashPolicy
	}
	if b.LACPRate != nil && (cur == nil || cur.LACPRate != *b.LACPRate) {
		s += " lacp_rate " + *b.LACPRate
	}
	if b.Primary != nil && (cur == nil || cur.Primary != *b.Primary) {
		s += " primary " + *b.Primary
	}
	if b.MinLinks != nil && (cur == nil || cur.MinLinks != *b.MinLinks) {
		s += " min_links " + strconv.Itoa(*b.MinLinks)
	}
	if b.UpDelay != nil && (cur == nil || cur.UpDelay != *b.UpDelay) {
		s += " updelay " + strconv.Itoa(*b.UpDelay)
	}
	if b.DownDelay != nil && (cur == nil || cur.DownDelay != *b.DownDelay) {
		s += " downdelay " + strconv.Itoa(*b.DownDelay)
	}
	return s
}

// bondDiff returns the options of b that differ from cur.
func bondDiff(b *BondOptions, cur *BondAttrs) *BondOptions {
	if b == nil || cur == nil {
		return b
	}
	d := &BondOptions{}
	any := false
	if b.Mode != nil && cur.Mode != *b.Mode {
		d.Mode, any = b.Mode, true
	}
	if b.MIIMon != nil && cur.MIIMon != *b.MIIMon {
		d.MIIMon, any = b.MIIMon, true
	}
	if b.XmitHashPolicy != nil && cur.XmitHashPolicy != *b.XmitHashPolicy {
		d.XmitHashPolicy, any = b.XmitHashPolicy, true
	}
	if b.LACPRate != nil && cur.LACPRate != *b.LACPRate {
		d.LACPRate, any = b.LACPRate, true
	}
	if b.Primary != nil && cur.Primary != *b.Primary {
		d.Primary, any = b.Primary, true
	}
	if b.MinLinks != nil && cur.MinLinks != *b.MinLinks {
		d.MinLinks, any = b.MinLinks, true
	}
	if b.UpDelay != nil && cur.UpDelay != *b.UpDelay {
		d.UpDelay, any = b.UpDelay, true
	}
	if b.DownDelay != nil && cur.DownDelay != *b.DownDelay {
		d.DownDelay, any = b.DownDelay, true
	}
	if !any {
		return nil
	}
	return d
}

// set changes attributes of existing links, lower devices first (a
// bridge's MTU is bounded by its ports').
func (p *planner) set() {
	for _, w := range p.t.links {
		if !p.exists(w.name) {
			continue
		}
		l := p.link(w.name)
		chg := &linkChange{}
		var text []string
		if w.mac != nil && !bytes.Equal(l.MAC, w.mac) {
			chg.MAC = w.mac
			text = append(text, "address "+w.mac.String())
		}
		if w.bridge != nil && l.Bridge != nil {
			if d := bridgeDiff(w.bridge, l.Bridge); d != nil {
				chg.Bridge = d
				text = append(text, "type bridge"+bridgeText(d, nil))
			}
		}
		if w.bond != nil && l.Bond != nil {
			if d := bondDiff(w.bond, l.Bond); d != nil {
				chg.Bond = d
				if d.Mode != nil {
					// The bonding driver changes its mode only while
					// the bond is down and has no slaves; the enslave
					// and up phases put them back.
					if l.Up {
						p.add(Step{Op: OpDown, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " down  (to change the bond mode)"})
					}
					for _, s := range p.membersBy[w.name] {
						{
							p.add(Step{Op: OpRelease, Link: s.Name, Where: w.where, Text: "ip link set " + s.Name + " nomaster  (to change the bond mode)"})
							p.gone[s.Name+"\x00master"] = true
						}
					}
					p.gone[w.name+"\x00up"] = true
				}
				text = append(text, "type bond"+bondText(d, nil))
			}
		}
		if len(text) == 0 {
			continue
		}
		p.add(Step{Op: OpSet, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " " + strings.Join(text, " "), chg: chg})
	}
}

// curMaster is the master a link has after the teardown phase.
func (p *planner) curMaster(name string) string {
	l := p.link(name)
	if l == nil || p.gone[name] || p.gone[name+"\x00master"] || p.gone[l.Master] {
		return ""
	}
	if p.released[name] {
		return ""
	}
	return l.Master
}

func (p *planner) enslave() {
	// Bond slaves before bridge ports, so that a bond is complete when it
	// joins a bridge.
	for _, pass := range []string{"bond", "other"} {
		for _, w := range p.t.links {
			if w.master == nil {
				continue
			}
			m := p.t.by[*w.master]
			isBond := (m != nil && m.kind == "bond") || (p.link(*w.master) != nil && p.link(*w.master).Kind == "bond")
			if (pass == "bond") != isBond {
				continue
			}
			if p.curMaster(w.name) == *w.master {
				continue
			}
			if *w.master == "" {
				p.add(Step{Op: OpRelease, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " nomaster"})
				continue
			}
			if isBond {
				// The bonding driver takes slaves that are down.
				if l := p.link(w.name); l != nil && l.Up && !p.gone[w.name] {
					p.add(Step{Op: OpDown, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " down  (to enslave it to " + *w.master + ")"})
					p.gone[w.name+"\x00up"] = true
				}
			}
			p.add(Step{Op: OpEnslave, Link: w.name, Where: w.where, master: *w.master, Text: "ip link set " + w.name + " master " + *w.master})
		}
	}
}

// mtu sets MTUs once ports have joined their bridges and bonds (which
// adjust their own MTU and their slaves' on the way), lower devices
// first.
func (p *planner) mtu() {
	for _, w := range p.t.links {
		if w.mtu == 0 {
			continue
		}
		l := p.link(w.name)
		fresh := l == nil || p.gone[w.name]
		if !fresh && l.MTU == w.mtu && p.curMaster(w.name) == masterOf(w, l) {
			continue
		}
		if fresh || l.MTU != w.mtu || p.memberChange(w.name) {
			p.add(Step{Op: OpSet, Link: w.name, Where: w.where, chg: &linkChange{MTU: w.mtu}, Text: "ip link set " + w.name + " mtu " + strconv.Itoa(w.mtu)})
		}
	}
}

// masterOf returns the master w asks for, or the current one.
func masterOf(w *wantLink, l *Link) string {
	if w.master != nil {
		return *w.master
	}
	return l.Master
}

// memberChange reports whether a bridge or bond gains ports in this plan
// (which resets an MTU the user did not set).
func (p *planner) memberChange(name string) bool {
	for _, s := range p.steps {
		if s.Op == OpEnslave && s.master == name {
			return true
		}
	}
	return false
}

// ports sets bridge port options; the kernel takes them only once the
// link is a port, so this comes after enslave.
func (p *planner) ports() {
	for _, w := range p.t.links {
		if w.port == nil || w.master == nil || *w.master == "" || !p.isBridge(*w.master) {
			continue
		}
		l := p.link(w.name)
		fresh := l == nil || p.gone[w.name] || p.curMaster(w.name) != *w.master || l.Port == nil
		if !fresh && l.Port.Learning == w.port.Learning {
			continue
		}
		if fresh && w.port.Learning {
			continue // a new port learns by default
		}
		p.add(Step{Op: OpPort, Link: w.name, Where: w.where, port: w.port, Text: "bridge link set dev " + w.name + " learning " + onOff(w.port.Learning)})
	}
}

func (p *planner) isBridge(name string) bool {
	if w := p.t.by[name]; w != nil && w.kind != "" {
		return w.kind == "bridge"
	}
	l := p.link(name)
	return l != nil && l.Kind == "bridge"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// finalMaster is the master a link has once the plan has run.
func (p *planner) finalMaster(w *wantLink) string {
	if w.master != nil {
		return *w.master
	}
	return p.curMaster(w.name)
}

// bridgeVLANs makes the VLAN entries of bridges and their ports match.
// Entries exist only on a bridge and its ports. The kernel gives a new
// port (and a new bridge) default entries of its own, so for those the
// step reads the entries when it runs and changes what differs; for
// the others the plan knows the difference already and shows it.
func (p *planner) bridgeVLANs() {
	for _, w := range p.t.links {
		if !w.manageVLANs && len(w.vlans) == 0 {
			continue
		}
		self := p.isBridge(w.name)
		master := p.finalMaster(w)
		if !self && (master == "" || !p.isBridge(master)) {
			continue
		}
		step := Step{Op: OpVLAN, Link: w.name, Where: w.where, vlans: w.vlans, manage: w.manageVLANs, self: self}
		l := p.link(w.name)
		if l == nil || p.gone[w.name] || (!self && p.curMaster(w.name) != master) {
			step.Text = vlanSetText(self, w.name, w.vlans, w.manageVLANs)
			p.add(step)
			continue
		}
		del, add := vlanDiff(w.name, p.vlansBy[w.name], w.vlans, w.manageVLANs)
		if len(del) == 0 && len(add) == 0 {
			continue
		}
		var texts []string
		if len(del) > 0 {
			texts = append(texts, vlanStepText("del", self, w.name, del))
		}
		if len(add) > 0 {
			texts = append(texts, vlanStepText("add", self, w.name, add))
		}
		step.Text = strings.Join(texts, "; ")
		p.add(step)
	}
}

// vlanDiff returns the entries to remove from cur and to add so that a
// link has want (with manage; without, only missing entries are added).
func vlanDiff(link string, cur, want []VLANEntry, manage bool) (del, add []VLANEntry) {
	have := expandVLANs(cur)
	w := expandVLANs(want)
	if !manage {
		for v, f := range have {
			if _, ok := w[v]; !ok {
				w[v] = f
			}
		}
	}
	return compress(link, have, w), compress(link, w, have)
}

// vlanSetText describes the entries a new port or bridge gets.
func vlanSetText(self bool, name string, list []VLANEntry, manage bool) string {
	var parts []string
	for _, e := range list {
		parts = append(parts, vlanText(e))
	}
	verb := "bridge vlan set dev " + name
	if self {
		verb += " self"
	}
	if !manage {
		return "bridge vlan add dev " + name + " " + strings.Join(parts, "; ") + map[bool]string{true: " self", false: ""}[self]
	}
	if len(parts) == 0 {
		return verb + " to no VLANs"
	}
	return verb + " to " + strings.Join(parts, "; ")
}

func vlanStepText(verb string, self bool, name string, list []VLANEntry) string {
	var parts []string
	suffix := ""
	if self {
		suffix = " self"
	}
	for _, e := range list {
		parts = append(parts, "bridge vlan "+verb+" dev "+name+" "+vlanText(e)+suffix)
	}
	return strings.Join(parts, "; ")
}

// vlanFlags are the flags of one VID.
type vlanFlags struct{ pvid, untagged bool }

func expandVLANs(list []VLANEntry) map[int]vlanFlags {
	m := map[int]vlanFlags{}
	for _, e := range list {
		for v := e.VID; v <= e.end(); v++ {
			m[v] = vlanFlags{e.PVID, e.Untagged}
		}
	}
	return m
}

// compress returns the entries of a that b lacks or has with other
// flags, as ranges of equal flags.
func compress(link string, a, b map[int]vlanFlags) []VLANEntry {
	var out []VLANEntry
	for v := 1; v <= 4094; v++ {
		f, ok := a[v]
		if !ok {
			continue
		}
		if g, ok := b[v]; ok && g == f {
			continue
		}
		end := v
		for end+1 <= 4094 {
			f2, ok2 := a[end+1]
			g2, inB := b[end+1]
			if !ok2 || f2 != f || (inB && g2 == f2) || f.pvid {
				break
			}
			end++
		}
		out = append(out, VLANEntry{Link: link, VID: v, To: end, PVID: f.pvid, Untagged: f.untagged}.norm())
		v = end
	}
	return out
}

func (p *planner) fdb() {
	want := map[string]FDBEntry{}
	key := func(e FDBEntry) string { return e.Port + "|" + e.MAC.String() + "|" + strconv.Itoa(e.VLAN) }
	for _, e := range p.t.fdb {
		want[key(e)] = e
	}
	have := map[string]bool{}
	for _, e := range p.cur.FDB {
		k := key(e)
		if w, ok := want[k]; ok && w.Local == e.Local && !p.gone[e.Port] {
			have[k] = true
			continue
		}
		// An entry added without a VLAN is copied by the kernel to
		// every VLAN of the port.
		if w, ok := want[key(FDBEntry{Port: e.Port, MAC: e.MAC})]; ok && e.VLAN != 0 && w.Local == e.Local && !p.t.exactFDB {
			continue
		}
		if p.t.exactFDB || p.t.fdbPorts[e.Port] {
			if p.gone[e.Port] {
				continue
			}
			p.add(Step{Op: OpFDBDel, Link: e.Port, fdb: e, Text: fdbText("del", e)})
		}
	}
	for _, e := range p.t.fdb {
		if have[key(e)] {
			continue
		}
		p.add(Step{Op: OpFDBAdd, Link: e.Port, fdb: e, Text: fdbText("add", e)})
	}
}

func fdbText(verb string, e FDBEntry) string {
	s := "bridge fdb " + verb + " " + e.MAC.String() + " dev " + e.Port + " master"
	if e.VLAN != 0 {
		s += " vlan " + strconv.Itoa(e.VLAN)
	}
	if e.Local {
		return s + " permanent"
	}
	return s + " static"
}

func (p *planner) up() {
	for _, w := range p.t.links {
		if w.up == nil || !*w.up {
			continue
		}
		l := p.link(w.name)
		if l != nil && l.Up && !p.gone[w.name] && !p.gone[w.name+"\x00up"] {
			continue
		}
		p.hooks(w, w.preUp)
		p.add(Step{Op: OpUp, Link: w.name, Where: w.where, Text: "ip link set " + w.name + " up"})
		p.broughtUp[w.name] = true
	}
}

func (p *planner) addresses() {
	for _, w := range p.t.links {
		if len(w.addrs) == 0 && !w.manageAddrs.any() {
			continue
		}
		var cur []Address
		if !p.gone[w.name] {
			cur = p.addrsBy[w.name]
		}
		if w.manageAddrs.any() {
			for _, a := range cur {
				if !a.managed() || !w.manageAddrs.has(a.Prefix.Addr()) || slices.Contains(w.addrs, a.Prefix) {
					continue
				}
				p.add(Step{Op: OpAddrDel, Link: w.name, Where: w.where, addr: a.Prefix, Text: "ip addr del " + a.Prefix.String() + " dev " + w.name})
			}
		}
		for _, a := range w.addrs {
			if slices.ContainsFunc(cur, func(c Address) bool { return c.Prefix == a }) {
				continue
			}
			p.add(Step{Op: OpAddrAdd, Link: w.name, Where: w.where, addr: a, Text: "ip addr add " + a.String() + " dev " + w.name})
		}
	}
}

// managedProto are the route protocols an apply may remove: routes added
// by ip (boot) or marked static; dhcp, ra and kernel routes stay.
func managedProto(p string) bool { return p == "boot" || p == "static" }

// routes removes routes (dels) before addresses change, since removing
// an address takes the routes through it along, or adds them after.
func (p *planner) routes(dels bool) {
	have := func(r Route) bool {
		return slices.ContainsFunc(p.routesBy[r.Link], func(c Route) bool {
			return c.Dst == r.Dst && c.Gateway == r.Gateway && c.Link == r.Link && c.Metric == r.Metric && c.Type == r.Type && !p.gone[c.Link]
		})
	}
	if p.t.exactRoutes {
		for _, c := range p.cur.Routes {
			if c.Protocol == "kernel" || p.gone[c.Link] {
				continue
			}
			if !slices.ContainsFunc(p.t.routes, func(r Route) bool {
				return c.Dst == r.Dst && c.Gateway == r.Gateway && c.Link == r.Link && c.Metric == r.Metric && c.Type == r.Type
			}) {
				if dels {
					p.add(Step{Op: OpRouteDel, Link: c.Link, route: c, Text: routeText("del", c)})
				}
			}
		}
		for _, r := range p.t.routes {
			if !dels && !have(r) {
				p.add(Step{Op: OpRouteAdd, Link: r.Link, route: r, Text: routeText("add", r)})
			}
		}
		return
	}
	for _, w := range p.t.links {
		var want []Route
		for _, g := range w.gateways {
			dst := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			if g.Is6() {
				dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
			want = append(want, Route{Dst: dst, Gateway: g, Link: w.name, Protocol: "boot", Scope: "global", Type: "unicast"})
		}
		if w.manageGateways.any() && !p.gone[w.name] {
			for _, c := range p.routesBy[w.name] {
				if c.Dst.Bits() != 0 || !managedProto(c.Protocol) || !w.manageGateways.has(c.Dst.Addr()) {
					continue
				}
				if dels && !slices.ContainsFunc(want, func(r Route) bool { return r.Gateway == c.Gateway && r.Metric == c.Metric }) {
					p.add(Step{Op: OpRouteDel, Link: w.name, Where: w.where, route: c, Text: routeText("del", c)})
				}
			}
		}
		for _, r := range want {
			if !dels && !have(r) {
				p.add(Step{Op: OpRouteAdd, Link: w.name, Where: w.where, route: r, Text: routeText("replace", r)})
			}
		}
	}
}

func routeText(verb string, r Route) string {
	dst := r.Dst.String()
	if r.Dst.Bits() == 0 {
		dst = "default"
	}
	s := "ip"
	if r.Dst.Addr().Is6() {
		s += " -6"
	}
	s += " route " + verb + " "
	if r.Type != "" && r.Type != "unicast" {
		s += r.Type + " "
	}
	s += dst
	if r.Gateway.IsValid() {
		s += " via " + r.Gateway.String()
	}
	if r.Link != "" {
		s += " dev " + r.Link
	}
	if r.Metric != 0 {
		s += " metric " + strconv.Itoa(r.Metric)
	}
	if r.Protocol != "" && r.Protocol != "boot" {
		s += " proto " + r.Protocol
	}
	return s
}

func (p *planner) sysctls() {
	seen := map[string]int{}
	var list []sysctlWant
	for _, s := range p.t.sysctls {
		if i, ok := seen[s.param]; ok {
			list[i] = s // the last line wins
			continue
		}
		seen[s.param] = len(list)
		list = append(list, s)
	}
	for _, s := range list {
		v, ok := p.cur.Sysctls[sysctl.Dotted(s.param)]
		if ok && sysctlEqual(v, s.value) {
			continue
		}
		if !ok && s.optional && p.link(s.link) != nil && !p.gone[s.link] {
			continue // the link exists but the kernel has no such parameter
		}
		p.add(Step{Op: OpSysctl, Link: s.link, Where: s.where, param: s.param, value: s.value, optional: s.optional, Text: "sysctl -w " + sysctl.Dotted(s.param) + "=" + s.value})
	}
}

// sysctlEqual compares values as the kernel prints them (blanks between
// fields are tabs).
func sysctlEqual(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

func (p *planner) postUp() {
	for _, w := range p.t.links {
		if p.created[w.name] || p.broughtUp[w.name] {
			p.hooks(w, w.postUp)
		}
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]#~=%{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = shellQuote(s)
	}
	return out
}
