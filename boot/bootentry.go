package boot

import (
	"context"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
)

// efiStore opens the EFI variables below the root.
func (m *Manager) efiStore() (*efivar.Store, error) {
	return efivar.New(&efivar.Config{Root: m.cfg.SysRoot})
}

// ensureBootEntry makes sure an EFI boot entry starts file from partition
// d, creating it first in BootOrder (as bootctl and grub-install do) if
// none does. It returns the entry as efibootmgr -v prints it.
func (m *Manager) ensureBootEntry(ctx context.Context, d disk.BlockDevice, desc, file string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s, err := m.efiStore()
	if err != nil {
		return "", err
	}
	defer s.Close()
	partUUID := d.PartUUID
	if partUUID == "" {
		return "", fmt.Errorf("%s: unknown partition GUID", d.Path)
	}
	entries, _ := s.BootEntries()
	for _, e := range entries {
		if strings.EqualFold(e.PartUUID, partUUID) && strings.EqualFold(e.File, file) {
			return e.String(), nil
		}
	}
	hd, err := efivar.HardDriveNode(uint32(d.Partition), d.Start, uint64(d.Size/512), strings.ToLower(partUUID))
	if err != nil {
		return "", err
	}
	o := &efivar.LoadOption{Attributes: efivar.LoadOptionActive, Description: desc, Path: efivar.DevicePath{hd, efivar.FileNode(file)}}
	num, err := s.CreateBootEntry(o)
	if err != nil {
		return "", err
	}
	return efivar.NewBootEntry(num, o).String(), nil
}
