package netcfg_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/hostadm/hostadm/netcfg"
)

// Read a file, change one option and add a bridge; only those lines
// change.
func ExampleParse() {
	src := "auto lo\niface lo inet loopback\n\nauto vmbr0\niface vmbr0 inet static\n        address  192.168.10.2/24\n        gateway  192.168.10.1\n        bridge-ports eno1\n"
	f, err := netcfg.Parse("/etc/network/interfaces", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	f.Stanza("vmbr0").Set("address", "192.168.10.3/24")
	br := f.AddStanza("vmbr1", "inet", "manual", true)
	br.Add("bridge-ports", "none")
	fmt.Print(string(f.Format()))
	// Output:
	// auto lo
	// iface lo inet loopback
	//
	// auto vmbr0
	// iface vmbr0 inet static
	//         address  192.168.10.3/24
	//         gateway  192.168.10.1
	//         bridge-ports eno1
	//
	// auto vmbr1
	// iface vmbr1 inet manual
	// 	bridge-ports none
}

// The typed model of the admin guide's bond-as-bridge-port example.
func ExampleNewNetwork() {
	data, _ := os.ReadFile("testdata/spec/bond-bridge.interfaces")
	f, _ := netcfg.Parse("interfaces", data)
	n := netcfg.NewNetwork(f)
	bond := n.Interface("bond0")
	fmt.Println(bond.Kind, bond.Bond.Slaves, bond.Bond.Mode, *bond.Bond.MIIMon, bond.Bond.XmitHashPolicy)
	br := n.Interface("vmbr0")
	fmt.Println(br.Kind, br.Auto, br.Addresses, br.Gateways, br.Bridge.Ports)
	order, _ := n.Ordered()
	for _, i := range order {
		fmt.Print(i.Name, " ")
	}
	fmt.Println()
	// Output:
	// bond [eno1 eno2] 802.3ad 100 layer2+3
	// bridge true [10.10.10.2/24] [10.10.10.1] [bond0]
	// lo eno1 eno2 bond0 vmbr0
}

// Validation findings carry file:line:col.
func ExampleCheck() {
	src := "iface eno1 inet manual\nauto eno1\nauto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.2/24\n\tgateway 10.1.0.1\n\tbridge-ports eno1\n"
	f, _ := netcfg.Parse("/etc/network/interfaces", []byte(src))
	for _, fd := range netcfg.Check(f) {
		fmt.Println(fd.Severity, fd)
	}
	// Output:
	// error /etc/network/interfaces:2:1: auto eno1 comes after the stanza at line 1: ifupdown2 ignores it and does not bring eno1 up (move the line above the stanza)
	// error /etc/network/interfaces:6:2: gateway 10.1.0.1 of vmbr0 lies outside its networks 10.0.0.0/24
}

// The default bridge of a fresh installation, as the admin guide prints
// it.
func ExampleDefaultBridge() {
	f := netcfg.DefaultBridge(netcfg.BridgeSetup{
		Ports:   []string{"eno1"},
		Address: netip.MustParsePrefix("192.168.10.2/24"),
		Gateway: netip.MustParseAddr("192.168.10.1"),
	})
	fmt.Print(string(f.Format()))
	// Output:
	// auto lo
	// iface lo inet loopback
	//
	// iface eno1 inet manual
	//
	// auto vmbr0
	// iface vmbr0 inet static
	//         address 192.168.10.2/24
	//         gateway 192.168.10.1
	//         bridge-ports eno1
	//         bridge-stp off
	//         bridge-fd 0
}

// What ifupdown2's "ifquery -a -o json" prints for a file.
func ExampleQuery() {
	f, _ := netcfg.Parse("interfaces", []byte("auto lo\niface lo inet loopback\n\nauto eno1\niface eno1 inet dhcp\n\tpost-up echo up\n\tpost-up echo $IFACE\n"))
	q, _ := netcfg.Query(f)
	fmt.Print(string(netcfg.MarshalQuery(q)))
	// Output:
	// [
	//     {
	//         "name": "lo",
	//         "addr_method": "loopback",
	//         "addr_family": "inet",
	//         "auto": true,
	//         "config": {}
	//     },
	//     {
	//         "name": "eno1",
	//         "addr_method": "dhcp",
	//         "addr_family": "inet",
	//         "auto": true,
	//         "config": {
	//             "post-up": [
	//                 "echo up",
	//                 "echo eno1"
	//             ]
	//         }
	//     }
	// ]
}

// Systemd predictable names taken apart.
func ExampleParsePredictableName() {
	p, _ := netcfg.ParsePredictableName("enp3s0f1")
	fmt.Println(p.Scheme, p.Bus, p.Slot, p.Function)
	fmt.Println(netcfg.ParseName("vmbr0v5").Parent, netcfg.ParseName("bond1.30").VLAN)
	// Output:
	// path 3 0 1
	// vmbr0 30
}

// The admin guide's link file that names a NIC by its MAC address.
func ExampleNewPinLink() {
	lf, err := netcfg.NewPinLink([]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, "enwan0")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := netcfg.PinPath(10, "enwan0")
	fmt.Println(p)
	fmt.Print(string(lf.Format()))
	// Output:
	// /etc/systemd/network/10-enwan0.link
	// [Match]
	// MACAddress=aa:bb:cc:dd:ee:ff
	//
	// [Link]
	// Name=enwan0
}
