package node_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/node"
)

func ExampleConfigFile_SetACMEDomain() {
	cf, err := node.ParseConfigFile("config", []byte("#rack 3\nacme: domains=pve1.example.com\nwakeonlan: 52:54:00:12:34:56\n"))
	if err != nil {
		log.Fatal(err)
	}
	if err := cf.SetACMEDomain(0, node.ACMEDomain{Domain: "PVE.Example.NET", Plugin: "ovh"}); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(cf.Format()))
	// Output:
	// #rack 3
	// acme: domains=pve1.example.com
	// acmedomain0: pve.example.net,plugin=ovh
	// wakeonlan: 52:54:00:12:34:56
}
