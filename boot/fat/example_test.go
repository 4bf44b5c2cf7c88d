package fat_test

import (
	"fmt"
	"os"

	"github.com/hostadm/hostadm/boot/fat"
)

// Format an ESP image and write a file without mounting it.
func ExampleFormat() {
	f, err := os.CreateTemp("", "esp-*.img")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	const size = 256 << 20
	f.Truncate(size)
	if err := fat.Format(f, size, &fat.FormatOptions{VolumeID: 0x3A7C1F42, HiddenSectors: 2048}); err != nil {
		panic(err)
	}
	esp, err := fat.Open(f, size, 2048)
	if err != nil {
		panic(err)
	}
	esp.WriteFile("/loader/loader.conf", []byte("timeout 3\ndefault proxmox-*\n"))
	fmt.Println(esp.UUID())
	if err := esp.Close(); err != nil { // corrects what go-diskfs leaves
		panic(err)
	}
	rep, _ := fat.Check(f, 2048)
	fmt.Println(rep.Clean())
	// Output:
	// 3A7C-1F42
	// true
}
