package netcfg

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Errors that validation findings unwrap to, besides [ErrSyntax],
// [ErrFamily], [ErrMethod], [ErrInclude] and [ErrName].
var (
	// ErrValue marks an option value that does not parse or is out of
	// range.
	ErrValue = errors.New("invalid value")
	// ErrCycle marks interfaces built on each other.
	ErrCycle = errors.New("dependency cycle")
	// ErrPort marks a bridge port or bond slave problem: shared, missing,
	// or carrying an address.
	ErrPort = errors.New("port conflict")
	// ErrAddress marks an address or gateway problem.
	ErrAddress = errors.New("address conflict")
	// ErrMTU marks an MTU larger than the lower device's.
	ErrMTU = errors.New("MTU too large")
	// ErrIgnored marks a line that ifupdown2 reads differently from what
	// it seems to say, or does not read at all.
	ErrIgnored = errors.New("not read as intended")
	// ErrTemplate marks template code, which is not evaluated.
	ErrTemplate = errors.New("template code")
	// ErrConvention marks a name or setting against Proxmox VE's
	// conventions.
	ErrConvention = errors.New("against conventions")
)

// Severity grades a finding.
type Severity int

// Severities: an error stops the configuration from working as written;
// a warning is doubtful.
const (
	SeverityWarning Severity = 1
	SeverityError   Severity = 2
)

// String returns "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one validation result.
type Finding struct {
	Pos      Pos
	Severity Severity
	// Check is a stable identifier such as "port-shared".
	Check string
	// Interface is the interface concerned, "" for file-level findings.
	Interface string
	// Err is the message; it unwraps to one of the package's sentinels.
	Err error
}

// Error formats the finding as "file:line:col: message".
func (f Finding) Error() string { return f.Pos.String() + ": " + f.Err.Error() }

// Unwrap returns the message error.
func (f Finding) Unwrap() error { return f.Err }

// MarshalJSON encodes the finding with its position as "file:line:col"
// and its message as text.
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pos       string   `json:"pos"`
		File      string   `json:"file,omitempty"`
		Line      int      `json:"line,omitempty"`
		Severity  Severity `json:"severity"`
		Check     string   `json:"check"`
		Interface string   `json:"interface,omitempty"`
		Message   string   `json:"message"`
	}{f.Pos.String(), f.Pos.File, f.Pos.Line, f.Severity, f.Check, f.Interface, f.Err.Error()})
}

// Check reads f (with its includes resolved by [LoadFS]) and validates
// it; see [Network.Validate].
func Check(f *File) []Finding { return NewNetwork(f).Validate() }

// HasErrors reports whether any finding is an error.
func HasErrors(list []Finding) bool {
	return slices.ContainsFunc(list, func(f Finding) bool { return f.Severity == SeverityError })
}

// Validate checks the configuration and returns its findings in file
// order: lines ifupdown2 cannot read or reads differently from what they
// seem to say, invalid option values, names against the kernel's rules and
// Proxmox VE's conventions (vmbr0 to vmbr4094, bondN, VLAN IDs 1 to 4094,
// at most 15 bytes), a port in two bridges or bonds, an address on a
// bridge port or bond slave, a gateway outside every address of its
// interface, more than one default gateway per family, ports and VLAN
// devices that do not exist, bridge-vids outside 1 to 4094, and a VLAN or
// bridge MTU above its lower device's.
func (n *Network) Validate() []Finding {
	v := &validator{n: n}
	v.out = append(v.out, n.issues...)
	v.syntax()
	v.reading()
	for _, i := range n.Interfaces {
		v.iface(i)
	}
	v.ports()
	v.gateways()
	slices.SortStableFunc(v.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(v.fileOrder(a.Pos.File), v.fileOrder(b.Pos.File)), cmp.Compare(a.Pos.Line, b.Pos.Line))
	})
	return v.out
}

type validator struct {
	n     *Network
	out   []Finding
	files []string
}

func (v *validator) fileOrder(name string) int {
	if v.files == nil {
		for _, f := range v.n.File.Files() {
			v.files = append(v.files, f.Name)
		}
	}
	if i := slices.Index(v.files, name); i >= 0 {
		return i
	}
	return len(v.files)
}

func (v *validator) add(sev Severity, pos Pos, iface, check string, sentinel error, format string, args ...any) {
	v.out = append(v.out, Finding{Pos: pos, Severity: sev, Check: check, Interface: iface,
		Err: errorf(sentinel, format, args...)})
}

// ifupdownKeywords are top-level keywords of Debian's ifupdown that
// ifupdown2 does not know; inside a stanza it reads them as options.
var ifupdownKeywords = map[string]bool{"mapping": true, "source-directory": true, "rename": true, "no-auto-down": true, "no-scripts": true, "map": true, "script": true}

// syntax reports the lines that ifupdown2 cannot read, in every file.
func (v *validator) syntax() {
	for _, f := range v.n.File.Files() {
		for _, st := range f.Stmts {
			switch st := st.(type) {
			case *BadLine:
				v.badLine(st)
			case *Source:
				if st.loadErr != nil {
					v.add(SeverityError, st.pos, "", "include", ErrInclude, "%s %s: %v", st.Keyword(), st.Path, st.loadErr)
				}
			case *Stanza:
				v.stanza(st)
			}
			v.backslash(st.stmtNode(), "")
		}
	}
}

func (v *validator) badLine(b *BadLine) {
	if b.Template {
		v.add(SeverityError, b.pos, "", "template", ErrTemplate, "template code %q is not evaluated (ifupdown2 evaluates mako templates only when python3-mako is installed) and ifupdown2 cannot read it as it stands", b.Text)
		return
	}
	msg := b.Err
	if msg == nil {
		msg = ErrSyntax
	}
	v.out = append(v.out, Finding{Pos: b.pos, Severity: SeverityError, Check: "syntax", Err: msg})
}

func (v *validator) stanza(s *Stanza) {
	if s.Family != "" {
		if ms := familyMethods(s.Family); ms == nil {
			v.add(SeverityError, s.pos, s.Name, "family", ErrFamily, "iface %s: %q (want inet or inet6)", s.Name, s.Family)
		} else if s.Method != "" && !contains(ms, s.Method) {
			v.add(SeverityError, s.pos, s.Name, "method", ErrMethod, "iface %s: %q for %s (want one of %s)", s.Name, s.Method, s.Family, strings.Join(ms, ", "))
		} else if s.Family == "inet6" && s.Method == "auto" {
			v.add(SeverityWarning, s.pos, s.Name, "method", ErrMethod, "iface %s: inet6 auto (SLAAC) needs Proxmox VE's ifupdown2; Debian's ifupdown2 3.0 rejects it and leaves router advertisements as they are", s.Name)
		}
	}
	name, _, _ := strings.Cut(s.Name, ":")
	if strings.Contains(name, "$") {
		v.add(SeverityError, s.pos, name, "template", ErrTemplate, "iface %s: template code in the name is not evaluated", s.Name)
	}
	for _, e := range s.Body {
		switch e := e.(type) {
		case *BadLine:
			v.badLine(e)
		case *Option:
			switch {
			case e.Template:
				v.add(SeverityError, e.pos, name, "template", ErrTemplate, "template code %q is not evaluated: ifupdown2 reads it as option %q of %s", strings.TrimSpace(e.Key+" "+e.Value), e.Key, name)
			case ifupdownKeywords[e.Key]:
				v.add(SeverityError, e.pos, name, "ifupdown-keyword", ErrIgnored, "%q is not an ifupdown2 keyword: it is read as an option of iface %s", e.Key, name)
			}
		}
		v.backslash(e.stmtNode(), name)
	}
}

// backslash warns about a backslash that does not end its line: ifupdown2
// replaces every backslash with a blank, wherever it is.
func (v *validator) backslash(n *node, iface string) {
	raw := n.raw
	for off := 0; ; {
		i := strings.IndexByte(raw[off:], '\\')
		if i < 0 {
			return
		}
		i += off
		rest := raw[i+1:]
		end := strings.IndexAny(rest, "\r\n")
		if end < 0 {
			end = len(rest)
		}
		if strings.TrimRight(rest[:end], " \t") != "" {
			before := raw[:i]
			lines := strings.Count(strings.ReplaceAll(before, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(before, "\r\n", ""), "\r")
			lineStart := strings.LastIndexAny(before, "\r\n") + 1
			pos := Pos{File: n.pos.File, Line: n.pos.Line + lines, Col: i - lineStart + 1}
			v.add(SeverityWarning, pos, iface, "backslash", ErrIgnored, "ifupdown2 replaces this backslash with a blank: a backslash continues a line only at its end")
			return
		}
		off = i + 1
	}
}

// reading reports what the reader noticed: auto and allow lines after
// their stanza, ignored source-directory lines, duplicate stanzas.
func (v *validator) reading() {
	r := v.n.reading
	for _, nt := range r.notes {
		switch nt.kind {
		case noteSourceDir:
			count := 0
			v.sourceDirStanzas(nt.pos, &count)
			v.add(SeverityError, nt.pos, "", "source-directory", ErrIgnored, "ifupdown2 does not read source-directory lines: the %d stanzas in %s are not configured (write \"source %s/*\")", count, nt.arg, strings.TrimSuffix(nt.arg, "/"))
		case noteEmptyRange:
			v.add(SeverityWarning, nt.pos, nt.name, "range", ErrValue, "interface range %s is empty", nt.name)
		case noteLongName:
			v.add(SeverityError, nt.pos, nt.name, "name", ErrName, "%s is longer than %d bytes", nt.name, maxNameLen)
		}
	}
	// auto and allow lines after the stanza they name.
	for _, f := range v.n.File.Files() {
		for _, st := range f.Stmts {
			a, ok := st.(*Auto)
			if !ok {
				continue
			}
			for _, name := range a.Names {
				i := v.n.Interface(name)
				switch {
				case name == "all" && a.Keyword == "auto":
				case i == nil:
					if _, _, _, _, isRange := parseRange(name); !isRange {
						v.add(SeverityWarning, a.pos, name, "auto-undefined", ErrIgnored, "%s %s: no stanza configures %s", a.Keyword, name, name)
					}
				case a.Keyword == "auto" && !i.Auto:
					v.add(SeverityError, a.pos, name, "auto-after-stanza", ErrIgnored, "auto %s comes after the stanza at line %d: ifupdown2 ignores it and does not bring %s up (move the line above the stanza)", name, i.Pos.Line, name)
				case a.Keyword != "auto" && !slices.Contains(i.Classes, a.Class()):
					v.add(SeverityError, a.pos, name, "auto-after-stanza", ErrIgnored, "%s %s comes after the stanza at line %d: ifupdown2 ignores it (move the line above the stanza)", a.Keyword, name, i.Pos.Line)
				}
			}
		}
	}
	for _, g := range v.n.groups {
		for _, d := range g.dropped {
			v.add(SeverityWarning, d.stanza.pos, g.name, "duplicate-stanza", ErrIgnored, "iface %s repeats the stanza at line %d exactly; ifupdown2 ignores it", g.name, g.objs[0].stanza.pos.Line)
		}
		for j, o := range g.objs {
			for _, fam := range o.families {
				for _, prev := range g.objs[:j] {
					if slices.Contains(prev.families, fam) && prev.stanza.pos != o.stanza.pos {
						v.add(SeverityWarning, o.stanza.pos, g.name, "family-repeated", ErrIgnored, "second %s stanza for %s (first at line %d): ifupdown2 merges their options", fam, g.name, prev.stanza.pos.Line)
						break
					}
				}
			}
		}
	}
}

// sourceDirStanzas counts the stanzas of the files a source-directory
// line at pos includes.
func (v *validator) sourceDirStanzas(pos Pos, count *int) {
	for _, f := range v.n.File.Files() {
		for _, st := range f.Stmts {
			if s, ok := st.(*Source); ok && s.Directory && s.pos == pos {
				for _, inc := range s.Files {
					*count += len(inc.Stanzas())
				}
			}
		}
	}
}

func (v *validator) iface(i *Interface) {
	nm := parseName(i.Name, false)
	if err := CheckName(i.Name); err != nil && len(i.Name) <= maxNameLen {
		v.add(SeverityError, i.Pos, i.Name, "name", ErrName, "iface %s: %v", i.Name, errors.Unwrap(err))
	}
	switch i.Kind {
	case KindBridge:
		v.bridge(i, nm)
	case KindBond:
		v.bond(i, nm)
	case KindVLAN:
		v.vlan(i)
	case KindOVSBridge, KindOVSBond, KindOVSPort, KindOVSIntPort:
		v.ovs(i)
	}

	static := slices.ContainsFunc(i.Families, func(f FamilyMethod) bool { return f.Method == "static" })
	if static && len(i.Addresses) == 0 && i.Kind != KindLoopback {
		v.add(SeverityWarning, i.Pos, i.Name, "static-no-address", ErrAddress, "iface %s is static but has no address (use manual)", i.Name)
	}
	v.addressLengths(i)
	// A gateway must lie in one of the interface's networks.
	for _, a := range i.Attrs {
		if a.Key != "gateway" {
			continue
		}
		for _, w := range strings.Fields(a.Value) {
			g, err := netip.ParseAddr(w)
			if err != nil {
				continue
			}
			in := slices.ContainsFunc(i.Addresses, func(p netip.Prefix) bool { return p.Masked().Contains(g) })
			if !in && !g.IsLinkLocalUnicast() && v.sameFamilyAddresses(i, g) {
				v.add(SeverityError, a.Pos, i.Name, "gateway-outside", ErrAddress, "gateway %s of %s lies outside its networks %s", g, i.Name, prefixList(i.Addresses, g.Is4()))
			}
		}
	}
}

// sameFamilyAddresses reports whether the interface has static addresses
// of g's family, without which a gateway cannot be checked (the address
// may come from DHCP).
func (v *validator) sameFamilyAddresses(i *Interface, g netip.Addr) bool {
	return slices.ContainsFunc(i.Addresses, func(p netip.Prefix) bool { return p.Addr().Is4() == g.Is4() })
}

func prefixList(ps []netip.Prefix, v4 bool) string {
	var out []string
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			out = append(out, p.Masked().String())
		}
	}
	return strings.Join(out, ", ")
}

func (v *validator) addressLengths(i *Interface) {
	var lastAddr *Attr
	hasMask := false
	check := func() {
		if lastAddr != nil && !hasMask && !strings.ContainsAny(lastAddr.Value, "/ \t") {
			w := lastAddr.Value
			v.add(SeverityWarning, lastAddr.Pos, i.Name, "address-length", ErrAddress, "address %s has no prefix length: it is a host address (write CIDR, such as %s/24)", w, w)
		}
	}
	for j := range i.Attrs {
		switch a := &i.Attrs[j]; a.Key {
		case "address":
			check()
			lastAddr, hasMask = a, false
		case "netmask":
			hasMask = true
		}
	}
	check()
}

func (v *validator) bridge(i *Interface, nm Name) {
	b := i.Bridge
	switch {
	case nm.Kind != KindBridge:
		v.add(SeverityWarning, i.Pos, i.Name, "name", ErrConvention, "bridge %s: Proxmox VE names bridges vmbr0 to vmbr4094", i.Name)
	case nm.Index > 4094:
		v.add(SeverityWarning, i.Pos, i.Name, "name", ErrConvention, "bridge %s: Proxmox VE names bridges vmbr0 to vmbr4094", i.Name)
	case nm.Parent != "" && (nm.VLAN < 1 || nm.VLAN > 4094):
		v.add(SeverityError, i.Pos, i.Name, "vlan-id", ErrValue, "bridge %s: VLAN %d is outside 1-4094", i.Name, nm.VLAN)
	}
	if _, ok := i.Get("bridge-ports"); !ok {
		v.add(SeverityWarning, i.Pos, i.Name, "bridge-ports", ErrPort, "bridge %s has no bridge-ports line (write \"bridge-ports none\" for a bridge without ports)", i.Name)
	}
	if slices.Contains(b.Ports, i.Name) {
		v.add(SeverityError, i.Pos, i.Name, "port-self", ErrPort, "bridge %s lists itself as a port", i.Name)
	}
	if len(b.VIDs) > 0 && !b.VLANAware {
		v.add(SeverityWarning, v.attrPos(i, "bridge-vids"), i.Name, "bridge-vids", ErrIgnored, "bridge %s has bridge-vids but is not VLAN aware (bridge-vlan-aware yes)", i.Name)
	}
	if i.MTU > 0 {
		for _, p := range b.Ports {
			if pm := v.mtuOf(p); pm > 0 && i.MTU > pm {
				v.add(SeverityWarning, v.attrPos(i, "mtu"), i.Name, "mtu", ErrMTU, "bridge %s has MTU %d, larger than port %s (%d)", i.Name, i.MTU, p, pm)
			}
		}
	}
}

func (v *validator) bond(i *Interface, nm Name) {
	b := i.Bond
	if nm.Kind != KindBond {
		v.add(SeverityWarning, i.Pos, i.Name, "name", ErrConvention, "bond %s: Proxmox VE names bonds bondN", i.Name)
	}
	if len(b.Slaves) == 0 {
		v.add(SeverityWarning, i.Pos, i.Name, "bond-slaves", ErrPort, "bond %s has no slaves", i.Name)
	}
	if b.MIIMon == nil || *b.MIIMon == 0 {
		if b.Mode != BondBroadcast && len(b.Slaves) > 0 {
			v.add(SeverityWarning, i.Pos, i.Name, "bond-miimon", ErrValue, "bond %s has no bond-miimon: link failures go unnoticed (bond-miimon 100)", i.Name)
		}
	}
	if b.Primary != "" {
		switch {
		case !slices.Contains(b.Slaves, b.Primary):
			v.add(SeverityError, v.attrPos(i, "bond-primary"), i.Name, "bond-primary", ErrPort, "bond %s: primary %s is not one of its slaves", i.Name, b.Primary)
		case b.Mode != BondActiveBackup && b.Mode != BondBalanceTLB && b.Mode != BondBalanceALB:
			v.add(SeverityWarning, v.attrPos(i, "bond-primary"), i.Name, "bond-primary", ErrIgnored, "bond %s: bond-primary has no effect in mode %s", i.Name, b.Mode)
		}
	}
	if b.XmitHashPolicy != "" && b.Mode != BondBalanceXOR && b.Mode != Bond8023AD && b.Mode != BondBalanceTLB {
		v.add(SeverityWarning, v.attrPos(i, "bond-xmit-hash-policy"), i.Name, "bond-xmit-hash-policy", ErrIgnored, "bond %s: bond-xmit-hash-policy has no effect in mode %s", i.Name, b.Mode)
	}
	if b.LACPRate != "" && b.Mode != Bond8023AD {
		v.add(SeverityWarning, v.attrPos(i, "bond-lacp-rate"), i.Name, "bond-lacp-rate", ErrIgnored, "bond %s: bond-lacp-rate has no effect in mode %s", i.Name, b.Mode)
	}
	if b.MinLinks != nil && *b.MinLinks > len(b.Slaves) && len(b.Slaves) > 0 {
		v.add(SeverityError, v.attrPos(i, "bond-min-links"), i.Name, "bond-min-links", ErrValue, "bond %s: bond-min-links %d exceeds its %d slaves", i.Name, *b.MinLinks, len(b.Slaves))
	}
	if i.MTU > 0 {
		for _, s := range b.Slaves {
			if sm := v.mtuOf(s); sm > 0 && sm != i.MTU && v.n.Interface(s) != nil && v.n.Interface(s).MTU > 0 {
				v.add(SeverityWarning, v.attrPos(i, "mtu"), i.Name, "mtu", ErrMTU, "bond %s has MTU %d but slave %s has %d; the bond sets its slaves' MTU", i.Name, i.MTU, s, sm)
			}
		}
	}
}

func (v *validator) vlan(i *Interface) {
	vl := i.VLAN
	if vl.ID < 1 || vl.ID > 4094 {
		v.add(SeverityError, i.Pos, i.Name, "vlan-id", ErrValue, "VLAN %s: ID %d is outside 1-4094", i.Name, vl.ID)
	}
	if vl.RawDevice == "" {
		v.add(SeverityError, i.Pos, i.Name, "vlan-raw-device", ErrPort, "VLAN %s: no raw device (name it DEV.ID or set vlan-raw-device)", i.Name)
		return
	}
	if !v.exists(vl.RawDevice) {
		v.add(SeverityError, i.Pos, i.Name, "vlan-raw-device", ErrPort, "VLAN %s: device %s is not configured", i.Name, vl.RawDevice)
	}
	if i.MTU > 0 {
		if lm := v.mtuOf(vl.RawDevice); i.MTU > lm {
			v.add(SeverityError, v.attrPos(i, "mtu"), i.Name, "mtu", ErrMTU, "VLAN %s has MTU %d, larger than its device %s (%d)", i.Name, i.MTU, vl.RawDevice, lm)
		}
	}
}

func (v *validator) ovs(i *Interface) {
	o := i.OVS
	switch i.Kind {
	case KindOVSBond, KindOVSPort, KindOVSIntPort:
		br := v.n.Interface(o.Bridge)
		switch {
		case o.Bridge == "":
			v.add(SeverityError, i.Pos, i.Name, "ovs-bridge", ErrPort, "%s %s has no ovs_bridge", o.Type, i.Name)
		case br == nil || br.Kind != KindOVSBridge:
			v.add(SeverityError, i.Pos, i.Name, "ovs-bridge", ErrPort, "%s %s: ovs_bridge %s is not an OVSBridge", o.Type, i.Name, o.Bridge)
		case !slices.Contains(br.OVS.Ports, i.Name):
			v.add(SeverityWarning, i.Pos, i.Name, "ovs-bridge", ErrPort, "%s %s is not in the ovs_ports of %s", o.Type, i.Name, o.Bridge)
		}
	}
}

func (v *validator) attrPos(i *Interface, key string) Pos {
	for j := len(i.Attrs) - 1; j >= 0; j-- {
		if i.Attrs[j].Key == key {
			return i.Attrs[j].Pos
		}
	}
	return i.Pos
}

// mtuOf returns the MTU a device will have: its mtu line, 1500 when not
// set.
func (v *validator) mtuOf(name string) int {
	if i := v.n.Interface(name); i != nil && i.MTU > 0 {
		return i.MTU
	}
	return 1500
}

// exists reports whether a lower device is configured or looks like a
// device that exists without configuration (a NIC, a VLAN on one).
func (v *validator) exists(name string) bool {
	if v.n.Interface(name) != nil {
		return true
	}
	nm := parseName(name, false)
	switch nm.Kind {
	case KindPhysical:
		return true
	case KindVLAN:
		return nm.Parent != "" && v.exists(nm.Parent)
	case KindOther:
		// Wireless, tap and other devices created outside the file.
		return true
	}
	return false
}

// ports checks bridge ports and bond slaves across the configuration.
func (v *validator) ports() {
	owner := map[string]*Interface{}
	for _, i := range v.n.Interfaces {
		var ports []string
		what := "port"
		switch {
		case i.Bridge != nil:
			ports = i.Bridge.Ports
		case i.Bond != nil:
			ports, what = i.Bond.Slaves, "slave"
		default:
			continue
		}
		key := "bridge-ports"
		if i.Bond != nil {
			key = "bond-slaves"
			if _, ok := i.Get(key); !ok {
				key = "bond-ports"
			}
		}
		pos := v.attrPos(i, key)
		for _, p := range ports {
			if o, dup := owner[p]; dup && o != i {
				v.add(SeverityError, pos, i.Name, "port-shared", ErrPort, "%s is a %s of both %s and %s", p, what, o.Name, i.Name)
			} else if dup {
				v.add(SeverityWarning, pos, i.Name, "port-repeated", ErrPort, "%s lists %s twice", i.Name, p)
			}
			owner[p] = i
			pi := v.n.Interface(p)
			if pi == nil {
				if !v.exists(p) {
					v.add(SeverityError, pos, i.Name, "port-missing", ErrPort, "%s %s of %s is not configured", what, p, i.Name)
				}
				continue
			}
			if len(pi.Addresses) > 0 {
				v.add(SeverityError, pi.Pos, p, "port-address", ErrPort, "%s is a %s of %s but has an address (%s); put the address on %s", p, what, i.Name, pi.Addresses[0], i.Name)
			}
			if len(pi.Gateways) > 0 && len(pi.Addresses) == 0 {
				v.add(SeverityError, v.attrPos(pi, "gateway"), p, "port-address", ErrPort, "%s is a %s of %s but has a gateway", p, what, i.Name)
			}
			if slices.ContainsFunc(pi.Families, func(f FamilyMethod) bool { return strings.HasPrefix(f.Method, "dhcp") }) {
				v.add(SeverityError, pi.Pos, p, "port-address", ErrPort, "%s is a %s of %s but uses DHCP; use manual", p, what, i.Name)
			}
		}
	}
}

// gateways reports more than one default gateway per family.
func (v *validator) gateways() {
	var first [2]*Interface
	var firstGw [2]netip.Addr
	for _, i := range v.n.Interfaces {
		seen := [2]bool{}
		for _, g := range i.Gateways {
			fam := 0
			if !g.Is4() {
				fam = 1
			}
			if seen[fam] {
				v.add(SeverityError, v.attrPos(i, "gateway"), i.Name, "gateway-multiple", ErrAddress, "%s has more than one %s default gateway", i.Name, familyName(fam))
				continue
			}
			seen[fam] = true
			if first[fam] != nil {
				v.add(SeverityError, v.attrPos(i, "gateway"), i.Name, "gateway-multiple", ErrAddress, "second %s default gateway %s on %s (the first is %s on %s)", familyName(fam), g, i.Name, firstGw[fam], first[fam].Name)
				continue
			}
			first[fam], firstGw[fam] = i, g
		}
	}
}

func familyName(fam int) string {
	if fam == 0 {
		return "IPv4"
	}
	return "IPv6"
}
