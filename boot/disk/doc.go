// Package disk reads and writes GUID partition tables and lists block
// devices with their file systems, for the disk steps of a Proxmox VE host:
// the installer's partitioning scheme (a 1 MiB BIOS boot partition, a
// 512 MiB EFI system partition, the rest for the chosen storage), copying a
// healthy bootable disk's table to its replacement with fresh GUIDs (what
// `sgdisk HEALTHY -R NEW` followed by `sgdisk -G NEW` does), one new
// partition over the largest free space (`sgdisk -N 1`), and finding EFI
// system partitions.
//
// Partition tables are encoded and decoded by github.com/diskfs/go-diskfs,
// which writes the backup table before the primary one and falls back to
// the backup when the primary is damaged; this package adds the planning
// (alignment, free space, fresh GUIDs), the block-device ioctls that tell
// the kernel about a new table, and a typed, validated view of the result.
//
// [BlockDevices] lists disks and partitions the way `lsblk -o +FSTYPE`
// shows them, from sysfs, the udev database and the file-system
// superblocks ([Probe] recognises vfat, ext4, xfs, btrfs, zfs_member,
// LVM2_member and swap), below a root directory so that it also works on a
// fixture tree.
package disk
