// Package fat formats and writes the FAT32 file systems of EFI system
// partitions without mounting them, on top of the FAT32 implementation of
// github.com/diskfs/go-diskfs.
//
// go-diskfs's writer leaves on-disk state that `fsck.vfat -n` rejects; this
// package corrects each defect after go-diskfs has written, working on the
// raw structures itself:
//
//   - the ".." entry of a directory in the root points at the root's
//     cluster instead of cluster 0 ("Invalid '..' entry in the second
//     slot");
//   - the FSInfo sector's free-cluster count and next-free hint are left
//     unset ("Free cluster summary uninitialized");
//   - the boot sector's hidden-sector count is zero even for a partition
//     that starts at LBA 2048;
//   - names such as 6.8.12-4-pve and 6.8.12-2-pve get the same 8.3
//     name ("Duplicate directory entry");
//   - removing or replacing a file leaves its clusters allocated, and an
//     empty file keeps a cluster ("Reclaimed unused clusters", "has a
//     zero length but a non-zero start cluster").
//
// [FS.Close] runs the corrections in a crash-safe order (directory entries
// before the FAT, so that a cluster is freed only once nothing points at
// it) and [Check] verifies a file system the way fsck.vfat does, for
// tests and status reports.
package fat
