package netcfg

import (
	"errors"
	"net"
	"strconv"
	"strings"
)

// ErrName marks an interface name that breaks the kernel's rules or the
// naming conventions.
var ErrName = errors.New("invalid interface name")

// Name is an interface name decoded by Proxmox VE's naming conventions
// and, for Ethernet devices, by systemd's predictable naming scheme.
type Name struct {
	Name string `json:"name"`
	// Kind is what the name implies: KindLoopback (lo), KindPhysical (en*,
	// ethN), KindBridge (vmbrN, and vmbrNvM for a traditional VLAN
	// bridge), KindBond (bondN), KindVLAN (DEV.N, vlanN) or KindOther.
	Kind Kind `json:"kind"`
	// Index is N of vmbrN, bondN, ethN; -1 when the name has none.
	Index int `json:"index"`
	// Parent is a VLAN's device ("eno1" of "eno1.50") or a traditional
	// VLAN bridge's bridge ("vmbr0" of "vmbr0v5").
	Parent string `json:"parent,omitempty"`
	// VLAN is the VLAN ID of "eno1.50", "vlan50" or "vmbr0v50"; 0 when
	// none.
	VLAN int `json:"vlan,omitempty"`
	// Predictable is the decoded systemd name, nil when the name is not
	// one.
	Predictable *PredictableName `json:"predictable,omitempty"`
}

// ParseName decodes an interface name. It never fails: a name that
// follows no convention has KindOther.
func ParseName(name string) Name { return parseName(name, true) }

// ClassifyName returns the kind a name implies by the naming conventions.
func ClassifyName(name string) Kind { return parseName(name, false).Kind }

func parseName(name string, decode bool) Name {
	n := Name{Name: name, Index: -1}
	switch {
	case name == "lo":
		n.Kind = KindLoopback
		return n
	case strings.Contains(name, "."):
		i := strings.LastIndexByte(name, '.')
		if id, ok := number(name[i+1:]); ok && i > 0 {
			n.Kind, n.Parent, n.VLAN = KindVLAN, name[:i], id
			return n
		}
	}
	if rest, ok := strings.CutPrefix(name, "vmbr"); ok {
		br, vlan, trad := strings.Cut(rest, "v")
		if idx, ok := number(br); ok {
			if !trad {
				n.Kind, n.Index = KindBridge, idx
				return n
			}
			if id, ok := number(vlan); ok {
				n.Kind, n.Index, n.Parent, n.VLAN = KindBridge, idx, "vmbr"+br, id
				return n
			}
		}
	}
	if rest, ok := strings.CutPrefix(name, "bond"); ok {
		if idx, ok := number(rest); ok {
			n.Kind, n.Index = KindBond, idx
			return n
		}
	}
	if rest, ok := strings.CutPrefix(name, "vlan"); ok {
		if id, ok := number(rest); ok {
			n.Kind, n.VLAN = KindVLAN, id
			return n
		}
	}
	if rest, ok := strings.CutPrefix(name, "eth"); ok {
		if idx, ok := number(rest); ok {
			n.Kind, n.Index = KindPhysical, idx
			return n
		}
	}
	if decode {
		if p, err := ParsePredictableName(name); err == nil {
			n.Predictable = &p
		}
	}
	if strings.HasPrefix(name, "en") && len(name) > 2 {
		n.Kind = KindPhysical
	}
	return n
}

// number parses a decimal without sign or leading zeros ("0" is fine).
func number(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, _ := strconv.Atoi(s)
	return v, true
}

// CheckName checks a name against the kernel's rules: 1 to 15 bytes, no
// "/", ":" or blank, not "." or "..".
func CheckName(name string) error {
	switch {
	case name == "":
		return errorf(ErrName, "empty name")
	case len(name) > maxNameLen:
		return errorf(ErrName, "%q is longer than %d bytes", name, maxNameLen)
	case name == "." || name == "..":
		return errorf(ErrName, "%q", name)
	case strings.ContainsAny(name, "/: \t\n\r\v\f"):
		return errorf(ErrName, "%q contains \"/\", \":\" or a blank", name)
	}
	return nil
}

// PredictableName is a name from systemd's predictable naming scheme
// (systemd.net-naming-scheme(7)) taken apart. Fields that the name does
// not contain are -1 (numbers) or empty.
type PredictableName struct {
	// Prefix is the two-letter type: "en" Ethernet, "ib" InfiniBand,
	// "sl" SLIP, "wl" WLAN, "ww" WWAN.
	Prefix string `json:"prefix"`
	// Scheme is how the device is located: "onboard" (o<index>),
	// "devicetree" (d<index>), "slot" (s<slot>, hotplug slot), "path"
	// (p<bus>s<slot>, PCI geography), "mac" (x<MAC>), "vio" (v<slot>),
	// "xen" (X<number>), "ccw" (c<bus_id>), "acpi" (a<vendor><model>i<instance>)
	// or "netdevsim" (i<address>n<port>).
	Scheme string `json:"scheme"`
	// Domain is the PCI domain of a P<domain> prefix (written only when not
	// 0), -1 when absent.
	Domain int `json:"domain"`
	// Bus is the PCI bus of a path name.
	Bus int `json:"bus"`
	// Slot is the PCI or hotplug slot.
	Slot int `json:"slot"`
	// Function is the PCI function (f<function>), -1 when absent.
	Function int `json:"function"`
	// Index is the on-board or devicetree index, VIO slot or Xen VIF
	// number.
	Index int `json:"index"`
	// PhysPortName is n<phys_port_name>: the rest of the name.
	PhysPortName string `json:"phys_port_name,omitempty"`
	// DevPort is d<dev_port>, -1 when absent.
	DevPort int `json:"dev_port"`
	// MAC is the address of an x<MAC> name.
	MAC net.HardwareAddr `json:"mac,omitempty"`
	// BCMA is the BCMA core number (b<number>), -1 when absent.
	BCMA int `json:"bcma"`
	// USB is the USB port chain (u<port>...), USBConfig and
	// USBInterface its c<config> and i<interface> (-1 when absent).
	USB          []int `json:"usb,omitempty"`
	USBConfig    int   `json:"usb_config"`
	USBInterface int   `json:"usb_interface"`
	// VF is the SR-IOV virtual function (v<number>), -1 when absent.
	VF int `json:"vf"`
	// ID is the rest of a ccw, acpi or netdevsim name as written.
	ID string `json:"id,omitempty"`
}

// ErrNotPredictable marks a name that is not a systemd predictable name.
var ErrNotPredictable = errors.New("not a predictable interface name")

var predictablePrefixes = []string{"en", "ib", "sl", "wl", "ww"}

// ParsePredictableName takes a systemd predictable name apart: eno1 is
// on-board device 1, enp3s0f1 is function 1 of PCI bus 3 slot 0,
// enP2p1s0 the same in PCI domain 2, ens1 hotplug slot 1, enx001122334455
// the device with that MAC address; n<name> and d<port> suffixes name the
// port.
func ParsePredictableName(name string) (PredictableName, error) {
	p := PredictableName{Domain: -1, Bus: -1, Slot: -1, Function: -1, Index: -1, DevPort: -1,
		BCMA: -1, USBConfig: -1, USBInterface: -1, VF: -1}
	bad := func() (PredictableName, error) {
		return PredictableName{}, errorf(ErrNotPredictable, "%q", name)
	}
	if len(name) < 3 || len(name) > maxNameLen {
		return bad()
	}
	for _, pre := range predictablePrefixes {
		if strings.HasPrefix(name, pre) {
			p.Prefix = pre
		}
	}
	if p.Prefix == "" {
		return bad()
	}
	s := &scan{s: name[2:]}
	switch {
	case s.take('o'):
		p.Scheme = "onboard"
		if p.Index, _ = s.num(); p.Index < 0 || !s.port(&p) {
			return bad()
		}
	case s.peek('d'):
		s.take('d')
		p.Scheme = "devicetree"
		if p.Index, _ = s.num(); p.Index < 0 {
			return bad()
		}
	case s.take('x'):
		p.Scheme = "mac"
		if len(s.s) != 12 {
			return bad()
		}
		mac, err := net.ParseMAC(s.s[0:2] + ":" + s.s[2:4] + ":" + s.s[4:6] + ":" + s.s[6:8] + ":" + s.s[8:10] + ":" + s.s[10:12])
		if err != nil {
			return bad()
		}
		p.MAC, s.s = mac, ""
	case s.take('v'):
		p.Scheme = "vio"
		if p.Index, _ = s.num(); p.Index < 0 {
			return bad()
		}
	case s.take('X'):
		p.Scheme = "xen"
		if p.Index, _ = s.num(); p.Index < 0 {
			return bad()
		}
	case s.take('c'):
		p.Scheme, p.ID, s.s = "ccw", s.s, ""
		if p.ID == "" {
			return bad()
		}
	case s.take('a'):
		p.Scheme, p.ID, s.s = "acpi", s.s, ""
		if !strings.Contains(p.ID, "i") {
			return bad()
		}
	case s.take('i'):
		p.Scheme, p.ID, s.s = "netdevsim", s.s, ""
		if !strings.Contains(p.ID, "n") {
			return bad()
		}
	default:
		if s.take('P') {
			if p.Domain, _ = s.num(); p.Domain < 0 {
				return bad()
			}
		}
		switch {
		case s.take('p'):
			p.Scheme = "path"
			if p.Bus, _ = s.num(); p.Bus < 0 || !s.take('s') {
				return bad()
			}
		case s.take('s'):
			p.Scheme = "slot"
		default:
			return bad()
		}
		if p.Slot, _ = s.num(); p.Slot < 0 {
			return bad()
		}
		if s.take('f') {
			if p.Function, _ = s.num(); p.Function < 0 {
				return bad()
			}
		}
		if !s.port(&p) || !s.tail(&p) {
			return bad()
		}
	}
	if s.s != "" {
		return bad()
	}
	return p, nil
}

type scan struct{ s string }

func (s *scan) peek(c byte) bool { return len(s.s) > 0 && s.s[0] == c }

func (s *scan) take(c byte) bool {
	if s.peek(c) {
		s.s = s.s[1:]
		return true
	}
	return false
}

// num reads a decimal number (leading zeros allowed), -1 when none.
func (s *scan) num() (int, bool) {
	i := 0
	for i < len(s.s) && s.s[i] >= '0' && s.s[i] <= '9' && i < 9 {
		i++
	}
	if i == 0 {
		return -1, false
	}
	v, _ := strconv.Atoi(s.s[:i])
	s.s = s.s[i:]
	return v, true
}

// port reads an optional n<phys_port_name> (the rest of the name) or
// d<dev_port>.
func (s *scan) port(p *PredictableName) bool {
	switch {
	case s.take('n'):
		if s.s == "" {
			return false
		}
		p.PhysPortName, s.s = s.s, ""
	case s.take('d'):
		if p.DevPort, _ = s.num(); p.DevPort < 0 {
			return false
		}
	}
	return true
}

// tail reads an optional BCMA core, USB port chain or SR-IOV function.
func (s *scan) tail(p *PredictableName) bool {
	switch {
	case s.take('b'):
		if p.BCMA, _ = s.num(); p.BCMA < 0 {
			return false
		}
	case s.peek('u'):
		for s.take('u') {
			v, ok := s.num()
			if !ok {
				return false
			}
			p.USB = append(p.USB, v)
		}
		if s.take('c') {
			if p.USBConfig, _ = s.num(); p.USBConfig < 0 {
				return false
			}
		}
		if s.take('i') {
			if p.USBInterface, _ = s.num(); p.USBInterface < 0 {
				return false
			}
		}
	case s.take('v'):
		if p.VF, _ = s.num(); p.VF < 0 {
			return false
		}
	}
	return true
}

// String encodes the name again from its parts.
func (p PredictableName) String() string {
	var b strings.Builder
	b.WriteString(p.Prefix)
	num := func(c byte, v int) {
		if v >= 0 {
			b.WriteByte(c)
			b.WriteString(strconv.Itoa(v))
		}
	}
	port := func() {
		switch {
		case p.PhysPortName != "":
			b.WriteString("n" + p.PhysPortName)
		case p.DevPort >= 0:
			num('d', p.DevPort)
		}
	}
	switch p.Scheme {
	case "onboard":
		num('o', p.Index)
		port()
	case "devicetree":
		num('d', p.Index)
	case "mac":
		b.WriteByte('x')
		for _, c := range p.MAC {
			b.WriteString(strconv.FormatUint(uint64(c)|0x100, 16)[1:])
		}
	case "vio":
		num('v', p.Index)
	case "xen":
		num('X', p.Index)
	case "ccw":
		b.WriteString("c" + p.ID)
	case "acpi":
		b.WriteString("a" + p.ID)
	case "netdevsim":
		b.WriteString("i" + p.ID)
	case "slot", "path":
		num('P', p.Domain)
		if p.Scheme == "path" {
			num('p', p.Bus)
		}
		num('s', p.Slot)
		num('f', p.Function)
		port()
		num('b', p.BCMA)
		for _, u := range p.USB {
			num('u', u)
		}
		num('c', p.USBConfig)
		num('i', p.USBInterface)
		num('v', p.VF)
	}
	return b.String()
}
