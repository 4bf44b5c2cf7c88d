// Package lvm manages LVM physical volumes, volume groups, thin pools and
// logical volumes through the LVM tools' JSON reports, with typed sizes
// and attributes, the operations Proxmox VE's installer and storage use,
// and lvm/lvmthin storage entries.
//
// Reports run pvs, vgs, lvs and `lvm fullreport` with --reportformat json
// --units b --nosuffix; every value arrives as a string and is converted
// and checked ([ErrReport] otherwise): sizes in bytes, thin pool data and
// metadata use as percentages, and the attribute strings decoded field by
// field into named properties ([ParseLVAttr] turns "twi-a-tz--" into an
// active thin pool that zeroes new blocks, [ParseVGAttr] and
// [ParsePVAttr] do "wz--n-" and "a--"). The parsers are pure and work on
// recorded output.
//
// Operations follow the admin guide: [Client.CreateVGOnDisk] partitions an
// empty disk (sgdisk -N 1, through the boot/disk package), creates the PV
// (pvcreate --metadatasize 250k -y -ff) and the VG; [Client.CreateThinPool]
// gives a pool the metadata size Proxmox VE's installer uses
// ([ThinPoolMetadataSize]: 1 % of the pool, 1 to 16 GiB);
// [Client.ExtendThinPool] refuses to grow a pool's data without its
// metadata, as the guide requires ([MetadataGrowth] says by how much);
// [Client.CreateVolumeWithFS] is the guide's extra volume for
// /var/lib/vz, fstab entry included, warning when the mount point is not
// empty. Failed commands return errors that match [ErrVGNotFound],
// [ErrLVNotFound], [ErrExists], [ErrNoSpace] or [ErrInUse] and unwrap to
// the *runner.ExitError with the argv, exit code and stderr.
//
// [Client.Storages] and [Client.AddStorage] read and write the "lvm:" and
// "lvmthin:" entries of /etc/pve/storage.cfg losslessly.
//
// [Client.MetadataBackups] and [ParseMetadata] read the text metadata LVM
// keeps in /etc/lvm/backup: volume groups, thin pools and their volumes
// without root, without the device-mapper and below a root directory, for
// a mounted system or a check that must not run the tools.
//
// Commands run through an injectable runner, argv only, with LC_ALL=C;
// they need root and the device-mapper, so they act on the running
// system's devices whatever [Config.Root] says. Root only relocates the
// files (fstab, storage.cfg, mount points).
package lvm
