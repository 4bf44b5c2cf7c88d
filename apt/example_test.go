package apt_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/apt"
)

func ExampleCompareVersions() {
	for _, p := range [][2]string{
		{"8.2.4", "8.2.10"},
		{"3.20230808.1~deb12u1", "3.20230808.1"},
		{"1:0.9", "2.0"},
	} {
		n, err := apt.CompareVersions(p[0], p[1])
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p[0], []string{"<", "=", ">"}[n+1], p[1])
	}
	_, err := apt.CompareVersions("v1.0", "1.0")
	fmt.Println(err)
	// Output:
	// 8.2.4 < 8.2.10
	// 3.20230808.1~deb12u1 < 3.20230808.1
	// 1:0.9 > 2.0
	// version "v1.0": version number does not start with digit
}

// Add the Debian Firmware Repository's component to the Debian lines of a
// sources.list, leaving every other byte as it was.
func ExampleSourceFile_AddComponent() {
	f, err := apt.ParseSourceFile("/etc/apt/sources.list", []byte(`deb http://deb.debian.org/debian bookworm main contrib
deb http://deb.debian.org/debian bookworm-updates main contrib

# security updates
deb http://security.debian.org/debian-security bookworm-security main contrib
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range f.Entries {
		if err := f.AddComponent(e, apt.NonFreeFirmware); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Print(string(f.Format()))
	// Output:
	// deb http://deb.debian.org/debian bookworm main contrib non-free-firmware
	// deb http://deb.debian.org/debian bookworm-updates main contrib non-free-firmware
	//
	// # security updates
	// deb http://security.debian.org/debian-security bookworm-security main contrib non-free-firmware
}

// List every available version of a package with its origin, as
// "apt list -a intel-microcode" does, on the bundled fixture tree.
func ExampleClient_Versions() {
	c, err := apt.New(&apt.Config{Root: "../testdata/pve8"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	vs, err := c.Versions("intel-microcode")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vs {
		fmt.Printf("%s %s %d installed=%v candidate=%v\n", v.Archives(), v.Version, v.Priority, v.Installed, v.Candidate)
	}
	held, _ := c.Held("intel-microcode")
	fmt.Println("held:", held)
	// Output:
	// oldstable-security 3.20250512.1~deb12u1 500 installed=false candidate=true
	// oldstable 3.20240910.1~deb12u1 500 installed=false candidate=false
	// now 3.20230808.1~deb12u1 100 installed=true candidate=false
	// held: true
}

func ExampleClient_Upgradable() {
	c, err := apt.New(&apt.Config{Root: "../testdata/pve8"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ups, err := c.Upgradable()
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range ups[:3] {
		fmt.Printf("%s %s -> %s from %v\n", u.Name, u.Installed, u.Candidate, u.Archives)
	}
	// Output:
	// intel-microcode 3.20230808.1~deb12u1 -> 3.20250512.1~deb12u1 from [oldstable-security]
	// libpve-common-perl 8.2.2 -> 8.2.9 from [stable]
	// libssl3 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2 from [oldstable-security]
}
