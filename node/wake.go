package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/hostadm/hostadm/netcfg/wol"
)

var (
	// ErrNoWakeOnLAN is returned for a node without a wakeonlan
	// property.
	ErrNoWakeOnLAN = errors.New("node has no wakeonlan property")
	// ErrLocalNode is returned when asked to wake the node itself.
	ErrLocalNode = errors.New("cannot wake the local node")
)

// Wake wakes a sleeping cluster node as pvenode wakeonlan does: it reads
// the node's wakeonlan property and broadcasts the magic packet for its
// MAC address on UDP port 9, from the property's bind-interface and to
// its broadcast-address when set. It returns the property used. Waking
// the local node fails with ErrLocalNode.
func (c *Client) Wake(ctx context.Context, node string) (WakeOnLAN, error) {
	if local, err := c.LocalNode(); err == nil && local == node {
		return WakeOnLAN{}, fmt.Errorf("%w %q", ErrLocalNode, node)
	}
	cf, _, err := c.NodeConfig(node)
	if err != nil {
		return WakeOnLAN{}, err
	}
	w, ok, err := cf.WakeOnLAN()
	if err != nil {
		return WakeOnLAN{}, err
	}
	if !ok {
		return WakeOnLAN{}, fmt.Errorf("%s: %w (pvenode config set -wakeonlan MAC)", node, ErrNoWakeOnLAN)
	}
	cfg := &wol.Config{Interface: w.BindInterface, Port: c.wolPort}
	if w.BroadcastAddress != nil {
		addr, ok := netip.AddrFromSlice(w.BroadcastAddress.To4())
		if !ok {
			return w, fmt.Errorf("%w: wakeonlan: bad broadcast address", ErrInvalid)
		}
		cfg.Broadcast = addr
	}
	return w, wol.Send(ctx, w.MAC, cfg)
}
