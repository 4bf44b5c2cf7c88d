package btrfs_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/btrfs"
	"github.com/hostadm/hostadm/fstab"
)

// Plan the admin guide's RAID1 file system and show the command.
func ExampleMkfsPlan() {
	p := &btrfs.MkfsPlan{
		Devices:  []string{"/dev/sdb1", "/dev/sdc1"},
		Data:     btrfs.RAID1,
		Metadata: btrfs.RAID1,
		Label:    "My-Storage",
	}
	argv, err := p.Argv()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(argv)
	// Output: [mkfs.btrfs -m raid1 -d raid1 -L My-Storage /dev/sdb1 /dev/sdc1]
}

// Enable zstd compression on the root file system's fstab entry.
func ExampleSetEntryCompression() {
	f, _ := fstab.Parse("/etc/fstab", []byte("UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 / btrfs defaults 0 1\n"))
	if err := btrfs.SetEntryCompression(f.Lookup("/"), btrfs.Compression{Algorithm: "zstd"}); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(f.Format()))
	// Output: UUID=e2c0c3ff-2114-4f54-b767-3a203e49f6f3 / btrfs defaults,compress=zstd 0 1
}

// Take a read-only snapshot of a subvolume, the way Proxmox VE snapshots
// guest volumes, and list the file system's subvolumes.
func ExampleClient_Snapshot() {
	c, err := btrfs.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Snapshot("/some/path", "/a/new/path", &btrfs.SnapshotOptions{ReadOnly: true}); err != nil {
		log.Fatal(err)
	}
	subs, err := c.Subvolumes("/")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range subs {
		fmt.Printf("ID %d gen %d top level %d path %s\n", s.ID, s.Generation, s.ParentID, s.Path)
	}
}
