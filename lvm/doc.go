// Package lvm manages LVM physical volumes, volume groups, thin pools and
// logical volumes through the LVM tools' JSON reports, with typed sizes
// and attributes, the operations Proxmox VE's installer and storage use,
// and lvm/lvmthin storage entries.
package lvm
