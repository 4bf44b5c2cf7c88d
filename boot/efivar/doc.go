// Package efivar reads and writes UEFI variables through efivarfs
// (/sys/firmware/efi/efivars): the boot manager's BootOrder, BootCurrent,
// BootNext, Timeout and Boot#### load options, and the SecureBoot and
// SetupMode state.
//
// Load options and device paths are decoded in Go into typed nodes that
// format the way `efibootmgr -v` (libefivar) prints them, for example
// HD(2,GPT,8c2f....,0x800,0x100000)/File(\EFI\proxmox\shimx64.efi).
// Nodes of types this package does not know are kept as raw bytes and
// printed in libefivar's generic form (Path(T,S,hex)) rather than
// rejected.
//
// Writes follow the efivarfs rules: a variable is written with one write
// of its 4-byte attributes and data, and the kernel's immutable flag on
// variable files is cleared (FS_IOC_SETFLAGS) before a variable is
// replaced or deleted.
package efivar
