// Package wol wakes machines with Wake-on-LAN magic packets, as
// "pvenode wakeonlan" does for a cluster node: a UDP datagram to port 9 of
// the broadcast address holding six 0xff bytes and the target's MAC
// sixteen times, optionally followed by a SecureOn password.
//
// [ParseMAC] reads a MAC address in any common notation (colons, dashes,
// Cisco dots, bare hex, blanks), so that callers can pass on what a user
// or a node configuration wrote. [Send] sends the packet; its [Config]
// selects the broadcast address, the port and the interface to bind to
// (the node configuration's broadcast-address and bind-interface).
//
// The package does no netlink and has no dependencies beyond the standard
// library, so that the node package and small tools can use it without
// the rest of the network code; binding to an interface uses
// SO_BINDTODEVICE and is Linux only.
package wol
