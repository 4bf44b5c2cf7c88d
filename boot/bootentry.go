package boot

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
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

// loaderVendorGUID is the vendor GUID of systemd-boot's variables.
const loaderVendorGUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

// seedSize is the size of systemd-boot's random seed and system token.
const seedSize = 32

// ensureSystemToken creates systemd-boot's LoaderSystemToken variable
// when the firmware has none, as bootctl install does: with it,
// systemd-boot credits the random seed on the ESP to the kernel's
// entropy pool (its default random-seed-mode, with-system-token). A
// virtual machine gets none, as with bootctl, because its image and
// variable store are often cloned. It reports whether it wrote one.
func (m *Manager) ensureSystemToken() (bool, error) {
	if m.virtualized() {
		return false, nil
	}
	s, err := m.efiStore()
	if err != nil {
		return false, err
	}
	defer s.Close()
	if s.Exists("LoaderSystemToken", loaderVendorGUID) {
		return false, nil
	}
	token := make([]byte, seedSize)
	if _, err := rand.Read(token); err != nil {
		return false, err
	}
	if err := s.Set("LoaderSystemToken", loaderVendorGUID, efivar.DefaultAttributes, token); err != nil {
		return false, err
	}
	return true, nil
}

// virtualized reports whether the system runs under a hypervisor (the
// CPU's hypervisor flag in /proc/cpuinfo).
func (m *Manager) virtualized() bool {
	b, err := m.sys.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			return slices.Contains(strings.Fields(v), "hypervisor")
		}
	}
	return false
}
