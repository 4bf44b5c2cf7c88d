// Package netcfg reads, validates and writes a host's network
// configuration: the ifupdown2 dialect of /etc/network/interfaces
// (lossless, with a typed model of bridges, bonds and VLANs), the
// interfaces.new staging file that Proxmox VE applies, systemd predictable
// interface names and .link files, and builders for the standard setups.
package netcfg
