package timesync_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/timesync"
)

func ExampleChronyConf_ReplaceSources() {
	conf, err := timesync.ParseChronyConf("chrony.conf", []byte("# Use Debian vendor zone.\npool 2.debian.pool.ntp.org iburst\n\nmakestep 1 3\n"))
	if err != nil {
		log.Fatal(err)
	}
	var srcs []timesync.Source
	for _, host := range []string{"ntp1.example.com", "ntp2.example.com"} {
		srcs = append(srcs, timesync.Source{Type: timesync.Server, Address: host, Options: []timesync.Option{{Name: "iburst"}}})
	}
	if err := conf.ReplaceSources(srcs); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(conf.Format()))
	// Output:
	// # Use Debian vendor zone.
	// server ntp1.example.com iburst
	// server ntp2.example.com iburst
	//
	// makestep 1 3
}

func ExampleClassifyMessage() {
	kind, addr, name := timesync.ClassifyMessage("Selected source 10.0.0.1 (ntp1.example.com)")
	fmt.Println(kind, addr, name)
	// Output: selected 10.0.0.1 ntp1.example.com
}
