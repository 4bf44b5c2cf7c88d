// Package zfs manages ZFS as a Proxmox VE host uses it, following the
// admin guide's "ZFS on Linux" chapter: pool layouts planned and checked
// before anything is written, pool and dataset operations, native
// encryption, the ARC, the ZFS event daemon, swap and swappiness, the
// replacement of a failed bootable disk, and zfspool storage entries.
//
// # Planning
//
// A [Layout] names a level (RAID0, RAID1, RAID10, RAIDZ-1/2/3, dRAID with
// 1 to 3 parity, data and spare counts) and the disks, plus cache, log
// and special devices. [Layout.Plan] checks it against the guide's
// minimum disk counts and ZFS's pool-name rules, warns where the guide
// cautions (a special device less redundant than the pool, a 4-disk
// RAIDZ-2 instead of RAID10, ashift 9, sdX names that change between
// boots), estimates the usable capacity and returns the zpool create
// command line:
//
//	p, err := (&zfs.Layout{Pool: "tank", Level: zfs.RAIDZ2,
//		Disks: []string{"/dev/disk/by-id/ata-A", ...}}).Plan()
//	// p.Argv: zpool create -f -o ashift=12 tank raidz2 /dev/disk/by-id/ata-A ...
//
// [RAIDZAllocation] does the guide's reasoning on RAIDZ overhead (an 8K
// block on RAIDZ-2 with ashift 12 writes 16K), [RecommendedARC] its rule
// for the ARC size (2 GiB plus 1 GiB per TiB of storage).
//
// # Backends
//
// A [Client] performs pool and dataset operations through a [Backend].
// The default one runs zpool and zfs through the module's command runner
// with parsable output (-Hp; their JSON output came with OpenZFS 2.3,
// after Debian 12's 2.1), passing key material on standard input so that
// it never reaches argv or logs. Its parsers are exported and pure:
// [ParseStatus] reads zpool status text (with -v, -p, -P and the import
// listing; its golden inputs are outputs recorded from real ZFS in the
// test VM during a resilver, a degraded pool, scrubs and data errors),
// [ParsePoolList], [ParseDatasetList] and [ParseProperties] read -Hp
// tables.
//
// Package [github.com/hostadm/hostadm/zfs/libzfs] is the second backend:
// it calls libzfs 2.1 through cgo (github.com/bicomsystems/go-libzfs
// v0.4.0 and C helpers of its own) behind the libzfs build tag, so that
// nothing in a default build links libzfs. It does what the commands do
// around each libzfs call: GPT labels on whole disks, every supported
// feature enabled at pool creation, the checks for devices in use, the
// import checks (a pool of another host needs force) and the pool
// history entries. Both backends return the same types and errors for
// the same conditions and pass one test suite on real ZFS; where they
// differ is documented in that package.
//
//	c, err := zfs.New(nil)              // zpool and zfs commands
//	b, err := libzfs.New()              // or libzfs, with -tags libzfs
//	c, err = zfs.New(&zfs.Config{Backend: b})
//	st, err := c.Status(ctx, "rpool")   // vdev tree, counters, scan, errors
//
// The cgo backend is safe to link into programs that also run where ZFS
// is absent: go-libzfs initializes libzfs in its package init, which
// without ZFS would try to load the module, wait for /dev/zfs and leave
// a handle that crashes the first call. The libzfs package sets
// ZFS_MODULE_LOADING=no in a C constructor that runs before any Go code,
// checks /dev/zfs and the handle in New (returning an error matching
// [ErrNoZFS]), and serializes every call on the shared handle.
//
// # Files
//
// /etc/modprobe.d/zfs.conf ([ModprobeConf]) and
// /etc/zfs/zed.d/zed.rc ([ZEDConfig]) are edited losslessly: an
// untouched file formats byte for byte, an edit changes only its line,
// and writes are atomic and refuse to overwrite a concurrent edit.
// zfspool entries of /etc/pve/storage.cfg ([Storage]) go through the
// section-config parser. Every file is read below Config.Root, so a
// Client also serves an installer's target or a fixture tree.
//
// # ARC, swap and swappiness
//
// [Client.SetARC] sets zfs_arc_max and zfs_arc_min at runtime and in
// zfs.conf, lowering the minimum first when the new maximum would fall to
// or below it (the guide's caveat), and says when root on ZFS needs an
// initramfs update. [Client.Swaps] tells swap areas on zvols apart,
// [Client.SetSwappiness] sets vm.swappiness at runtime and in
// /etc/sysctl.conf through package [github.com/hostadm/hostadm/sysctl],
// which also reports a later sysctl.d file that overrides it;
// [SwappinessTable] is the guide's table of values.
//
// # Replacing a bootable disk
//
// [Client.ReplaceBootDisk] is the guide's "Changing a failed bootable
// device" as one call: the healthy disk's partition table is copied to
// the new disk with new GUIDs (package
// [github.com/hostadm/hostadm/boot/disk]), the failed device is replaced
// by the new disk's partition 3, and the new ESP on partition 2 is
// formatted and initialized for proxmox-boot-tool (package
// [github.com/hostadm/hostadm/boot]) in the mode the host uses,
// systemd-boot or GRUB, or grub-install runs on a plain GRUB host:
//
//	res, err := c.ReplaceBootDisk(ctx, &zfs.BootDiskReplacement{
//		Pool:    "rpool",
//		Healthy: "/dev/disk/by-id/ata-HEALTHY",
//		Old:     "ata-FAILED-part3",
//		New:     "/dev/disk/by-id/ata-NEW",
//		Wait:    true,
//	})
//	// res.Steps: sgdisk ... -R ..., sgdisk -G ..., zpool replace -f ...,
//	// proxmox-boot-tool format ..., proxmox-boot-tool init ...
//
// Errors match the package's sentinels: [ErrInvalid] for arguments that
// break a ZFS rule, [ErrNotFound], [ErrNoZFS], [ErrSyntax] with
// file:line:column positions ([ParseError]), and [ErrBootRisk] for a
// feature upgrade of a pool that GRUB reads to boot the host.
package zfs
