// Package fstab reads and writes /etc/fstab without losing comments,
// spacing or order: entries by UUID, LABEL, PARTUUID, PARTLABEL or path,
// options as an ordered list, and edits that rewrite only the lines they
// touch.
//
// [Parse] and [File.Format] are pure: an untouched file formats byte for
// byte (comments, blank lines, tabs, aligned columns, CRLF line ends and a
// missing final newline included). An entry changed through its pointer is
// re-rendered in its own line's spacing, with aligned columns kept where
// the new text fits; an added entry is written with tabs.
//
// [Table] works on a system's file through a root directory: [Table.Edit]
// runs a read-modify-write cycle under a lock and writes atomically,
// refusing to overwrite a concurrent edit. The admin guide recommends
// naming file systems by UUID rather than by device path, because kernel
// names such as /dev/sdb1 change when disks are added: [SourceUUID],
// [Table.UUIDOf] and [Source.KernelName] serve that.
//
//	tab, _ := fstab.New(nil)
//	err := tab.Edit(ctx, func(f *fstab.File) error {
//		_, err := f.Add(fstab.Entry{
//			Source:     fstab.SourceUUID("e2c0c3ff-2114-4f54-b767-3a203e49f6f3"),
//			MountPoint: "/my-storage",
//			Type:       "btrfs",
//			Options:    fstab.Options{"defaults"},
//		})
//		return err
//	})
package fstab
