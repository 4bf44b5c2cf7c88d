// Package boot does what proxmox-boot-tool does, as a library: EFI system
// partitions (partitioning, FAT32 format, init, refresh, clean), kernel
// selection and pinning, systemd-boot loader entries and GRUB settings,
// the kernel command line, EFI boot variables, and which boot loader a
// host uses.
package boot
