package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"

	"github.com/hostadm/hostadm/netcfg/wol"
)

func init() { register(wolCmd()) }

func wolCmd() *Command {
	var bcast, iface string
	var port int
	return &Command{
		Name: "wol", Args: "MAC|NODE", Summary: "wake a machine or cluster node with a Wake-on-LAN magic packet",
		Help: `Sends the magic packet for MAC (aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF,
aabb.ccdd.eeff or aabbccddeeff) to UDP port 9 of 255.255.255.255, as
"pvenode wakeonlan" does. --broadcast and --interface correspond to the
node configuration's broadcast-address and bind-interface.

With a NODE name instead of a MAC it is "pvenode wakeonlan NODE": the MAC,
interface and broadcast address come from the node's wakeonlan property
(/etc/pve/nodes/NODE/config); only --port is used.

Text output: "sent magic packet for MAC to ADDR:PORT[ via IFACE]".
JSON output: {"mac", "broadcast", "port", "interface"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&bcast, "broadcast", "255.255.255.255", "send to `ADDRESS`")
			fl.IntVar(&port, "port", wol.DefaultPort, "UDP `PORT`")
			fl.StringVar(&iface, "interface", "", "bind to network interface `NAME`")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("wol: want one MAC address")
			}
			mac, err := wol.ParseMAC(args[0])
			if err != nil {
				return wakeNode(ctx, env, args[0], port, err)
			}
			addr, err := netip.ParseAddr(bcast)
			if err != nil {
				return usagef("wol: --broadcast %q is not an IP address", bcast)
			}
			if port < 1 || port > 65535 {
				return usagef("wol: --port %d out of range", port)
			}
			if err := wol.Send(ctx, mac, &wol.Config{Broadcast: addr, Port: port, Interface: iface}); err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]any{"mac": mac.String(), "broadcast": addr.String(), "port": port, "interface": iface})
			}
			via := ""
			if iface != "" {
				via = " via " + iface
			}
			_, err = fmt.Fprintf(env.Stdout, "sent magic packet for %s to %s%s\n", mac, netip.AddrPortFrom(addr, uint16(port)), via)
			return err
		},
	}
}
