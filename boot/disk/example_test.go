package disk_test

import (
	"fmt"

	"github.com/hostadm/hostadm/boot/disk"
)

// The installer's scheme on a 32 GiB disk for a ZFS install.
func ExampleInstallerLayout() {
	t, err := disk.InstallerLayout(32<<30/512, 512, &disk.LayoutOptions{DataType: disk.TypeZFS})
	if err != nil {
		panic(err)
	}
	for _, p := range t.Partitions {
		fmt.Printf("%d %-24s %8d %9d\n", p.Number, disk.TypeName(p.Type), p.Start, p.End)
	}
	// Output:
	// 1 BIOS boot partition            34      2047
	// 2 EFI system partition         2048   1050623
	// 3 Solaris /usr & Mac ZFS    1050624  67108830
}

// Replacing a failed bootable disk starts by copying the healthy disk's
// table with fresh GUIDs (`sgdisk HEALTHY -R NEW; sgdisk -G NEW`); the new
// disk's ESP is then formatted and initialised with the boot package.
func ExampleCopyTable() {
	// t, err := disk.CopyTable(ctx, "/dev/sda", "/dev/sdc")
	// esp := disk.PartitionDevice("/dev/sdc", t.ESPs()[0].Number)
}

// Partitioning an empty disk for LVM: one partition over the largest free
// space, as `sgdisk -N 1 /dev/sdb` does.
func ExampleCreateLargest() {
	// p, err := disk.CreateLargest(ctx, "/dev/sdb", 1, disk.TypeLVM)
	// pv := disk.PartitionDevice("/dev/sdb", p.Number)
}

func ExamplePartitionDevice() {
	fmt.Println(disk.PartitionDevice("/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GX", 3))
	fmt.Println(disk.PartitionDevice("/dev/nvme0n1", 3))
	fmt.Println(disk.PartitionDevice("/dev/sda", 2))
	// Output:
	// /dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GX-part3
	// /dev/nvme0n1p3
	// /dev/sda2
}
