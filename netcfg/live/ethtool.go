package live

import (
	"context"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/netcfg"
)

// WoLModes is a set of Wake-on-LAN triggers, with ethtool's bits and
// letters.
type WoLModes uint32

// Wake-on-LAN triggers (linux/ethtool.h WAKE_*).
const (
	WoLPHY         WoLModes = 1 << 0 // p: PHY activity
	WoLUnicast     WoLModes = 1 << 1 // u: unicast frames
	WoLMulticast   WoLModes = 1 << 2 // m: multicast frames
	WoLBroadcast   WoLModes = 1 << 3 // b: broadcast frames
	WoLARP         WoLModes = 1 << 4 // a: ARP
	WoLMagic       WoLModes = 1 << 5 // g: magic packet
	WoLMagicSecure WoLModes = 1 << 6 // s: magic packet with SecureOn password
	WoLFilter      WoLModes = 1 << 7 // f: network filters
)

const wolLetters = "pumbagsf"

// String returns the modes in ethtool's letters ("g", "pumbg"), "d" for
// none (disabled).
func (m WoLModes) String() string {
	if m == 0 {
		return "d"
	}
	var b strings.Builder
	for i := range len(wolLetters) {
		if m&(1<<i) != 0 {
			b.WriteByte(wolLetters[i])
		}
	}
	return b.String()
}

// MarshalText encodes the modes as letters.
func (m WoLModes) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseWoLModes reads ethtool's letters ("g", "pumbg", "d" for none), as
// "ethtool -s DEV wol g" takes them.
func ParseWoLModes(s string) (WoLModes, error) {
	if s == "d" {
		return 0, nil
	}
	var m WoLModes
	for _, r := range s {
		i := strings.IndexRune(wolLetters, r)
		if i < 0 {
			return 0, fmt.Errorf("%w: Wake-on-LAN mode %q: want letters of %q or d", netcfg.ErrValue, s, wolLetters)
		}
		m |= 1 << i
	}
	if s == "" {
		return 0, fmt.Errorf("%w: empty Wake-on-LAN mode", netcfg.ErrValue)
	}
	return m, nil
}

// NIC is what ethtool reports about an Ethernet device. Fields the driver
// does not report are zero.
type NIC struct {
	Name string `json:"name"`
	// Driver, DriverVersion, Firmware and BusInfo are the driver
	// information ("ethtool -i").
	Driver        string `json:"driver"`
	DriverVersion string `json:"driver_version,omitempty"`
	Firmware      string `json:"firmware,omitempty"`
	BusInfo       string `json:"bus_info,omitempty"`
	// Speed is in Mb/s, 0 when unknown (no link).
	Speed int `json:"speed,omitempty"`
	// Duplex is "full", "half" or "" when unknown.
	Duplex  string `json:"duplex,omitempty"`
	Autoneg bool   `json:"autoneg"`
	// Advertised are the link modes the device advertises
	// ("1000baseT/Full").
	Advertised []string `json:"advertised,omitempty"`
	// Link reports whether a link is detected.
	Link bool `json:"link"`
	// WoLSupported and WoL are the Wake-on-LAN triggers the device can
	// use and those enabled; WoLKnown is false when the driver does not
	// support Wake-on-LAN queries.
	WoLSupported WoLModes `json:"wol_supported"`
	WoL          WoLModes `json:"wol"`
	WoLKnown     bool     `json:"wol_known"`
}

// NIC returns ethtool's view of a device: driver information, link mode
// and speed, link detection and Wake-on-LAN. Parts the driver does not
// support are left zero; querying Wake-on-LAN needs CAP_NET_ADMIN.
func (c *Client) NIC(ctx context.Context, name string) (*NIC, error) {
	return c.nic(ctx, name)
}

// SetWakeOnLAN enables exactly the given Wake-on-LAN triggers ("ethtool -s
// DEV wol g"); 0 disables Wake-on-LAN.
func (c *Client) SetWakeOnLAN(ctx context.Context, name string, modes WoLModes) error {
	return c.setWoL(ctx, name, modes)
}

// LinkModeChange is a change of link settings; nil fields stay.
type LinkModeChange struct {
	// Speed in Mb/s, with Duplex "full" or "half", forces the mode when
	// Autoneg is false.
	Speed   *int
	Duplex  *string
	Autoneg *bool
}

// SetLinkMode changes speed, duplex and auto-negotiation ("ethtool -s DEV
// speed 1000 duplex full autoneg off").
func (c *Client) SetLinkMode(ctx context.Context, name string, ch LinkModeChange) error {
	return c.setLinkMode(ctx, name, ch)
}
