// Package zfs manages ZFS pools and datasets as Proxmox VE hosts use them:
// pool layout planning and validation, pool and dataset operations,
// encryption, ARC sizing, ZED configuration, swap and swappiness advice,
// replacement of a bootable disk, and zfspool storage entries.
package zfs
