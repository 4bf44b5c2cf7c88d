package sysctl_test

import (
	"fmt"

	"github.com/hostadm/hostadm/sysctl"
)

// The admin guide's snippet for disabling IPv6, built into an empty file.
func ExampleFile_Set() {
	f, _ := sysctl.Parse("/etc/sysctl.d/disable-ipv6.conf", nil)
	f.Set("net.ipv6.conf.all.disable_ipv6", "1")
	f.Set("net.ipv6.conf.default.disable_ipv6", "1")
	fmt.Print(string(f.Format()))
	// Output:
	// net.ipv6.conf.all.disable_ipv6 = 1
	// net.ipv6.conf.default.disable_ipv6 = 1
}

// Names with dots in an interface name use slashes, either way round.
func ExampleNormalize() {
	fmt.Println(sysctl.Normalize("net.ipv4.conf.eno1/50.proxy_arp"))
	fmt.Println(sysctl.Dotted("net/ipv4/conf/eno1.50/proxy_arp"))
	// Output:
	// net/ipv4/conf/eno1.50/proxy_arp
	// net.ipv4.conf.eno1/50.proxy_arp
}

// Reading the fixture tree of a Proxmox VE host.
func ExampleSysctl_Get() {
	s, err := sysctl.New(&sysctl.Config{Root: "../testdata/pve8"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	v, err := s.Get("net.ipv4.ip_forward")
	fmt.Println(v, err)
	st, ok, _ := s.Lookup("vm.swappiness")
	fmt.Println(st.Value, ok)
	// Output:
	// 0 <nil>
	//  false
}
