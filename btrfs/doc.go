// Package btrfs manages btrfs file systems through the kernel's ioctls:
// subvolumes, snapshots, read-only flags, the default subvolume, file
// system information and space usage; plus mkfs planning, compression
// options and btrfs storage entries.
//
// Every operation on a mounted file system is one or a few ioctls on
// golang.org/x/sys/unix, never the btrfs command:
//
//   - [Client.CreateSubvolume], [Client.Snapshot] (read-only as Proxmox VE
//     takes them, or writable), [Client.DeleteSubvolume] (subvolumes need
//     not be empty; nested ones with Recursive) and
//     [Client.DeleteSubvolumeID];
//   - [Client.ReadOnly] and [Client.SetReadOnly];
//   - [Client.Subvolumes] and [Client.Subvolume], the equivalents of
//     `btrfs subvolume list` and `btrfs subvolume show`, from a search of
//     the root tree; [Client.DefaultSubvolume] and
//     [Client.SetDefaultSubvolume];
//   - [Client.Info] (UUID, label, devices) and [Client.Usage], which
//     computes the "Overall" figures of `btrfs filesystem usage` the way
//     btrfs-progs does, free estimate included, so the two agree to the
//     byte;
//   - [Client.Compression] and [Client.SetCompression], the per-file and
//     per-subvolume compression property.
//
// Listing subvolumes, reading the default subvolume and raid5/6 usage
// search kernel trees, which needs root (errors wrap os.ErrPermission
// otherwise); Info and Usage of other profiles work for any user.
// Errors of system calls are *os.PathError or *os.SyscallError, so
// errors.Is(err, fs.ErrExist), unix.ENOTEMPTY and friends hold; paths not
// on btrfs fail with [ErrNotBtrfs], plain directories where a subvolume
// is needed with [ErrNotSubvolume].
//
// The rest follows the admin guide: [MkfsPlan] checks profiles against
// device counts (raid1 needs two disks, raid10 four) and refuses raid5 and
// raid6, experimental and dangerous, unless allowed explicitly, then
// renders the mkfs.btrfs command; [Client.Mkfs] runs it and returns the
// UUID to name the file system by in /etc/fstab.
// [SetEntryCompression] adds compress=zstd|lzo|zlib[:level] to a btrfs
// fstab entry ("defaults,compress=zstd"), and [Client.Storages],
// [Client.AddStorage] and [Client.UseInstallerLayout] read and write the
// "btrfs:" entries of /etc/pve/storage.cfg, including the installer's
// local-btrfs with "dir: local" disabled.
//
// Paths are resolved below [Config.Root], so a target system mounted
// elsewhere can be worked on with its own paths.
//
// The ioctl methods take no context: each is one system call (or a few)
// that the kernel does not let a caller interrupt. Listing 10,000
// subvolumes costs one root tree search of a few system calls and one
// path lookup per directory that holds subvolumes, where `btrfs subvolume
// list` looks up every subvolume's path: about five times faster on this
// project's benchmark machine. Creating a snapshot waits for a
// transaction commit either way, so the ioctl saves only the process
// start (about 1.4 times faster).
package btrfs
