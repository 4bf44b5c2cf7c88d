package wol_test

import (
	"fmt"

	"github.com/hostadm/hostadm/netcfg/wol"
)

func ExampleParseMAC() {
	for _, s := range []string{"BC-24-11-0A-0B-0C", "bc24.110a.0b0c", "bc24110a0b0c"} {
		mac, err := wol.ParseMAC(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(mac)
	}
	// Output:
	// bc:24:11:0a:0b:0c
	// bc:24:11:0a:0b:0c
	// bc:24:11:0a:0b:0c
}

func ExampleMagicPacket() {
	mac, _ := wol.ParseMAC("bc:24:11:0a:0b:0c")
	p, _ := wol.MagicPacket(mac, nil)
	fmt.Println(len(p), p[:8])
	// Output: 102 [255 255 255 255 255 255 188 36]
}
