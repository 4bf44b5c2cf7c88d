package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/sysctl"
)

// Config configures a Client.
type Config struct {
	// NetNS is the path of the network namespace to work in
	// ("/run/netns/NAME", "/proc/PID/ns/net"); "" means the caller's.
	NetNS string
	// NetNSFD is an open descriptor of the namespace, used when NetNS is
	// empty; 0 means none. The caller keeps it open while the Client
	// lives.
	NetNSFD int
}

// Client speaks rtnetlink to one network namespace. Its methods are safe
// for concurrent use; each request runs alone on the socket.
type Client struct {
	cfg Config
	k   kernel
	run runner.Runner
	sys *sysctl.Sysctl
	mu  sync.Mutex
}

// kernel is the netlink side of a Client, implemented on Linux.
type kernel interface {
	close() error
	links(ctx context.Context) ([]Link, error)
	addresses(ctx context.Context, byIndex map[int]string) ([]Address, error)
	routes(ctx context.Context, byIndex map[int]string) ([]Route, error)
	fdb(ctx context.Context, byIndex map[int]string) ([]FDBEntry, error)
	bridgeVLANs(ctx context.Context, byIndex map[int]string) ([]VLANEntry, error)
	create(ctx context.Context, l *Link, br *BridgeOptions, bond *BondOptions) error
	change(ctx context.Context, name string, c *linkChange) error
	del(ctx context.Context, name string) error
	setUp(ctx context.Context, name string, up bool) error
	setMaster(ctx context.Context, name, master string) error
	setLearning(ctx context.Context, name string, on bool) error
	vlan(ctx context.Context, add bool, self bool, list []VLANEntry) error
	isBridge(ctx context.Context, name string) bool
	linkVLANs(ctx context.Context, name string) ([]VLANEntry, error)
	fdbEntry(ctx context.Context, add bool, e FDBEntry) error
	address(ctx context.Context, add bool, link string, p netip.Prefix) error
	route(ctx context.Context, add bool, r Route) error
	nsPath() string
}

// ErrNotFound is returned for a link that does not exist.
var ErrNotFound = errors.New("no such link")

// New opens a netlink socket in the configured namespace. A nil cfg means
// the caller's namespace. On systems other than Linux it returns an error
// wrapping errors.ErrUnsupported.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	k, err := newKernel(cfg)
	if err != nil {
		return nil, err
	}
	sys, err := sysctl.New(&sysctl.Config{NetNSPath: cfg.NetNS, NetNSFD: cfg.NetNSFD})
	if err != nil {
		k.close()
		return nil, err
	}
	return &Client{cfg: *cfg, k: k, run: runner.Default, sys: sys}, nil
}

// Close closes the socket.
func (c *Client) Close() error {
	c.sys.Close()
	return c.k.close()
}

// Links returns the namespace's links sorted by name.
func (c *Client) Links(ctx context.Context) ([]Link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &State{}
	var err error
	s.Links, err = c.k.links(ctx)
	if err != nil {
		return nil, err
	}
	s.sort()
	return s.Links, nil
}

// Link returns the link called name; the error matches ErrNotFound when
// there is none.
func (c *Client) Link(ctx context.Context, name string) (*Link, error) {
	links, err := c.Links(ctx)
	if err != nil {
		return nil, err
	}
	s := State{Links: links}
	if l := s.Link(name); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
}

// Addresses returns the IP addresses of every link, sorted by link and
// address.
func (c *Client) Addresses(ctx context.Context) ([]Address, error) {
	s, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.Addresses, nil
}

// Routes returns the routes of the main table, IPv4 and IPv6.
func (c *Client) Routes(ctx context.Context) ([]Route, error) {
	s, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.Routes, nil
}

// State returns a snapshot of the namespace: links, addresses, main table
// routes, static FDB entries, bridge VLAN entries, and the values of the
// given sysctls (dotted or path form; missing ones are left out).
func (c *Client) State(ctx context.Context, sysctls ...string) (*State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readState(ctx, sysctls, true)
}

// readState reads the namespace; bridgeTables adds the FDB and bridge
// VLAN entries.
func (c *Client) readState(ctx context.Context, sysctls []string, bridgeTables bool) (*State, error) {
	s := &State{}
	var err error
	if s.Links, err = c.k.links(ctx); err != nil {
		return nil, err
	}
	byIndex := make(map[int]string, len(s.Links))
	for _, l := range s.Links {
		byIndex[l.Index] = l.Name
	}
	if s.Addresses, err = c.k.addresses(ctx, byIndex); err != nil {
		return nil, err
	}
	if s.Routes, err = c.k.routes(ctx, byIndex); err != nil {
		return nil, err
	}
	hasBridge := false
	for _, l := range s.Links {
		if l.Kind == "bridge" {
			hasBridge = true
			break
		}
	}
	if hasBridge && bridgeTables {
		if s.FDB, err = c.k.fdb(ctx, byIndex); err != nil {
			return nil, err
		}
		// The kernel's own entries: every link's MAC is a local entry of
		// its bridge.
		macs := map[string]bool{}
		for _, l := range s.Links {
			macs[l.MAC.String()] = true
		}
		kept := s.FDB[:0]
		for _, e := range s.FDB {
			if e.Local && macs[e.MAC.String()] {
				continue
			}
			kept = append(kept, e)
		}
		s.FDB = kept
		if s.VLANs, err = c.k.bridgeVLANs(ctx, byIndex); err != nil {
			return nil, err
		}
	}
	if len(sysctls) > 0 {
		s.Sysctls = map[string]string{}
		for _, name := range sysctls {
			v, err := c.sys.Get(name)
			if err != nil {
				continue
			}
			s.Sysctls[sysctl.Dotted(sysctl.Normalize(name))] = v
		}
	}
	s.sort()
	return s, nil
}

// Create makes a virtual link described by l: Kind "bridge", "bond",
// "vlan" (Parent is the lower device, VLAN the ID and protocol), "veth"
// (Parent names the peer, made with it) or "dummy", with Name, and MTU
// and MAC when set. Bridge and bond options come from br and bond (nil
// means the kernel's defaults). The link is created down.
func (c *Client) Create(ctx context.Context, l *Link, br *BridgeOptions, bond *BondOptions) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.create(ctx, l, br, bond)
}

// Delete deletes a virtual link (both ends of a veth pair).
func (c *Client) Delete(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.del(ctx, name)
}

// SetUp sets a link administratively up or down.
func (c *Client) SetUp(ctx context.Context, name string, up bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.setUp(ctx, name, up)
}

// SetMaster makes name a port of the bridge or bond master; "" takes it
// out of its master.
func (c *Client) SetMaster(ctx context.Context, name, master string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.setMaster(ctx, name, master)
}

// SetMTU changes a link's MTU.
func (c *Client) SetMTU(ctx context.Context, name string, mtu int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.change(ctx, name, &linkChange{MTU: mtu})
}

// SetMAC changes a link's hardware address.
func (c *Client) SetMAC(ctx context.Context, name string, mac net.HardwareAddr) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.change(ctx, name, &linkChange{MAC: mac})
}

// SetBridge changes the options of a bridge that are set in o.
func (c *Client) SetBridge(ctx context.Context, name string, o *BridgeOptions) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.change(ctx, name, &linkChange{Bridge: o})
}

// SetBond changes the options of a bond that are set in o. The bonding
// driver refuses a new mode while the bond is up or has slaves.
func (c *Client) SetBond(ctx context.Context, name string, o *BondOptions) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.change(ctx, name, &linkChange{Bond: o})
}

// SetLearning sets the learning flag of a bridge port (IFLA_BRPORT_LEARNING,
// as "bridge link set dev NAME learning on|off"). The link must be a port
// already: the kernel refuses port options before it is enslaved.
func (c *Client) SetLearning(ctx context.Context, port string, on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.setLearning(ctx, port, on)
}

// AddBridgeVLAN adds VLAN entries to a port of a VLAN-aware bridge, or to
// the bridge itself when e.Link is the bridge (as "bridge vlan add ...
// self").
func (c *Client) AddBridgeVLAN(ctx context.Context, e VLANEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.vlan(ctx, true, c.k.isBridge(ctx, e.Link), []VLANEntry{e})
}

// DelBridgeVLAN removes VLAN entries.
func (c *Client) DelBridgeVLAN(ctx context.Context, e VLANEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.vlan(ctx, false, c.k.isBridge(ctx, e.Link), []VLANEntry{e})
}

// AddFDB adds (or replaces) a static FDB entry on a bridge port.
func (c *Client) AddFDB(ctx context.Context, e FDBEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.fdbEntry(ctx, true, e)
}

// DelFDB removes an FDB entry.
func (c *Client) DelFDB(ctx context.Context, e FDBEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.fdbEntry(ctx, false, e)
}

// AddAddress assigns an address to a link.
func (c *Client) AddAddress(ctx context.Context, link string, p netip.Prefix) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.address(ctx, true, link, p)
}

// DelAddress removes an address from a link.
func (c *Client) DelAddress(ctx context.Context, link string, p netip.Prefix) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.address(ctx, false, link, p)
}

// AddRoute adds a route to the main table, replacing one with the same
// destination and metric (as "ip route replace").
func (c *Client) AddRoute(ctx context.Context, r Route) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.route(ctx, true, r)
}

// DelRoute removes a route from the main table.
func (c *Client) DelRoute(ctx context.Context, r Route) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k.route(ctx, false, r)
}

// BridgeOptions are bridge settings to apply; nil fields are left as
// they are.
type BridgeOptions struct {
	STP *bool
	// ForwardDelay is in centiseconds.
	ForwardDelay  *int
	VLANFiltering *bool
	DefaultPVID   *int
}

// BondOptions are bond settings to apply; nil fields are left as they
// are.
type BondOptions struct {
	Mode *netcfg.BondMode
	// MIIMon, UpDelay and DownDelay are in milliseconds.
	MIIMon *int
	// XmitHashPolicy is a policy name ("layer3+4").
	XmitHashPolicy *string
	// LACPRate is "slow" or "fast".
	LACPRate *string
	// Primary names the primary slave; "" clears it.
	Primary   *string
	MinLinks  *int
	UpDelay   *int
	DownDelay *int
}
