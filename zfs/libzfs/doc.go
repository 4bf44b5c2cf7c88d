// Package libzfs is the cgo backend of package zfs: it calls libzfs (the
// library behind the zpool and zfs commands) through
// github.com/bicomsystems/go-libzfs v0.4.0 and C helpers of its own
// (hz.c), instead of running the commands. It returns the same types and
// errors as the command-line backend and passes the same test suite on
// real ZFS in the test VM.
//
// It is built only with the build tag libzfs on Linux with cgo, against
// OpenZFS 2.1 (Debian 12's libzfslinux-dev); without the tag New returns
// an error wrapping errors.ErrUnsupported and nothing links libzfs.
//
// # Loading safely
//
// go-libzfs initializes libzfs in its package init, before any code of
// the program runs: libzfs_init probes /sys/module/zfs, waits up to ten
// seconds for /dev/zfs when the module is loaded but the device node is
// missing, runs modprobe when ZFS_MODULE_LOADING=yes is in the
// environment, and opens /dev/zfs. Without ZFS it leaves a NULL handle
// that crashes the process on the first libzfs call. This package
// therefore
//
//   - sets ZFS_MODULE_LOADING=no and, unless set, ZFS_MODULE_TIMEOUT=0
//     in a C constructor that runs before the Go runtime starts, so that
//     linking the backend never loads a module or stalls a program's
//     start (the change is visible to libzfs only, not to os.Getenv or
//     child processes);
//   - checks in New that /dev/zfs is a character device and that the
//     library handle exists, initializing libzfs again when ZFS became
//     available after the program started, and returns an error
//     matching zfs.ErrNoZFS otherwise, before any other libzfs call;
//   - serializes every call, since a libzfs handle is not safe for
//     concurrent use, and keeps a call and its history entry on one OS
//     thread (the kernel finds the pool of a history entry from the
//     thread's previous ioctl).
//
// # What the commands do around libzfs, done here too
//
// libzfs leaves much of zpool's and zfs's behaviour to the commands.
// This package does it as they do:
//
//   - create, add and replace: a whole disk gets a GPT label with ZFS's
//     partition 1 and reserved partition 9 (zpool_label_disk, then a
//     wait for udev's link, such as the -part1 of a /dev/disk/by-id
//     path), other devices get their first 4 KiB cleared, and new vdevs
//     the pool's ashift property;
//   - create: every feature the module supports is enabled (within the
//     compatibility property's set; a version property or a
//     feature@NAME=disabled option leaves features out), and the root
//     file system is mounted;
//   - devices in use are refused: a member of another active pool or a
//     hot spare of another pool always, unless forced a member of an
//     exported pool or a device carrying a file system;
//   - import: the search covers ZFS's default directories or
//     ImportOptions.Dirs; a pool last used by another host, or active
//     there with multihost, needs Force; NewName, Altroot (which also
//     sets cachefile=none, as zpool import -R does) and NoMount are
//     supported, and file systems are mounted otherwise;
//   - export and destroy unmount the pool's file systems first;
//   - zfs create -p of an existing dataset succeeds; a new volume gets
//     its refreservation unless sparse; rollback refuses when newer
//     snapshots exist unless they are to be destroyed;
//   - status lists the damaged files (zpool status -v) and the message
//     ID of the pool's problem (see: https://openzfs.github.io/...);
//   - every change is recorded in the pool's history with the command
//     line the commands would have written ("zpool create -f -o
//     ashift=12 tank mirror ...").
//
// Passphrases and keys never touch argv, the environment or the disk:
// they reach libzfs through a pipe named as keylocation
// file:///proc/self/fd/N for the duration of the call, and the
// dataset's keylocation is set back to prompt afterwards.
//
// # Differences from the commands
//
//   - PoolStatus leaves Status and Action empty: zpool's explanations of
//     a pool's problem are not reproduced; See carries its link. The
//     scan's Text is written from the scan statistics in zpool's words
//     for its first line only.
//   - File systems on devices are recognised from their superblocks by
//     package github.com/hostadm/hostadm/boot/disk (vfat, ext2/3/4, xfs,
//     btrfs, zfs_member, LVM2_member, swap), not by libblkid; other
//     signatures pass the in-use check.
//   - zpool add's replication-level check (mixing vdev types without
//     -f) is left to the plan warnings of zfs.Client.AddDevices, which
//     adds only cache, log, special and spare vdevs.
//   - While a dataset with a prompt key is created or rekeyed, its
//     keylocation property holds the pipe's path until the call ends; a
//     crash in between leaves it so (zfs set keylocation=prompt repairs
//     it).
//
// Usage:
//
//	b, err := libzfs.New()
//	if err != nil {
//		return err // errors.Is(err, zfs.ErrNoZFS) without ZFS
//	}
//	c, err := zfs.New(&zfs.Config{Backend: b})
package libzfs
