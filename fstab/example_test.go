package fstab_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/fstab"
)

// Enable zstd compression on the btrfs root, as the admin guide shows:
// only the edited line changes.
func ExampleFile_Lookup() {
	f, err := fstab.Parse("/etc/fstab", []byte(
		"# <file system> <mount point> <type> <options> <dump> <pass>\n"+
			"UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 / btrfs defaults 0 1\n"+
			"proc /proc proc defaults 0 0\n"))
	if err != nil {
		log.Fatal(err)
	}
	root := f.Lookup("/")
	root.Options.Set("compress", "zstd")
	fmt.Print(string(f.Format()))
	// Output:
	// # <file system> <mount point> <type> <options> <dump> <pass>
	// UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 / btrfs defaults,compress=zstd 0 1
	// proc /proc proc defaults 0 0
}

// Add a file system by UUID, the way the admin guide recommends.
func ExampleFile_Add() {
	f, _ := fstab.Parse("/etc/fstab", nil)
	f.AddComment("using the UUID from the mkfs.btrfs output is highly recommended")
	_, err := f.Add(fstab.Entry{
		Source:     fstab.SourceUUID("e2c0c3ff-2114-4f54-b767-3a203e49f6f3"),
		MountPoint: "/my-storage",
		Type:       "btrfs",
		Options:    fstab.Options{"defaults"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(f.Format()))
	// Output:
	// # using the UUID from the mkfs.btrfs output is highly recommended
	// UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3	/my-storage	btrfs	defaults	0	0
}
