//go:build !linux

package acme

// portHolder cannot tell who holds a port on this system.
func portHolder(port string) string { return "" }
