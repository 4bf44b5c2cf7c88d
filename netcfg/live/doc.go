// Package live applies a network configuration to the running kernel
// over netlink.
package live
