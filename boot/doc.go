// Package boot does what proxmox-boot-tool does, as a library: EFI system
// partitions (partitioning, FAT32 format, init, refresh, clean), kernel
// selection and pinning, systemd-boot loader entries and GRUB settings,
// the kernel command line, EFI boot variables, and which boot loader a
// host uses.
//
// A [Manager] works on a root directory (Config.Root) for the system's
// files (/etc/kernel, /etc/default/grub, /boot) and on Config.SysRoot for
// the kernel's view (/sys, /proc, /dev), so the same code serves the
// running host, an installer preparing a target mounted at /mnt, and test
// fixtures.
//
//	m, err := boot.New(nil)
//	uuid, err := m.Format(ctx, "/dev/sdc2", nil)         // proxmox-boot-tool format
//	res, err := m.Init(ctx, "/dev/sdc2", boot.InitAuto)  // init (and refresh)
//	_, err = m.Refresh(ctx, nil)                          // refresh
//	_, err = m.SetCmdlineParam(ctx, boot.ParseParam("net.naming-scheme=v252"))
//
// ESPs are written without mounting: kernels, initrds, loader entries and
// loader.conf go through the FAT library of the [fat] subpackage. A
// refresh is crash-safe: new files are written under temporary names and
// renamed into place, entries only after their kernel and initrd,
// loader.conf after the entries, and stale entries are removed before
// their files, so an interruption at any point leaves every ESP bootable
// with the old or the new set. Only GRUB's own tools (grub-install, and
// update-grub for a GRUB-mode ESP) need the ESP mounted; that happens on a
// thread with a private mount namespace that no other process sees.
//
// The kernel command line lives where the boot loader reads it:
// /etc/kernel/cmdline for systemd-boot, GRUB_CMDLINE_LINUX_DEFAULT in
// /etc/default/grub or the /etc/default/grub.d snippet that sets it last
// for GRUB. [Manager.SetCmdlineParam], [Manager.RemoveCmdlineParam] and
// [Manager.Cmdline] edit and read it losslessly; [Cmdline], [GrubDefaults]
// and [LoaderConf] are the pure parsers underneath.
//
// Subpackages: [github.com/hostadm/hostadm/boot/disk] (GUID partition
// tables on go-diskfs, block devices, superblock probing),
// [github.com/hostadm/hostadm/boot/fat] (FAT32 on go-diskfs with its
// defects corrected) and [github.com/hostadm/hostadm/boot/efivar] (EFI
// variables, load options and device paths as efibootmgr prints them).
//
// The dpkg status file and Debian version ordering are read here rather
// than through the apt package, to keep its OpenPGP dependencies out of
// boot-loader tools.
package boot
