package efivar_test

import (
	"fmt"

	"github.com/hostadm/hostadm/boot/efivar"
)

// The boot entry GRUB's installer creates for the second partition of an
// installer-partitioned disk, as efibootmgr -v shows it.
func ExampleNewBootEntry() {
	hd, err := efivar.HardDriveNode(2, 0x800, 0x100000, "6f1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b")
	if err != nil {
		panic(err)
	}
	o := &efivar.LoadOption{Attributes: efivar.LoadOptionActive, Description: "proxmox",
		Path: efivar.DevicePath{hd, efivar.FileNode(`\EFI\proxmox\shimx64.efi`)}}
	// Encoding and decoding again gives the same entry.
	back, err := efivar.ParseLoadOption(o.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println(efivar.NewBootEntry(9, back))
	// Output: Boot0009* proxmox	HD(2,GPT,6f1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b,0x800,0x100000)/File(\EFI\proxmox\shimx64.efi)
}
