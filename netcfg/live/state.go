package live

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/netcfg"
)

// Link is a network device as the kernel reports it. Fields that depend
// on the kind (Bridge, Bond, VLAN, Port, Veth) are nil for other kinds.
type Link struct {
	// Index is the kernel's interface index; it changes when a device is
	// deleted and created again, so states compare links by Name.
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Kind is the driver kind of a virtual device ("bridge", "bond",
	// "vlan", "veth", "dummy", ...), "loopback" for lo and "" for a
	// physical device.
	Kind string `json:"kind"`
	// Master is the bridge or bond the device is a port of, "" for none.
	Master string `json:"master,omitempty"`
	// Up is the administrative state (IFF_UP).
	Up bool `json:"up"`
	// OperState is the operational state as ip prints it ("UP", "DOWN",
	// "LOWERLAYERDOWN", "UNKNOWN").
	OperState string `json:"operstate"`
	// Carrier reports whether the device has a link.
	Carrier bool `json:"carrier"`
	MTU     int  `json:"mtu"`
	// MAC is the device's hardware address.
	MAC net.HardwareAddr `json:"mac,omitempty"`
	// PermMAC is the permanent address of a physical device.
	PermMAC net.HardwareAddr `json:"perm_mac,omitempty"`
	// Parent is the lower device of a VLAN or the peer of a veth pair
	// (when the peer is in the same namespace).
	Parent string `json:"parent,omitempty"`

	Bridge *BridgeAttrs `json:"bridge,omitempty"`
	Bond   *BondAttrs   `json:"bond,omitempty"`
	VLAN   *VLANAttrs   `json:"vlan,omitempty"`
	// Port holds the bridge port options of a device whose master is a
	// bridge.
	Port *PortAttrs `json:"port,omitempty"`
}

// BridgeAttrs are the options of a Linux bridge.
type BridgeAttrs struct {
	STP bool `json:"stp"`
	// ForwardDelay is in centiseconds, the kernel's unit (bridge-fd 2 is
	// 200).
	ForwardDelay int `json:"forward_delay"`
	// VLANFiltering is true for a VLAN-aware bridge.
	VLANFiltering bool `json:"vlan_filtering"`
	// DefaultPVID is the PVID new ports get (1 unless changed).
	DefaultPVID int `json:"default_pvid"`
}

// BondAttrs are the options of a Linux bond.
type BondAttrs struct {
	Mode netcfg.BondMode `json:"mode"`
	// MIIMon is the link monitoring interval in milliseconds.
	MIIMon int `json:"miimon"`
	// XmitHashPolicy is the transmit hash policy by name ("layer2+3").
	XmitHashPolicy string `json:"xmit_hash_policy"`
	// LACPRate is "slow" or "fast".
	LACPRate string `json:"lacp_rate"`
	// Primary is the primary slave, "" for none.
	Primary   string `json:"primary,omitempty"`
	MinLinks  int    `json:"min_links"`
	UpDelay   int    `json:"updelay"`
	DownDelay int    `json:"downdelay"`
}

// VLANAttrs are the options of an 802.1Q VLAN device.
type VLANAttrs struct {
	ID int `json:"id"`
	// Protocol is "802.1Q" or "802.1ad".
	Protocol string `json:"protocol"`
}

// PortAttrs are the options of a bridge port.
type PortAttrs struct {
	// Learning is the bridge-port learning flag: the bridge learns
	// source MAC addresses seen on the port.
	Learning bool `json:"learning"`
	// UnicastFlood is the port's flooding of unknown unicast.
	UnicastFlood bool `json:"unicast_flood"`
}

// Address is an IP address assigned to a link.
type Address struct {
	Link string `json:"link"`
	// Prefix is the address with its prefix length (192.0.2.1/24).
	Prefix netip.Prefix `json:"prefix"`
	// Scope is "global", "link" or "host".
	Scope string `json:"scope"`
	// Dynamic marks an address the kernel or a client manages (SLAAC,
	// DHCP: not IFA_F_PERMANENT); applies leave those alone.
	Dynamic bool `json:"dynamic,omitempty"`
}

// managed reports whether an apply adds and removes the address: not an
// IPv6 link-local or dynamic one.
func (a Address) managed() bool {
	return !a.Prefix.Addr().IsLinkLocalUnicast() && !a.Dynamic
}

// Route is an entry of the main routing table.
type Route struct {
	Dst netip.Prefix `json:"dst"`
	// Gateway is the next hop, invalid for a directly connected route.
	Gateway netip.Addr `json:"gateway,omitzero"`
	Link    string     `json:"link,omitempty"`
	// Protocol says who installed the route: "kernel" for routes of an
	// address, "boot" for routes added by ip or this package, "static",
	// "dhcp", "ra" or a number.
	Protocol string `json:"protocol"`
	Scope    string `json:"scope"`
	Metric   int    `json:"metric,omitempty"`
	// Type is "unicast" for ordinary routes, or "unreachable",
	// "blackhole", "prohibit", "local", "broadcast", "multicast".
	Type string `json:"type"`
}

// FDBEntry is a static entry of a bridge's forwarding database: frames
// for MAC are sent to Port only.
type FDBEntry struct {
	// Port is the bridge port the MAC is behind.
	Port string           `json:"port"`
	MAC  net.HardwareAddr `json:"mac"`
	// VLAN is the VLAN of the entry on a VLAN-aware bridge, 0 for none.
	VLAN int `json:"vlan,omitempty"`
	// Local marks a permanent (local) entry: frames for MAC are
	// delivered to the bridge itself instead of forwarded to Port.
	Local bool `json:"local,omitempty"`
}

// VLANEntry is one VLAN of a port (or of the bridge itself) on a
// VLAN-aware bridge, as "bridge vlan show" lists them.
type VLANEntry struct {
	// Link is the port, or the bridge for its own entries.
	Link string `json:"link"`
	// VID is the VLAN ID, or the first of a range ending at To.
	VID int `json:"vid"`
	// To is the last VLAN ID of a range, 0 for a single VLAN.
	To int `json:"to,omitempty"`
	// PVID marks the VLAN untagged frames arriving on the port belong to.
	PVID bool `json:"pvid,omitempty"`
	// Untagged marks a VLAN that leaves the port untagged.
	Untagged bool `json:"untagged,omitempty"`
}

// State is a snapshot of a network namespace: its links, addresses, main
// table routes, static bridge FDB entries, bridge VLAN entries and the
// sysctl values an apply touched. Slices are sorted, so two states
// compare field by field with cmp.Diff.
type State struct {
	Links     []Link      `json:"links"`
	Addresses []Address   `json:"addresses"`
	Routes    []Route     `json:"routes"`
	FDB       []FDBEntry  `json:"fdb"`
	VLANs     []VLANEntry `json:"vlans"`
	// Sysctls maps parameters (dotted, "net.ipv4.ip_forward") to their
	// values; only parameters a plan sets are recorded.
	Sysctls map[string]string `json:"sysctls,omitempty"`
}

// Link returns the link called name, or nil.
func (s *State) Link(name string) *Link {
	i, ok := slices.BinarySearchFunc(s.Links, name, func(l Link, n string) int { return strings.Compare(l.Name, n) })
	if !ok {
		return nil
	}
	return &s.Links[i]
}

// AddressesOf returns the addresses of link name, in order.
func (s *State) AddressesOf(name string) []Address {
	var out []Address
	for _, a := range s.Addresses {
		if a.Link == name {
			out = append(out, a)
		}
	}
	return out
}

// sort puts every list in its canonical order.
func (s *State) sort() {
	slices.SortFunc(s.Links, func(a, b Link) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Addresses, func(a, b Address) int {
		return cmp.Or(strings.Compare(a.Link, b.Link), comparePrefix(a.Prefix, b.Prefix))
	})
	slices.SortFunc(s.Routes, func(a, b Route) int {
		return cmp.Or(comparePrefix(a.Dst, b.Dst), cmp.Compare(a.Metric, b.Metric),
			strings.Compare(a.Link, b.Link), a.Gateway.Compare(b.Gateway), strings.Compare(a.Type, b.Type))
	})
	slices.SortFunc(s.FDB, func(a, b FDBEntry) int {
		return cmp.Or(strings.Compare(a.Port, b.Port), strings.Compare(a.MAC.String(), b.MAC.String()), cmp.Compare(a.VLAN, b.VLAN))
	})
	slices.SortFunc(s.VLANs, func(a, b VLANEntry) int {
		return cmp.Or(strings.Compare(a.Link, b.Link), cmp.Compare(a.VID, b.VID))
	})
}

func comparePrefix(a, b netip.Prefix) int {
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return -1
		}
		return 1
	}
	return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
}

// virtualKinds are the kinds of device an apply creates and deletes.
var virtualKinds = map[string]bool{"bridge": true, "bond": true, "vlan": true, "veth": true, "dummy": true}

// IsVirtual reports whether the link is a software device that can be
// created and deleted (bridge, bond, VLAN, veth, dummy).
func (l *Link) IsVirtual() bool { return virtualKinds[l.Kind] }
