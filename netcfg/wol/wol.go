package wol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is the discard port magic packets go to.
const DefaultPort = 9

// ErrMAC marks a string that is not a usable MAC address.
var ErrMAC = errors.New("not a MAC address")

// ParseMAC reads a 6-byte MAC address written with colons
// (aa:bb:cc:dd:ee:ff, also with one-digit groups as ether-wake takes
// them), dashes (AA-BB-CC-DD-EE-FF), Cisco dots (aabb.ccdd.eeff), blanks
// or no separator at all (aabbccddeeff). Broadcast, multicast and all-zero
// addresses are refused: no NIC has them. Errors wrap ErrMAC.
func ParseMAC(s string) (net.HardwareAddr, error) {
	t := strings.TrimSpace(s)
	bad := func(why string) error { return fmt.Errorf("%w: %q: %s", ErrMAC, s, why) }
	var groups []string
	switch {
	case strings.Count(t, ".") == 2 && !strings.ContainsAny(t, ":- "):
		groups = strings.Split(t, ".")
		for _, g := range groups {
			if len(g) != 4 {
				return nil, bad("dotted form needs three groups of four hex digits")
			}
		}
		t = strings.Join(groups, "")
		groups = nil
	case strings.ContainsAny(t, ":- "):
		groups = strings.FieldsFunc(t, func(r rune) bool { return r == ':' || r == '-' || r == ' ' })
		if len(groups) != 6 || strings.Count(t, ":")+strings.Count(t, "-") > 5 {
			return nil, bad("want six groups")
		}
	}
	mac := make(net.HardwareAddr, 6)
	if groups != nil {
		for i, g := range groups {
			if len(g) < 1 || len(g) > 2 {
				return nil, bad("a group has " + strconv.Itoa(len(g)) + " digits")
			}
			v, err := strconv.ParseUint(g, 16, 8)
			if err != nil {
				return nil, bad("not hexadecimal")
			}
			mac[i] = byte(v)
		}
	} else {
		if len(t) != 12 {
			return nil, bad("want 12 hex digits")
		}
		for i := range 6 {
			v, err := strconv.ParseUint(t[2*i:2*i+2], 16, 8)
			if err != nil {
				return nil, bad("not hexadecimal")
			}
			mac[i] = byte(v)
		}
	}
	switch {
	case mac[0]&1 != 0:
		return nil, bad("a multicast or broadcast address")
	case string(mac) == "\x00\x00\x00\x00\x00\x00":
		return nil, bad("the all-zero address")
	}
	return mac, nil
}

// MagicPacket returns the payload that wakes mac: six 0xff bytes, the MAC
// sixteen times, and the SecureOn password when one is given (4 or 6
// bytes).
func MagicPacket(mac net.HardwareAddr, password []byte) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("%w: %d bytes, want 6", ErrMAC, len(mac))
	}
	if n := len(password); n != 0 && n != 4 && n != 6 {
		return nil, fmt.Errorf("SecureOn password of %d bytes, want 4 or 6", n)
	}
	b := make([]byte, 0, 6+16*6+len(password))
	for range 6 {
		b = append(b, 0xff)
	}
	for range 16 {
		b = append(b, mac...)
	}
	return append(b, password...), nil
}

// Config says where a magic packet goes. The zero value sends to
// 255.255.255.255 port 9 through the interface the routing table picks.
type Config struct {
	// Broadcast is the destination address (a subnet's broadcast address
	// such as 192.168.1.255, or a unicast address through a router that
	// forwards directed broadcasts); the zero value means
	// 255.255.255.255.
	Broadcast netip.Addr
	// Port is the UDP port; 0 means DefaultPort (9). Port 7 (echo) is the
	// other customary choice.
	Port int
	// Interface binds the socket to a network interface, so that the
	// limited broadcast leaves through it; "" means none. Linux only:
	// elsewhere Send returns an error wrapping errors.ErrUnsupported.
	Interface string
	// Password is the SecureOn password (4 or 6 bytes) that NICs with
	// the MagicSecure mode require; nil for none.
	Password []byte
}

// Send sends the magic packet for mac. It needs no privileges unless the
// port is below 1024 on the receiving side (sending is unprivileged) or
// Interface is set (SO_BINDTODEVICE needs CAP_NET_RAW on older kernels).
func Send(ctx context.Context, mac net.HardwareAddr, cfg *Config) error {
	if cfg == nil {
		cfg = &Config{}
	}
	pkt, err := MagicPacket(mac, cfg.Password)
	if err != nil {
		return err
	}
	dst := cfg.Broadcast
	if !dst.IsValid() {
		dst = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort
	}
	if port < 1 || port > 65535 {
		return fmt.Errorf("wake-on-lan: port %d out of range", port)
	}
	network := "udp4"
	if dst.Is6() && !dst.Is4In6() {
		network = "udp6"
	}
	lc := net.ListenConfig{Control: control(cfg.Interface, network == "udp4")}
	conn, err := lc.ListenPacket(ctx, network, ":0")
	if err != nil {
		return fmt.Errorf("wake-on-lan: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetWriteDeadline(dl)
	}
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst.Unmap(), uint16(port)))
	if _, err := conn.WriteTo(pkt, to); err != nil {
		return fmt.Errorf("wake-on-lan: send to %s: %w", to, err)
	}
	return nil
}
