// Package live applies a network configuration to the running kernel over
// rtnetlink, as "ifreload -a" of ifupdown2 does on a Proxmox VE host, but
// natively, faster, and with a safety net.
//
// # Reading and changing the kernel
//
// A [Client] speaks rtnetlink to one network namespace ([Config] names it
// by path or descriptor; nil means the caller's). [Client.Links] lists
// links with kind, master, state, MTU, MAC and the options of bridges,
// bonds, VLANs and bridge ports; [Client.State] adds addresses, main-table
// routes, static FDB entries and bridge VLAN entries, sorted so that two
// snapshots compare field by field. [Client.Create] makes bridges, bonds,
// VLAN devices, veth pairs and dummies; [Client.SetMaster],
// [Client.SetBridge], [Client.SetBond], [Client.SetLearning],
// [Client.AddBridgeVLAN], [Client.AddFDB], [Client.AddAddress] and
// [Client.AddRoute] change them. Every call takes a context whose
// deadline and cancellation interrupt the request; errors carry the
// kernel's extended acknowledgement message and match the errno with
// errors.Is.
//
// Typed link messages come from github.com/jsimonetti/rtnetlink/v2 on
// github.com/mdlayher/netlink. The library has no message for bridge VLAN
// entries (RTM_SETLINK and RTM_DELLINK on AF_BRIDGE with IFLA_AF_SPEC and
// IFLA_BRIDGE_VLAN_INFO), for the bridge port learning flag (IFLA_PROTINFO
// with IFLA_BRPORT_LEARNING, which the kernel takes only once the link is
// a port) or for FDB entries with a VLAN (its neighbour encoding always
// writes NDA_DST and NDA_IFINDEX); those messages, and the small fixed
// address and route messages, are written here from linux/if_bridge.h,
// linux/neighbour.h and linux/rtnetlink.h. Guest MACs are added as static
// entries (NUD_NOARP: forwarded to the port) as Proxmox VE's "bridge fdb
// append ... master static" does; [FDBEntry.Local] makes a permanent one
// (NUD_PERMANENT), which delivers the frames to the bridge itself.
//
// # Applying a configuration
//
// [Client.Plan] reads the kernel's state and computes, from a
// netcfg.Network, the steps that make it match: only what differs, in
// dependency order (removals first; bonds and bridges before the devices
// built on them; VLANs after their lower devices; enslaving before port
// options; MTUs once ports have joined; links up lower devices first;
// addresses, routes, kernel parameters and post-up commands last). Its
// [Plan] is the dry run. [Client.Apply] runs it; a second Apply of the same
// file finds nothing to do and says so ([Result.NoOp]).
//
// The plan follows ifupdown2: the auto interfaces and what they are built
// on; bridge-stp off unless set; addresses not in the file are removed
// from the interfaces it configures, per address family with a static or
// manual stanza (but IPv6 link-local and dynamic ones); default gateways
// are replaced routes of protocol boot; a dhcp stanza starts dhclient
// with ifupdown2's pid and lease files when its link comes up; bridge
// ports get IPv6 turned off (disable_ipv6), where the kernel has IPv6.
// Open vSwitch interfaces are left to ovs-vsctl and reported in
// [Plan.Notes]. It departs from
// ifupdown2 where that serves the host better: a bridge port that is not
// in bridge-ports is released only when it is a NIC, bond, VLAN or bridge
// (or was a port in [Options.Previous]), never a guest's tap, veth or
// firewall link; post-up and pre-down commands run when their interface
// comes up or goes down, not on every reload (so that iptables rules are
// not added twice); "echo VALUE > /proc/sys/..." and "sysctl -w" lines
// become sysctl steps, set through the sysctl package inside the namespace
// only when the value differs, and restored by a rollback. Other lines run
// through the runner without a shell when their words allow, and through
// /bin/sh -c when they need one, which the step says ([Step.Shell]).
//
// # Safety net
//
// Before applying, the state is snapshotted. When a step fails, the
// snapshot is restored at once: the restore is itself a plan from the
// current state to the snapshot (links created are deleted, options,
// masters, MTUs, MACs, addresses, routes, FDB and VLAN entries and
// sysctls put back), and after it the state is read again and compared.
// [Client.ApplyConfirm] also arms a deadline ([DefaultConfirmWithin], 120
// s): unless [Transaction.Confirm] is called in time, the snapshot is
// restored, so that a change that cuts the host off undoes itself.
// [Client.Commit] does what Proxmox VE's "Apply Configuration" does with
// the staging file of netcfg.Host: it validates and plans interfaces.new,
// commits it, applies it, and restores both the old file and the kernel
// state if the apply fails or is not confirmed.
//
// # ethtool
//
// [Client.NIC] reports driver information (the SIOCETHTOOL ioctl, as
// "ethtool -i"), link mode, speed, duplex and link detection (ethtool
// netlink through github.com/mdlayher/ethtool) and Wake-on-LAN: the modes
// a NIC supports come from the ETHTOOL_GWOL ioctl, since the netlink
// library reports only the enabled ones. [Client.SetWakeOnLAN] and
// [Client.SetLinkMode] change them. Sending magic packets is the netcfg/wol
// package, kept apart so that it has no netlink dependency.
package live
