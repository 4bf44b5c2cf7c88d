package acme_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/acme"
)

// The node's ACME configuration of the bundled fixture tree: its account
// and each domain with the plugin that validates it.
func ExampleClient_Settings() {
	c, err := acme.New(&acme.Config{Root: "../testdata/pve8"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := c.Settings()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("account:", s.Account)
	for _, d := range s.Domains {
		fmt.Println(d.Domain, d.Plugin, d.Type, d.Alias != "")
	}
	// Output:
	// account: default
	// pve1.example.com standalone standalone false
	// pve.example.net nsupdate dns true
}

// Plugin data keeps values whole, spaces included.
func ExampleParseData() {
	vars, err := acme.ParseData("OVH_AK=XXXX\nOVH_AS=two words\n")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vars {
		fmt.Printf("%s=%q\n", v.Key, v.Value)
	}
	// Output:
	// OVH_AK="XXXX"
	// OVH_AS="two words"
}
