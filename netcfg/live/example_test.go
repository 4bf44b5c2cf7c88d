package live_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/netcfg/live"
)

// Apply /etc/network/interfaces like "ifreload -a", undoing it unless it
// is confirmed within two minutes.
func ExampleClient_ApplyConfirm() {
	ctx := context.Background()
	data, err := os.ReadFile(netcfg.DefaultPath)
	if err != nil {
		log.Fatal(err)
	}
	f, err := netcfg.Parse(netcfg.DefaultPath, data)
	if err != nil {
		log.Fatal(err)
	}
	c, err := live.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	tx, err := c.ApplyConfirm(ctx, netcfg.NewNetwork(f), nil, 2*time.Minute)
	if err != nil {
		log.Fatal(err) // the previous state is back
	}
	fmt.Print(tx.Result.Plan)
	// ... check that the host is still reachable, then:
	if err := tx.Confirm(); err != nil {
		log.Fatal(err)
	}
}

// A dry run in another network namespace.
func ExampleClient_Plan() {
	f, _ := netcfg.Parse("interfaces", []byte("auto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.1/24\n\tbridge-ports none\n"))
	c, err := live.New(&live.Config{NetNS: "/run/netns/test"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	p, err := c.Plan(context.Background(), netcfg.NewNetwork(f), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(p)
}

func ExampleParseWoLModes() {
	m, _ := live.ParseWoLModes("pg")
	fmt.Println(m&live.WoLMagic != 0, m)
	// Output: true pg
}
