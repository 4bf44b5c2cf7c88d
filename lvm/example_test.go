package lvm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hostadm/hostadm/lvm"
)

// Decode the attributes of the installer's thin pool.
func ExampleParseLVAttr() {
	a, err := lvm.ParseLVAttr("twi-a-tz--")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Type, a.Permissions, a.State, a.Target, a.ZeroNewBlocks)
	// Output: thin-pool writeable active thin true
}

// The metadata size Proxmox VE gives thin pools: 1 % of the pool, at
// least 1 GiB, at most 16 GiB.
func ExampleThinPoolMetadataSize() {
	for _, gib := range []uint64{80, 500, 4000} {
		fmt.Printf("%d GiB pool: %d MiB metadata\n", gib, lvm.ThinPoolMetadataSize(gib<<30)>>20)
	}
	// Output:
	// 80 GiB pool: 1024 MiB metadata
	// 500 GiB pool: 5120 MiB metadata
	// 4000 GiB pool: 16384 MiB metadata
}

// Report thin pools that are filling up.
func ExampleClient_LVs() {
	c, err := lvm.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	lvs, err := c.LVs(context.Background(), "pve")
	if err != nil {
		log.Fatal(err)
	}
	for _, lv := range lvs {
		if lv.IsThinPool() && lv.DataPercent != nil && *lv.DataPercent > 80 {
			fmt.Printf("%s is %.0f%% full\n", lv.FullName(), *lv.DataPercent)
		}
	}
}
