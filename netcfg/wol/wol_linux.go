package wol

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// control sets SO_BROADCAST (for IPv4) and, with an interface name,
// SO_BINDTODEVICE on the socket before it is bound.
func control(iface string, v4 bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if v4 {
				if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
					serr = fmt.Errorf("SO_BROADCAST: %w", serr)
					return
				}
			}
			if iface != "" {
				if serr = unix.BindToDevice(int(fd), iface); serr != nil {
					serr = fmt.Errorf("bind to interface %s: %w", iface, serr)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
