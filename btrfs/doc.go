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
// Reading the default subvolume, [Client.Subvolume] and raid5/6 usage
// search kernel trees, which needs root (errors wrap os.ErrPermission
// otherwise); Info and Usage of other profiles work for any user.
// [Client.Subvolumes] has two paths. With CAP_SYS_ADMIN it searches the
// root tree (BTRFS_IOC_TREE_SEARCH_V2) and lists every subvolume. When
// the search is refused (EPERM) it walks down instead, as libbtrfsutil
// does for unprivileged users on Linux 4.18 and later, from the
// subvolume that holds the given directory: BTRFS_IOC_GET_SUBVOL_ROOTREF
// names the subvolumes directly inside one (in batches of 255),
// BTRFS_IOC_INO_LOOKUP_USER resolves each one's path while checking that
// the caller may search every directory on it, and
// BTRFS_IOC_GET_SUBVOL_INFO on the opened subvolume gives its root item.
// It lists that subvolume (unless it is the top level) and what the
// caller can reach below it; a subvolume behind a directory the caller
// may not search or open, one hidden by another mount, and everything
// below them are left out. Each listed subvolume has every field the
// privileged search gives, and paths stay relative to the top level
// (for a mount of another subvolume, from its root in
// /proc/self/mountinfo). The walk opens every subvolume and costs a few
// system calls each: about 25 µs a subvolume on this project's benchmark
// machine, some 2.4 times what the root tree search of `btrfs subvolume
// list` as root takes, which btrfs-progs 6.2 refuses to other users.
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
