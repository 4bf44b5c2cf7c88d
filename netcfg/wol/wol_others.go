//go:build !linux

package wol

import (
	"errors"
	"fmt"
	"syscall"
)

// control sets SO_BROADCAST; binding to an interface is Linux only.
func control(iface string, v4 bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if iface != "" {
			return fmt.Errorf("bind to interface %s: %w", iface, errors.ErrUnsupported)
		}
		if !v4 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = setBroadcast(fd)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
