package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/apt"
	"github.com/hostadm/hostadm/boot"
	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/sysctl"
)

func init() {
	register(area{name: "net", title: "network configuration", order: 20, check: checkNet})
}

func checkNet(ctx context.Context, e *env, s *Section) {
	h, err := netcfg.New(&netcfg.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("open", "", "cannot open the root: %v", err)
		return
	}
	defer h.Close()
	cur, err := h.Current()
	switch {
	case err != nil:
		s.Error("interfaces", "", "cannot read %s: %v", h.Path(), err)
		return
	case !cur.Exists:
		s.Warn("interfaces", "Proxmox VE configures the network in /etc/network/interfaces (interfaces(5)); the installer writes a bridge vmbr0 on the first NIC",
			"%s does not exist", h.Path())
		return
	}
	n := cur.Network()
	netFindings(s, n.Validate())
	netSummary(s, n)
	netIfupdown2(e, s)
	netPending(s, h)
	netDevices(e, s, n)
	netNames(ctx, e, s, h, n)
	netSysctl(e, s, n)
}

// netFindings adds validation findings with their file:line.
func netFindings(s *Section, fs []netcfg.Finding) {
	for _, f := range fs {
		advice := adviceFor(f)
		var x *Finding
		if f.Severity == netcfg.SeverityError {
			x = s.Error(f.Check, advice, "%v", f.Err)
		} else {
			x = s.Warn(f.Check, advice, "%v", f.Err)
		}
		x.Where = f.Pos.File + ":" + strconv.Itoa(f.Pos.Line)
	}
}

// adviceFor draws one line of advice from the admin guide for a check.
func adviceFor(f netcfg.Finding) string {
	switch f.Check {
	case "name":
		return "name bridges vmbr0 to vmbr4094, bonds bondN and VLANs DEVICE.VLAN (eno1.50, bond1.30), at most 15 characters"
	case "port-shared", "port-address", "port-missing", "bridge-ports", "port-self", "port-repeated":
		return "a NIC belongs to one bridge or bond; put the host's address on the bridge or bond, the port stays manual"
	case "gateway-outside", "gateway-multiple", "static-no-address", "address", "address-length":
		return "give the host one default gateway per address family, inside the network of an address on the same interface"
	case "auto-after-stanza", "auto-undefined":
		return "write \"auto NAME\" above the iface stanza; ifupdown2 reads auto lines only for the stanzas after them"
	case "source-directory":
		return "ifupdown2 reads \"source DIR/*\" but not source-directory"
	case "bond-miimon", "bond-mode", "bond-primary", "bond-xmit-hash-policy", "bond-lacp-rate", "bond-min-links", "bond-slaves":
		return "use 802.3ad (LACP) if the switch supports it, else active-backup, with bond-miimon 100"
	case "vlan-id", "bridge-vids", "vlan-raw-device":
		return "VLAN IDs range from 1 to 4094; a VLAN sits on an existing NIC, bond or bridge"
	case "mtu":
		return "a VLAN or bridge cannot carry larger frames than the device below it: raise that device's mtu too"
	case "template":
		return "ifupdown2 does not evaluate templates without python3-mako: write the stanzas out"
	}
	return "check the line against interfaces(5) and the admin guide's examples"
}

func netSummary(s *Section, n *netcfg.Network) {
	var bridges, parts []string
	for _, i := range n.Interfaces {
		switch i.Kind {
		case netcfg.KindBridge:
			bridges = append(bridges, i.Name)
			ports := "no ports"
			if len(i.Bridge.Ports) > 0 {
				ports = "on " + strings.Join(i.Bridge.Ports, " ")
			}
			parts = append(parts, fmt.Sprintf("bridge %s %s", i.Name, ports))
		case netcfg.KindBond:
			parts = append(parts, fmt.Sprintf("bond %s (%s) of %s", i.Name, i.Bond.Mode, strings.Join(i.Bond.Slaves, " ")))
		case netcfg.KindVLAN:
			parts = append(parts, fmt.Sprintf("VLAN %s", i.Name))
		}
		for _, a := range i.Addresses {
			parts = append(parts, fmt.Sprintf("%s on %s", a, i.Name))
		}
	}
	var gws []string
	for _, i := range n.Interfaces {
		for _, g := range i.Gateways {
			gws = append(gws, fmt.Sprintf("%s via %s", g, i.Name))
		}
	}
	if len(gws) > 0 {
		parts = append(parts, "gateway "+strings.Join(gws, ", "))
	}
	s.OK("interfaces", "%d interfaces: %s", len(n.Interfaces), strings.Join(parts, "; ")).Where = n.File.Name
	if len(bridges) == 0 {
		s.Warn("no-bridge", "guests connect to the network through a vmbr bridge: create vmbr0 on the uplink NIC", "no bridge is configured")
	}
	if len(n.Auto()) == 0 {
		s.Warn("no-auto", "mark the interfaces to bring up at boot with auto lines", "no interface is marked auto: nothing comes up at boot")
	}
}

// netIfupdown2 checks that ifupdown2 applies the file, as the guide
// recommends: by the dpkg status file, else by its files.
func netIfupdown2(e *env, s *Section) {
	has2, has1, known := false, false, false
	if fh, err := e.fs.Open(apt.DpkgStatus); err == nil {
		st, err := apt.ParseStatus(apt.DpkgStatus, fh)
		fh.Close()
		if err == nil {
			known = true
			p2, p1 := st.Lookup("ifupdown2", ""), st.Lookup("ifupdown", "")
			has2, has1 = p2 != nil && p2.Installed(), p1 != nil && p1.Installed()
		}
	}
	if !known && e.fs.Exists("/usr/share/ifupdown2") {
		known, has2 = true, true
	}
	switch {
	case has2:
		s.OK("ifupdown2", "ifupdown2 is installed: changes apply live with ifreload -a")
	case has1:
		s.Warn("ifupdown2", "apt install ifupdown2 (the default since Proxmox VE 7.0) to apply network changes without a reboot",
			"the classic ifupdown is installed: network changes need a reboot")
	case known:
		s.Warn("ifupdown2", "apt install ifupdown2", "neither ifupdown2 nor ifupdown is installed: nothing applies %s", netcfg.DefaultPath)
	default:
		s.Info("ifupdown2", "", "cannot tell whether ifupdown2 is installed (no %s)", apt.DpkgStatus)
	}
}

func netPending(s *Section, h *netcfg.Host) {
	p, err := h.Pending()
	if err != nil {
		s.Warn("pending", "", "cannot read %s: %v", h.StagingPath(), err)
		return
	}
	if !p.Exists {
		s.OK("pending", "no pending network changes")
		return
	}
	diff, _ := h.Diff()
	add, del := 0, 0
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			add++
		case strings.HasPrefix(l, "-"):
			del++
		}
	}
	s.Info("pending", "review with hostadm net diff; apply with the GUI's Apply Configuration (ifreload -a) or reboot, or drop with hostadm net revert",
		"pending network changes in %s (+%d -%d lines) are not applied", h.StagingPath(), add, del).Where = h.StagingPath()
	pn := p.Network()
	if fs := pn.Validate(); netcfg.HasErrors(fs) {
		for _, f := range fs {
			if f.Severity == netcfg.SeverityError {
				x := s.Error("pending-invalid", "fix interfaces.new before applying: a wrong network configuration may make the node unreachable", "pending change: %v", f.Err)
				x.Where = f.Pos.File + ":" + strconv.Itoa(f.Pos.Line)
			}
		}
	}
}

// netDevices compares the NICs the file names with the devices present,
// where the root has a /sys/class/net.
func netDevices(e *env, s *Section, n *netcfg.Network) {
	ents, err := e.fs.ReadDir("/sys/class/net")
	if err != nil {
		return
	}
	present := map[string]bool{}
	for _, d := range ents {
		present[d.Name()] = true
	}
	var missing []string
	seen := map[string]bool{}
	check := func(name string) {
		if seen[name] || present[name] || netcfg.ClassifyName(name) != netcfg.KindPhysical {
			return
		}
		seen[name] = true
		missing = append(missing, name)
	}
	for _, i := range n.Interfaces {
		if i.Kind == netcfg.KindPhysical {
			check(i.Name)
		}
		for _, l := range i.Lower() {
			check(l)
		}
	}
	if len(missing) > 0 {
		s.Warn("nic-missing", "device names can change with a new systemd naming scheme, kernel or driver: pin the scheme with net.naming-scheme= or a name with a .link file, and adjust /etc/network/interfaces",
			"the configuration names NICs that do not exist: %s", strings.Join(missing, ", "))
	} else {
		s.OK("nic-missing", "every NIC the configuration names exists")
	}
}

// netNames reports the naming-scheme pin and the .link files.
func netNames(ctx context.Context, e *env, s *Section, h *netcfg.Host, n *netcfg.Network) {
	running, runningOK, rerr := h.RunningNamingScheme()
	configured, confOK := "", false
	if m, err := boot.New(&boot.Config{Root: e.fs.Dir()}); err == nil {
		if src, err := m.Cmdline(ctx); err == nil {
			if p, ok := src.Get("net.naming-scheme"); ok {
				configured, confOK = p.Value, true
			}
		}
		m.Close()
	}
	switch {
	case rerr != nil && !errors.Is(rerr, fs.ErrNotExist):
		s.Info("naming-scheme", "", "cannot read /proc/cmdline: %v", rerr)
	case runningOK && !netcfg.ValidNamingScheme(running):
		s.Warn("naming-scheme", "use a version systemd.net-naming-scheme(7) lists, such as v252", "net.naming-scheme=%s is not a naming scheme version", running)
	case runningOK:
		s.OK("naming-scheme", "network device names are pinned to naming scheme %s", running)
	case confOK:
		s.Info("naming-scheme", "reboot for the pin to take effect", "net.naming-scheme=%s is configured but the running kernel did not boot with it", configured)
	default:
		s.Info("naming-scheme", "pin the naming scheme (net.naming-scheme=v252 on the kernel command line) so that a systemd upgrade does not rename NICs",
			"network device names are not pinned to a naming scheme version")
	}
	links, err := h.Links()
	if err != nil {
		s.Warn("link-files", "", "cannot read the .link files: %v", err)
		return
	}
	used := map[string]bool{}
	for _, i := range n.Interfaces {
		used[i.Name] = true
		for _, l := range i.Lower() {
			used[l] = true
		}
	}
	for _, l := range links {
		if l.HiddenBy != "" || !strings.HasPrefix(l.Path, "/etc/") {
			continue
		}
		name := l.File.LinkName()
		if l.Err != nil {
			s.Warn("link-file", "see systemd.link(5)", "%v", l.Err).Where = l.Path
			continue
		}
		if name == "" {
			continue
		}
		base := path.Base(l.Path)
		prio, _, _ := strings.Cut(base, "-")
		if p, err := strconv.Atoi(prio); err == nil && p >= 99 || base >= "99-default.link" {
			s.Warn("link-priority", "name link files <n>-<id>.link with n below 99 so that they come before 99-default.link",
				"%s comes after 99-default.link and never applies", base).Where = l.Path
			continue
		}
		if err := netcfg.CheckPinName(name); err != nil {
			s.Warn("link-name", "assign a name starting with en or eth that matches no kernel or systemd pattern, such as enwan0", "%s: %v", base, err).Where = l.Path
		}
		macs, merr := l.File.MatchMACs()
		switch {
		case merr != nil:
			s.Warn("link-match", "match the device by MACAddress= in [Match]", "%v", merr).Where = l.Path
		case len(macs) == 0:
			s.Info("link-match", "match the device by MACAddress= in [Match], which is unlikely to change", "%s matches devices without a MAC address", base).Where = l.Path
		}
		if used[name] {
			s.OK("link-file", "%s names %s, which the configuration uses", base, name).Where = l.Path
		} else {
			s.Warn("link-unused", "adjust /etc/network/interfaces to use the new name, then reboot",
				"%s names a device %s, but the network configuration does not use %s", base, name, name).Where = l.Path
		}
	}
}

// netSysctl reports the IPv6 and forwarding settings the guide discusses.
func netSysctl(e *env, s *Section, n *netcfg.Network) {
	sc, err := sysctl.New(&sysctl.Config{Root: e.fs.Dir()})
	if err != nil {
		return
	}
	defer sc.Close()
	if st, ok, _ := sc.Lookup("net.ipv6.conf.all.disable_ipv6"); ok && st.Value == "1" {
		s.Info("ipv6-disabled", "Proxmox VE works with or without IPv6; the guide recommends leaving the defaults",
			"IPv6 is disabled by %s", st.File).Where = st.File + ":" + strconv.Itoa(st.Line)
	}
	// A routed or masquerading setup turns on forwarding in post-up.
	for _, i := range n.Interfaces {
		for _, c := range i.Commands {
			if !strings.Contains(c.Line, "/proc/sys/net/ipv4/ip_forward") || !strings.HasPrefix(strings.TrimSpace(c.Line), "echo 1") {
				continue
			}
			v, err := sc.Get("net.ipv4.ip_forward")
			switch {
			case err != nil:
			case v == "1":
				s.OK("ip-forward", "IP forwarding is on, as %s's post-up sets it", i.Name)
			default:
				s.Warn("ip-forward", "bring "+i.Name+" up again (ifreload -a) or set net.ipv4.ip_forward=1: routed and NAT setups need forwarding",
					"%s's post-up turns IP forwarding on, but it is off", i.Name).Where = c.Pos.File + ":" + strconv.Itoa(c.Pos.Line)
			}
			return
		}
	}
}
