// Package btrfs manages btrfs file systems through the kernel's ioctls:
// subvolumes, snapshots, read-only flags, the default subvolume, file
// system information and space usage; plus mkfs planning, compression
// options and btrfs storage entries.
package btrfs
