package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/netcfg"
)

// netCmd is the "net" command; other files append subcommands to its Sub
// from their init.
var netCmd = &Command{
	Name:    "net",
	Summary: "network configuration: /etc/network/interfaces, staging, names, link files",
	Sub: []*Command{
		netCheckCmd(), netFmtCmd(), netShowCmd(), netQueryCmd(), netDiffCmd(), netRevertCmd(),
		netLinkNameCmd(), netLinkFilesCmd(), netPinNameCmd(), netSetupCmd(), netIPv6Cmd(),
	},
}

func init() { register(netCmd) }

// netPath returns the file a command works on, as a path inside the root:
// the interfaces file when none is given; a relative path is taken from
// the working directory when the root is "/".
func netPath(env *Env, arg string) (string, error) {
	if arg == "" {
		return netcfg.DefaultPath, nil
	}
	if env.Root == "/" || env.Root == "" {
		return filepath.Abs(arg)
	}
	return "/" + strings.TrimLeft(arg, "/"), nil
}

// netLoad reads an interfaces file and its includes below the root.
func netLoad(env *Env, arg string) (*netcfg.File, error) {
	p, err := netPath(env, arg)
	if err != nil {
		return nil, err
	}
	fsys, err := env.FS()
	if err != nil {
		return nil, err
	}
	f, err := netcfg.LoadFS(fsys.FS(), p)
	if f == nil {
		return nil, err
	}
	return f, nil
}

// oneOptionalArg returns the optional FILE argument of command name.
func oneOptionalArg(name string, args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", nil
	case 1:
		return args[0], nil
	}
	return "", usagef("net %s: at most one FILE", name)
}

// netLoadArgs loads the FILE argument of command name, the interfaces
// file when there is none.
func netLoadArgs(env *Env, name string, args []string) (*netcfg.File, error) {
	arg, err := oneOptionalArg(name, args)
	if err != nil {
		return nil, err
	}
	return netLoad(env, arg)
}

func netCheckCmd() *Command {
	return &Command{
		Name: "check", Args: "[FILE]", Summary: "validate an interfaces file (default /etc/network/interfaces)",
		Help: `Reads the file and the files its source lines include as ifupdown2
does and reports what would break or what ifupdown2 reads differently
from what the file seems to say. Exit status 1 when there is an error.

Text output: one line per finding, "FILE:LINE:COL: SEVERITY: MESSAGE [CHECK]".

JSON output: {"file", "interfaces" (count), "errors", "warnings",
"findings": [{"pos" ("file:line:col"), "file", "line", "severity"
("error"|"warning"), "check", "interface", "message"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			f, err := netLoadArgs(env, "check", args)
			if err != nil {
				return err
			}
			n := netcfg.NewNetwork(f)
			fs := n.Validate()
			out := struct {
				File       string           `json:"file"`
				Interfaces int              `json:"interfaces"`
				Errors     int              `json:"errors"`
				Warnings   int              `json:"warnings"`
				Findings   []netcfg.Finding `json:"findings"`
			}{File: f.Name, Interfaces: len(n.Interfaces), Findings: fs}
			out.Findings = nonNil(out.Findings)
			for _, x := range fs {
				if x.Severity == netcfg.SeverityError {
					out.Errors++
				} else {
					out.Warnings++
				}
			}
			if env.JSON {
				if err := env.PrintJSON(out); err != nil {
					return err
				}
			} else {
				for _, x := range fs {
					fmt.Fprintf(env.Stdout, "%s: %s: %s [%s]\n", x.Pos, x.Severity, x.Err, x.Check)
				}
				if len(fs) == 0 {
					fmt.Fprintf(env.Stdout, "%s: %d interfaces, no findings\n", f.Name, len(n.Interfaces))
				}
			}
			if out.Errors > 0 {
				return ErrFindings
			}
			return nil
		},
	}
}

func netFmtCmd() *Command {
	var write, diff bool
	var indent string
	return &Command{
		Name: "fmt", Args: "FILE", Summary: "lay an interfaces file out canonically, keeping its meaning",
		Help: `Prints the file in one layout (statements in column 1, options indented
with a tab, single blanks, one blank line between blocks, continuation
lines joined), without changing what ifupdown2 reads; lines it cannot
read are kept as they are. -w writes the result back (atomically,
refusing if the file changed meanwhile); -d prints a unified diff
instead. Without -w or -d, the JSON output is {"file", "changed",
"text"}; with -d, {"file", "changed", "diff"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&write, "w", false, "write the result back to FILE")
			fl.BoolVar(&diff, "d", false, "print a diff instead of the file")
			fl.StringVar(&indent, "indent", "\t", "indent options with `STRING`")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("net fmt: want one FILE")
			}
			p, err := netPath(env, args[0])
			if err != nil {
				return err
			}
			fsys, err := env.FS()
			if err != nil {
				return err
			}
			data, d, err := fsys.ReadFileDigest(p)
			if err != nil {
				return err
			}
			f, _ := netcfg.Parse(p, data)
			f.Canonical(indent)
			out := f.Format()
			changed := string(out) != string(data)
			if write && changed {
				if err := fsys.WriteFile(p, out, &rootfs.WriteOptions{Expect: &d}); err != nil {
					return err
				}
			}
			switch {
			case diff:
				text := netcfg.UnifiedDiff(p, p, data, out)
				if env.JSON {
					return env.PrintJSON(map[string]any{"file": p, "changed": changed, "diff": text})
				}
				_, err = fmt.Fprint(env.Stdout, text)
				return err
			case write:
				if env.JSON {
					return env.PrintJSON(map[string]any{"file": p, "changed": changed})
				}
				return nil
			case env.JSON:
				return env.PrintJSON(map[string]any{"file": p, "changed": changed, "text": string(out)})
			}
			_, err = env.Stdout.Write(out)
			return err
		},
	}
}

func netShowCmd() *Command {
	return &Command{
		Name: "show", Args: "[FILE]", Summary: "show the interfaces a file configures, as ifupdown2 reads them",
		Help: `Text output: a table NAME KIND AUTO METHOD ADDRESSES DETAILS.

JSON output: {"interfaces": [{"name", "auto", "classes", "kind"
("eth"|"bridge"|"bond"|"vlan"|"loopback"|"OVSBridge"|...|"unknown"),
"families": [{"family", "method"}], "addresses", "gateways", "mtu",
"hwaddress", "bridge": {"ports", "stp", "fd", "vlan_aware", "vids":
[{"from", "to"}], "pvid", "disable_mac_learning"}, "bond": {"slaves",
"mode", "miimon", "xmit_hash_policy", "lacp_rate", "primary",
"min_links", "updelay", "downdelay"}, "vlan": {"id", "raw_device",
"dotted", "protocol"}, "ovs": {...}, "commands": [{"hook", "line",
"pos"}], "attrs": [{"key", "value", "pos"}], "unknown": [...], "pos"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			f, err := netLoadArgs(env, "show", args)
			if err != nil {
				return err
			}
			n := netcfg.NewNetwork(f)
			if env.JSON {
				return env.PrintJSON(n)
			}
			tw := env.Table()
			fmt.Fprintln(tw, "NAME\tKIND\tAUTO\tMETHOD\tADDRESSES\tDETAILS")
			for _, i := range n.Interfaces {
				var methods, addrs []string
				for _, fm := range i.Families {
					methods = append(methods, strings.TrimSpace(fm.Family+" "+fm.Method))
				}
				for _, a := range i.Addresses {
					addrs = append(addrs, a.String())
				}
				for _, g := range i.Gateways {
					addrs = append(addrs, "gw "+g.String())
				}
				auto := "-"
				if i.Auto {
					auto = "auto"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", i.Name, i.Kind, auto, orDash(strings.Join(methods, ",")), orDash(strings.Join(addrs, " ")), orDash(details(i)))
			}
			return tw.Flush()
		},
	}
}

func details(i *netcfg.Interface) string {
	var d []string
	switch {
	case i.Bridge != nil:
		d = append(d, "ports "+orNone(i.Bridge.Ports))
		if i.Bridge.VLANAware {
			var v []string
			for _, r := range i.Bridge.VIDs {
				v = append(v, r.String())
			}
			d = append(d, "vlan-aware "+strings.Join(v, ","))
		}
	case i.Bond != nil:
		d = append(d, "slaves "+orNone(i.Bond.Slaves), "mode "+i.Bond.Mode.String())
	case i.VLAN != nil:
		d = append(d, fmt.Sprintf("vlan %d on %s", i.VLAN.ID, i.VLAN.RawDevice))
	case i.OVS != nil:
		d = append(d, i.OVS.Type)
	}
	if i.MTU > 0 {
		d = append(d, fmt.Sprintf("mtu %d", i.MTU))
	}
	if len(i.Commands) > 0 {
		d = append(d, fmt.Sprintf("%d commands", len(i.Commands)))
	}
	return strings.Join(d, ", ")
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, " ")
}

func netQueryCmd() *Command {
	return &Command{
		Name: "query", Args: "FILE [IFACE...]", Summary: "what ifupdown2's ifquery reports for a file",
		Help: `Without IFACE, the stanzas of every auto interface, as "ifquery -a -i
FILE" reports them; with IFACE names (or ifupdown2 ranges such as
swp[1-4]), those interfaces' stanzas in the order given, as "ifquery -i
FILE IFACE...".

JSON output: exactly what "ifquery -o json" prints, byte for byte: a list
of {"name", "addr_method" (left out when the stanza has none),
"addr_family", "auto", "config": {OPTION: VALUE or [VALUES]}}, so that
scripts written for ifquery can switch. Text output: the stanzas as
ifquery prints them. Exit status 1 when no interface matches.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 {
				return usagef("net query: want FILE [IFACE...]")
			}
			f, err := netLoad(env, args[0])
			if err != nil {
				return err
			}
			q, err := netcfg.Query(f, args[1:]...)
			if err != nil {
				return err
			}
			if env.JSON {
				_, err = env.Stdout.Write(netcfg.MarshalQuery(q))
				return err
			}
			for _, s := range q {
				if s.Auto {
					fmt.Fprintf(env.Stdout, "auto %s\n", s.Name)
				}
				fmt.Fprintf(env.Stdout, "iface %s", s.Name)
				if len(s.AddrFamily) > 0 {
					fmt.Fprintf(env.Stdout, " %s", s.AddrFamily[0])
				}
				if s.AddrMethod != "" {
					fmt.Fprintf(env.Stdout, " %s", s.AddrMethod)
				}
				fmt.Fprintln(env.Stdout)
				for _, o := range s.Config {
					for _, v := range o.Values {
						if v != "" {
							fmt.Fprintf(env.Stdout, "    %s %s\n", o.Key, v)
						}
					}
				}
				fmt.Fprintln(env.Stdout)
			}
			return nil
		},
	}
}

func netHost(env *Env) (*netcfg.Host, error) {
	return netcfg.New(&netcfg.Config{Root: env.Root})
}

func netDiffCmd() *Command {
	return &Command{
		Name: "diff", Summary: "show the pending change (interfaces.new) as a unified diff",
		Help: `Proxmox VE writes changes to /etc/network/interfaces.new; they take
effect when applied (ifreload -a after moving the file, "hostadm net
apply", or a reboot). Text output: the unified diff, nothing when no
change is pending.

JSON output: {"pending" (whether interfaces.new exists), "digest" (its
SHA-256, for revert and commit), "diff"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("net diff: no arguments")
			}
			h, err := netHost(env)
			if err != nil {
				return err
			}
			defer h.Close()
			d, err := h.Diff()
			if err != nil {
				return err
			}
			p, err := h.Pending()
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]any{"pending": p.Exists, "digest": p.Digest, "diff": d})
			}
			_, err = fmt.Fprint(env.Stdout, d)
			return err
		},
	}
}

func netRevertCmd() *Command {
	var digest string
	return &Command{
		Name: "revert", Summary: "drop the pending change (remove interfaces.new)",
		Help: `Removes /etc/network/interfaces.new under the lock Proxmox VE's API
uses. With --digest, only if the file still has that SHA-256 (from
"net diff --json"). JSON output: {"reverted": bool}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&digest, "digest", "", "revert only if interfaces.new has this SHA-256")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("net revert: no arguments")
			}
			h, err := netHost(env)
			if err != nil {
				return err
			}
			defer h.Close()
			p, err := h.Pending()
			if err != nil {
				return err
			}
			if err := h.Revert(ctx, digest); err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]any{"reverted": p.Exists})
			}
			if p.Exists {
				fmt.Fprintf(env.Stdout, "removed %s\n", h.StagingPath())
			} else {
				fmt.Fprintln(env.Stdout, "no pending change")
			}
			return nil
		},
	}
}

func netLinkNameCmd() *Command {
	return &Command{
		Name: "link-name", Args: "NAME", Summary: "decode an interface name (eno1, enp3s0f1, vmbr0v5, bond1.30)",
		Help: `Classifies the name by Proxmox VE's naming conventions and takes a
systemd predictable name apart.

JSON output: {"name", "kind", "index" (-1 when none), "parent", "vlan",
"valid" (the kernel's rules), "error", "predictable": {"prefix",
"scheme" ("onboard"|"slot"|"path"|"mac"|...), "domain", "bus", "slot",
"function", "index", "phys_port_name", "dev_port", "mac", "bcma", "usb",
"usb_config", "usb_interface", "vf", "id"} (numbers -1 when absent)}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("net link-name: want one NAME")
			}
			n := netcfg.ParseName(args[0])
			cerr := netcfg.CheckName(args[0])
			if env.JSON {
				out := struct {
					netcfg.Name
					Valid bool   `json:"valid"`
					Error string `json:"error,omitempty"`
				}{Name: n, Valid: cerr == nil}
				if cerr != nil {
					out.Error = cerr.Error()
				}
				return env.PrintJSON(out)
			}
			fmt.Fprintf(env.Stdout, "%s: %s", n.Name, n.Kind)
			if n.Index >= 0 {
				fmt.Fprintf(env.Stdout, " %d", n.Index)
			}
			if n.VLAN > 0 {
				fmt.Fprintf(env.Stdout, ", VLAN %d", n.VLAN)
				if n.Parent != "" {
					fmt.Fprintf(env.Stdout, " on %s", n.Parent)
				}
			}
			fmt.Fprintln(env.Stdout)
			if p := n.Predictable; p != nil {
				fmt.Fprintf(env.Stdout, "  systemd name: prefix %s, %s", p.Prefix, p.Scheme)
				for _, f := range []struct {
					label string
					v     int
				}{{"domain", p.Domain}, {"bus", p.Bus}, {"slot", p.Slot}, {"function", p.Function}, {"index", p.Index}, {"dev_port", p.DevPort}, {"vf", p.VF}} {
					if f.v >= 0 {
						fmt.Fprintf(env.Stdout, ", %s %d", f.label, f.v)
					}
				}
				if p.PhysPortName != "" {
					fmt.Fprintf(env.Stdout, ", port %s", p.PhysPortName)
				}
				if p.MAC != nil {
					fmt.Fprintf(env.Stdout, ", MAC %s", p.MAC)
				}
				fmt.Fprintln(env.Stdout)
			}
			if cerr != nil {
				fmt.Fprintf(env.Stdout, "  invalid: %v\n", cerr)
			}
			return nil
		},
	}
}

func netLinkFilesCmd() *Command {
	return &Command{
		Name: "link-files", Summary: "list the systemd .link files that name devices, and the naming-scheme pin",
		Help: `Lists the .link files of /etc/systemd/network and the other directories
systemd-udevd reads, in the order it tries them, with the MAC addresses
they match and the names they give, and the net.naming-scheme= of the
running kernel's command line.

JSON output: {"naming_scheme" ("" when not pinned), "links": [{"path",
"hidden_by", "macs", "name", "error"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("net link-files: no arguments")
			}
			h, err := netHost(env)
			if err != nil {
				return err
			}
			defer h.Close()
			links, err := h.Links()
			if err != nil {
				return err
			}
			scheme, _, _ := h.RunningNamingScheme()
			type linkOut struct {
				Path     string   `json:"path"`
				HiddenBy string   `json:"hidden_by,omitempty"`
				MACs     []string `json:"macs"`
				Name     string   `json:"name,omitempty"`
				Error    string   `json:"error,omitempty"`
			}
			var out []linkOut
			for _, l := range links {
				o := linkOut{Path: l.Path, HiddenBy: l.HiddenBy, MACs: []string{}}
				if l.File != nil {
					macs, err := l.File.MatchMACs()
					for _, m := range macs {
						o.MACs = append(o.MACs, m.String())
					}
					o.Name = l.File.LinkName()
					if err != nil && l.Err == nil {
						l.Err = err
					}
				}
				if l.Err != nil {
					o.Error = l.Err.Error()
				}
				out = append(out, o)
			}
			if env.JSON {
				out = nonNil(out)
				return env.PrintJSON(map[string]any{"naming_scheme": scheme, "links": out})
			}
			if scheme != "" {
				fmt.Fprintf(env.Stdout, "naming scheme pinned to %s\n", scheme)
			} else {
				fmt.Fprintln(env.Stdout, "naming scheme not pinned (no net.naming-scheme= on the kernel command line)")
			}
			tw := env.Table()
			fmt.Fprintln(tw, "FILE\tMAC\tNAME\tNOTE")
			for _, o := range out {
				note := ""
				switch {
				case o.HiddenBy != "":
					note = "hidden by " + o.HiddenBy
				case o.Error != "":
					note = o.Error
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Path, orDash(strings.Join(o.MACs, " ")), orDash(o.Name), note)
			}
			return tw.Flush()
		},
	}
}

func netPinNameCmd() *Command {
	var prio int
	var id string
	return &Command{
		Name: "pin-name", Args: "MAC NAME", Summary: "write a .link file that gives the device with MAC the name NAME",
		Help: `Writes /etc/systemd/network/<PRIORITY>-<ID>.link as the admin guide
shows ([Match] MACAddress=, [Link] Name=). The name must start with en
or eth and must not look like a name the kernel or systemd gives (such
as eth0 or eno1); the priority must be below 99. Adjust
/etc/network/interfaces to the new name; it takes effect after a reboot.
JSON output: {"path"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.IntVar(&prio, "priority", 10, "file name `PRIORITY`, 0 to 98")
			fl.StringVar(&id, "id", "", "file name `ID` (default the name)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("net pin-name: want MAC NAME")
			}
			mac, err := net.ParseMAC(args[0])
			if err != nil {
				return usagef("net pin-name: %v", err)
			}
			h, err := netHost(env)
			if err != nil {
				return err
			}
			defer h.Close()
			p, err := h.PinName(ctx, prio, id, mac, args[1])
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]string{"path": p})
			}
			fmt.Fprintf(env.Stdout, "wrote %s; use %s in %s and reboot\n", p, args[1], netcfg.DefaultPath)
			return nil
		},
	}
}

func netSetupCmd() *Command {
	var (
		ports, address, gateway, bridge, uplink, bridgeAddress string
		slaves, mode, hash, bridgePort, bondAddress, vids      string
		vlan                                                   int
		aware, conntrack, stage, proxmox, macLearning          bool
	)
	return &Command{
		Name: "setup", Args: "bridge|routed|masquerade|bond|vlan", Summary: "write one of the admin guide's network setups",
		Help: `Builds a setup from a few parameters and prints it, or with --stage
writes it as the pending change (interfaces.new) for review with "net
diff". With the guide's parameters the output equals the guide's
example:

  bridge      --ports eno1 --address 192.168.10.2/24 --gateway 192.168.10.1
  routed      --uplink eno0 --address 198.51.100.5/29 --gateway 198.51.100.1 --bridge-address 203.0.113.17/28
  masquerade  --uplink eno1 --address 198.51.100.5/24 --gateway 198.51.100.1 --bridge-address 10.10.10.1/24 [--conntrack-zones]
  bond        --slaves eno1,eno2 --mode 802.3ad [--bridge-port eno3 --bond-address 192.168.1.2/24] --address 10.10.10.2/24 --gateway 10.10.10.1
  vlan        --ports eno1 | --slaves eno1,eno2 --vlan 5 [--vlan-aware] --address 10.10.10.2/24 --gateway 10.10.10.1

--proxmox lays the file out as Proxmox VE writes it (tabs) instead of as
the guide prints it. JSON output: {"text", "findings", "staged"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&ports, "ports", "", "comma-separated bridge `PORTS` (bridge), or the NIC (vlan)")
			fl.StringVar(&address, "address", "", "host `CIDR` address")
			fl.StringVar(&gateway, "gateway", "", "default `GATEWAY`")
			fl.StringVar(&bridge, "bridge", "", "bridge `NAME` (default vmbr0)")
			fl.StringVar(&uplink, "uplink", "", "uplink `NIC` (routed, masquerade)")
			fl.StringVar(&bridgeAddress, "bridge-address", "", "the bridge's `CIDR` address (routed, masquerade)")
			fl.StringVar(&slaves, "slaves", "", "comma-separated bond `NICS`")
			fl.StringVar(&mode, "mode", "802.3ad", "bond `MODE`")
			fl.StringVar(&hash, "xmit-hash-policy", "", "bond transmit hash `POLICY`")
			fl.StringVar(&bridgePort, "bridge-port", "", "bridge `NIC` beside the bond (bond)")
			fl.StringVar(&bondAddress, "bond-address", "", "the bond's own `CIDR` address (bond)")
			fl.IntVar(&vlan, "vlan", 0, "management VLAN `ID` (vlan)")
			fl.BoolVar(&aware, "vlan-aware", false, "VLAN-aware bridge")
			fl.StringVar(&vids, "vids", "", "VLAN IDs of a VLAN-aware bridge (default 2-4094)")
			fl.BoolVar(&macLearning, "disable-mac-learning", false, "disable MAC learning on the bridge (bridge)")
			fl.BoolVar(&conntrack, "conntrack-zones", false, "add the conntrack-zone lines (masquerade)")
			fl.BoolVar(&stage, "stage", false, "write the setup to interfaces.new")
			fl.BoolVar(&proxmox, "proxmox", false, "lay out as Proxmox VE writes files")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("net setup: want one of bridge, routed, masquerade, bond, vlan")
			}
			var perr []error
			prefix := func(name, s string) netip.Prefix {
				if s == "" {
					return netip.Prefix{}
				}
				p, err := netip.ParsePrefix(s)
				if err != nil {
					perr = append(perr, fmt.Errorf("--%s: %v", name, err))
				}
				return p
			}
			ip := func(name, s string) netip.Addr {
				if s == "" {
					return netip.Addr{}
				}
				a, err := netip.ParseAddr(s)
				if err != nil {
					perr = append(perr, fmt.Errorf("--%s: %v", name, err))
				}
				return a
			}
			split := func(s string) []string {
				if s == "" {
					return nil
				}
				return strings.Split(s, ",")
			}
			var style *netcfg.Style
			if proxmox {
				style = netcfg.ProxmoxStyle
			}
			bm, err := netcfg.ParseBondMode(mode)
			if err != nil {
				return usagef("net setup: --mode: %v", err)
			}
			var bond *netcfg.BondSpec
			if slaves != "" {
				bond = &netcfg.BondSpec{Slaves: split(slaves), Mode: bm, XmitHashPolicy: hash, Address: prefix("bond-address", bondAddress)}
			}
			addr, gw := prefix("address", address), ip("gateway", gateway)
			var f *netcfg.File
			switch args[0] {
			case "bridge":
				f = netcfg.DefaultBridge(netcfg.BridgeSetup{Bridge: bridge, Ports: split(ports), Address: addr, Gateway: gw,
					VLANAware: aware, VIDs: vids, DisableMACLearning: macLearning, Style: style})
			case "routed":
				f = netcfg.Routed(netcfg.RoutedSetup{Uplink: uplink, Address: addr, Gateway: gw, Bridge: bridge,
					BridgeAddress: prefix("bridge-address", bridgeAddress), Style: style})
			case "masquerade":
				f = netcfg.Masquerade(netcfg.MasqueradeSetup{Uplink: uplink, Address: addr, Gateway: gw, Bridge: bridge,
					BridgeAddress: prefix("bridge-address", bridgeAddress), ConntrackZones: conntrack, Style: style})
			case "bond":
				if bond == nil {
					return usagef("net setup bond: --slaves is required")
				}
				f = netcfg.Bonded(netcfg.BondSetup{Bond: *bond, Bridge: bridge, BridgePort: bridgePort, Address: addr, Gateway: gw, Style: style})
			case "vlan":
				if vlan == 0 || (ports == "" && bond == nil) {
					return usagef("net setup vlan: --vlan and --ports or --slaves are required")
				}
				f = netcfg.ManagementVLAN(netcfg.VLANSetup{Port: ports, Bond: bond, VLAN: vlan, Bridge: bridge, VLANAware: aware,
					VIDs: vids, Address: addr, Gateway: gw, Style: style})
			default:
				return usagef("net setup: unknown setup %q", args[0])
			}
			if len(perr) > 0 {
				return usagef("net setup: %v", errors.Join(perr...))
			}
			if (args[0] == "routed" || args[0] == "masquerade") && uplink == "" {
				return usagef("net setup %s: --uplink is required", args[0])
			}
			findings := netcfg.Check(f)
			findings = nonNil(findings)
			staged := false
			if stage && !netcfg.HasErrors(findings) {
				h, err := netHost(env)
				if err != nil {
					return err
				}
				defer h.Close()
				base, err := h.Editable()
				if err != nil {
					return err
				}
				if err := h.Stage(ctx, f, base); err != nil {
					return err
				}
				staged = true
			}
			if env.JSON {
				if err := env.PrintJSON(map[string]any{"text": string(f.Format()), "findings": findings, "staged": staged}); err != nil {
					return err
				}
			} else {
				if !staged {
					env.Stdout.Write(f.Format())
				} else {
					fmt.Fprintln(env.Stdout, "staged as the pending change; review with: hostadm net diff")
				}
				for _, x := range findings {
					fmt.Fprintf(env.Stderr, "%s: %s: %s\n", x.Pos, x.Severity, x.Err)
				}
			}
			if netcfg.HasErrors(findings) {
				return ErrFindings
			}
			return nil
		},
	}
}

func netIPv6Cmd() *Command {
	var now bool
	var file string
	return &Command{
		Name: "ipv6", Args: "disable|enable", Summary: "disable IPv6 on the node with the admin guide's sysctl snippet, or undo it",
		Help: `disable writes net.ipv6.conf.all.disable_ipv6 = 1 and
net.ipv6.conf.default.disable_ipv6 = 1 to /etc/sysctl.d/disable-ipv6.conf
(losslessly, atomically); enable removes them. --now also changes the
running kernel. The guide recommends leaving IPv6 at its defaults.

Text output: where each parameter is decided at boot. JSON output:
{"settings": [{"name", "value", "file", "line", "overrides"}]}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&now, "now", false, "change the running kernel too")
			fl.StringVar(&file, "file", netcfg.IPv6File, "the sysctl.d `FILE`")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || (args[0] != "disable" && args[0] != "enable") {
				return usagef("net ipv6: want disable or enable")
			}
			h, err := netHost(env)
			if err != nil {
				return err
			}
			defer h.Close()
			st, err := h.SetIPv6(ctx, file, args[0] == "enable", now)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]any{"settings": st})
			}
			for _, x := range st {
				if x.File == "" {
					fmt.Fprintln(env.Stdout, "no file sets IPv6 parameters: the kernel default (enabled) applies")
					break
				}
				fmt.Fprintf(env.Stdout, "%s = %s (%s:%d)\n", x.Name, x.Value, x.File, x.Line)
			}
			return nil
		},
	}
}
