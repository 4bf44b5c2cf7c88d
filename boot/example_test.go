package boot_test

import (
	"fmt"

	"github.com/hostadm/hostadm/boot"
)

// Pinning the network interface naming scheme, as the admin guide
// suggests, changes only that parameter of the line.
func ExampleCmdline_Set() {
	c := boot.ParseCmdline("root=ZFS=rpool/ROOT/pve-1 boot=zfs  quiet")
	c.Set(boot.ParseParam("net.naming-scheme=v252"))
	c.Set(boot.ParseParam("dis_ucode_ldr"))
	c.Remove("quiet")
	fmt.Println(c)
	// Output: root=ZFS=rpool/ROOT/pve-1 boot=zfs net.naming-scheme=v252 dis_ucode_ldr
}

// The loader entry proxmox-boot-tool writes for a kernel.
func ExampleLoaderEntry() {
	fmt.Print(string(boot.LoaderEntry("Proxmox Virtual Environment", "6.8.12-4-pve", "root=ZFS=rpool/ROOT/pve-1 boot=zfs")))
	// Output:
	// title    Proxmox Virtual Environment
	// version  6.8.12-4-pve
	// options  root=ZFS=rpool/ROOT/pve-1 boot=zfs
	// linux    /EFI/proxmox/6.8.12-4-pve/vmlinuz-6.8.12-4-pve
	// initrd   /EFI/proxmox/6.8.12-4-pve/initrd.img-6.8.12-4-pve
}
