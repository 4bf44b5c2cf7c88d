package node

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/propstr"
)

// MaxOnbootDelay is the largest startall-onboot-delay Proxmox VE accepts.
const MaxOnbootDelay = 300 * time.Second

// WakeOnLAN is the node's "wakeonlan" property: the MAC address the
// magic packet wakes, and optionally the interface to send it from and
// the broadcast address to send it to.
type WakeOnLAN struct {
	MAC net.HardwareAddr `json:"mac"`
	// BindInterface is the interface the packet leaves from; empty
	// means the routing table decides.
	BindInterface string `json:"bind_interface,omitempty"`
	// BroadcastAddress is the IPv4 broadcast address; nil means
	// 255.255.255.255.
	BroadcastAddress net.IP `json:"broadcast_address,omitempty"`
}

// ParseWakeOnLAN parses a wakeonlan property value:
// "[mac=]MAC[,bind-interface=IFACE][,broadcast-address=IPv4]".
func ParseWakeOnLAN(v string) (WakeOnLAN, error) {
	p, err := propstr.Parse(v, "mac")
	if err != nil {
		return WakeOnLAN{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var w WakeOnLAN
	for _, k := range p.Keys() {
		val, _ := p.Get(k)
		switch k {
		case "mac":
			mac, err := net.ParseMAC(val)
			if err != nil || len(mac) != 6 {
				return WakeOnLAN{}, fmt.Errorf("%w: %q is not a MAC address", ErrInvalid, val)
			}
			w.MAC = mac
		case "bind-interface":
			if val == "" || len(val) > 15 || strings.ContainsAny(val, "/ :") {
				return WakeOnLAN{}, fmt.Errorf("%w: bad interface name %q", ErrInvalid, val)
			}
			w.BindInterface = val
		case "broadcast-address":
			ip := net.ParseIP(val).To4()
			if ip == nil {
				return WakeOnLAN{}, fmt.Errorf("%w: %q is not an IPv4 address", ErrInvalid, val)
			}
			w.BroadcastAddress = ip
		default:
			return WakeOnLAN{}, fmt.Errorf("%w: unknown key %q", ErrInvalid, k)
		}
	}
	if w.MAC == nil {
		return WakeOnLAN{}, fmt.Errorf("%w: missing MAC address", ErrInvalid)
	}
	return w, nil
}

// String formats the property value as Proxmox VE writes it.
func (w WakeOnLAN) String() string {
	s := strings.ToUpper(w.MAC.String())
	if w.BindInterface != "" {
		s += ",bind-interface=" + w.BindInterface
	}
	if w.BroadcastAddress != nil {
		s += ",broadcast-address=" + w.BroadcastAddress.String()
	}
	return s
}

// WakeOnLAN returns the "wakeonlan" property; ok is false when it is
// missing.
func (c *ConfigFile) WakeOnLAN() (w WakeOnLAN, ok bool, err error) {
	v, ok := c.Get("wakeonlan")
	if !ok {
		return WakeOnLAN{}, false, nil
	}
	if w, err = ParseWakeOnLAN(v); err != nil {
		return WakeOnLAN{}, true, c.valueErr("wakeonlan", err)
	}
	return w, true, nil
}

// SetWakeOnLAN sets the "wakeonlan" property (pvenode config set
// -wakeonlan MAC). Keys already in the file keep their place and
// spelling when their value is unchanged.
func (c *ConfigFile) SetWakeOnLAN(w WakeOnLAN) error {
	if len(w.MAC) != 6 {
		return fmt.Errorf("%w: wakeonlan: want a 6-byte MAC address", ErrInvalid)
	}
	if w.BroadcastAddress != nil && w.BroadcastAddress.To4() == nil {
		return fmt.Errorf("%w: wakeonlan: broadcast address must be IPv4", ErrInvalid)
	}
	if cur, ok, err := c.WakeOnLAN(); ok && err == nil && cur.String() == w.String() {
		return nil
	}
	if _, err := ParseWakeOnLAN(w.String()); err != nil {
		return err
	}
	return c.Set("wakeonlan", w.String())
}

// OnbootDelay returns the "startall-onboot-delay" property: the time
// between the node's boot and the start of the first guest marked to
// start on boot. A missing property means 0.
func (c *ConfigFile) OnbootDelay() (time.Duration, error) {
	v, ok := c.Get("startall-onboot-delay")
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || time.Duration(n)*time.Second > MaxOnbootDelay {
		return 0, c.valueErr("startall-onboot-delay", fmt.Errorf("%w: %q is not a number of seconds from 0 to 300", ErrInvalid, v))
	}
	return time.Duration(n) * time.Second, nil
}

// SetOnbootDelay sets "startall-onboot-delay" in whole seconds (0 to
// 300); zero removes the property.
func (c *ConfigFile) SetOnbootDelay(d time.Duration) error {
	if d < 0 || d > MaxOnbootDelay || d%time.Second != 0 {
		return fmt.Errorf("%w: startall-onboot-delay: want whole seconds from 0 to 300, got %v", ErrInvalid, d)
	}
	if d == 0 {
		c.Delete("startall-onboot-delay")
		return nil
	}
	return c.Set("startall-onboot-delay", strconv.Itoa(int(d/time.Second)))
}
