package boot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
	"github.com/hostadm/hostadm/boot/fat"
)

// espDevice is an opened partition.
type espDevice struct {
	dev   fat.Device
	size  int64
	start uint32 // first sector on the disk (the FAT hidden sectors)
	close func() error
}

// deviceOpener finds and opens block devices; tests replace it with image
// files.
type deviceOpener interface {
	list() ([]disk.BlockDevice, error)
	open(d disk.BlockDevice, write bool) (*espDevice, error)
	// setType sets the GPT type of partition d.
	setType(ctx context.Context, d disk.BlockDevice, typeGUID string) error
	// resolve turns a user's partition argument (/dev/sda2,
	// /dev/disk/by-uuid/..., sda2) into a kernel name.
	resolve(name string) (string, error)
}

// hostDevices are the running system's block devices.
type hostDevices struct{ m *Manager }

func (h hostDevices) list() ([]disk.BlockDevice, error) { return disk.BlockDevices(h.m.cfg.SysRoot) }

func (h hostDevices) open(d disk.BlockDevice, write bool) (*espDevice, error) {
	if !h.m.sys.IsHostRoot() {
		return nil, fmt.Errorf("%s: the block devices of %s are not this host's", d.Path, h.m.cfg.SysRoot)
	}
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR | os.O_EXCL
	}
	f, err := os.OpenFile("/dev/"+d.Name, flag, 0)
	if err != nil {
		return nil, err
	}
	return &espDevice{dev: f, size: d.Size, start: uint32(d.Start), close: f.Close}, nil
}

func (h hostDevices) setType(ctx context.Context, d disk.BlockDevice, typeGUID string) error {
	return disk.SetPartitionType(ctx, "/dev/"+d.Parent, d.Partition, typeGUID)
}

func (h hostDevices) resolve(name string) (string, error) {
	if !strings.Contains(name, "/") {
		return name, nil
	}
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return "", err
	}
	return filepath.Base(real), nil
}

// ESP is one entry of the ESP list and what is on it.
type ESP struct {
	UUID   string `json:"uuid"`
	Device string `json:"device,omitempty"` // /dev/sda2, "" if missing
	// Mode is "uefi" (systemd-boot entries), "grub", both
	// ("uefi,grub") or "" if unknown.
	Mode string `json:"mode,omitempty"`
	// Versions are the kernel versions on the ESP.
	Versions []string `json:"versions,omitempty"`
	// Problem says why the ESP could not be inspected.
	Problem string `json:"problem,omitempty"`
	// FSProblems are file-system inconsistencies found (fsck.vfat's
	// view).
	FSProblems []string `json:"fs_problems,omitempty"`
}

// ESPList returns the UUIDs in /etc/kernel/proxmox-boot-uuids;
// ErrNoESPList if it does not exist.
func (m *Manager) ESPList() ([]string, error) {
	if !m.fs.Exists(ESPListFile) {
		return nil, ErrNoESPList
	}
	return m.listFile(ESPListFile)
}

// FormatOptions tune Format.
type FormatOptions struct {
	// Force formats a partition that already holds a file system.
	Force bool
	// VolumeID sets the new file system's serial number (its UUID);
	// zero picks a random one.
	VolumeID uint32
}

// partitionInfo finds a partition and checks the rules proxmox-boot-tool
// applies before touching it: a partition (not a disk), no children or
// holders, at least 256 MiB, not mounted.
func (m *Manager) partitionInfo(part string) (disk.BlockDevice, error) {
	name, err := m.devs.resolve(part)
	if err != nil {
		return disk.BlockDevice{}, err
	}
	devs, err := m.devs.list()
	if err != nil {
		return disk.BlockDevice{}, err
	}
	d, ok := disk.FindByName(devs, name)
	if !ok {
		return d, fmt.Errorf("%s: %w", part, fs.ErrNotExist)
	}
	switch {
	case d.Type != "part" || d.Parent == "":
		return d, fmt.Errorf("%w: %s: cannot determine parent device - provide a partition, not a full disk", ErrNotESP, part)
	case len(d.Holders) > 0 || len(disk.Children(devs, d.Name)) > 0:
		return d, fmt.Errorf("%w: %s has children (%s)", ErrNotESP, part, strings.Join(d.Holders, ", "))
	case d.Size < minESPSize:
		return d, fmt.Errorf("%w: %s is too small (<256M)", ErrNotESP, part)
	case len(d.MountPoints) > 0:
		return d, fmt.Errorf("%w: %s is mounted on %s", ErrNotESP, part, d.MountPoints[0])
	}
	// The udev database can lag behind a format that just happened: ask
	// the superblock itself.
	if dev, err := m.devs.open(d, false); err == nil {
		fs, perr := disk.Probe(dev.dev, dev.size)
		dev.close()
		switch {
		case perr == nil:
			d.FSType, d.UUID, d.Label = fs.Type, fs.UUID, fs.Label
		case errors.Is(perr, disk.ErrUnknownFS):
			d.FSType, d.UUID, d.Label = "", "", ""
		}
	}
	return d, nil
}

// Format sets the ESP partition type on part and writes an empty FAT32
// file system to it (`proxmox-boot-tool format`). It refuses a disk, a
// partition that is mounted, has holders, is smaller than 256 MiB, or
// already carries a file system unless opts.Force. It returns the new
// file system's UUID.
func (m *Manager) Format(ctx context.Context, part string, opts *FormatOptions) (string, error) {
	var o FormatOptions
	if opts != nil {
		o = *opts
	}
	d, err := m.partitionInfo(part)
	if err != nil {
		return "", err
	}
	if d.FSType != "" && !o.Force {
		return "", fmt.Errorf("%w: %s contains a filesystem (%s) - use force to override", ErrNotESP, part, d.FSType)
	}
	if !strings.EqualFold(d.PartType, disk.TypeESP) {
		if err := m.devs.setType(ctx, d, disk.TypeESP); err != nil {
			return "", fmt.Errorf("set the partition type of %s: %w", part, err)
		}
	}
	dev, err := m.devs.open(d, true)
	if err != nil {
		return "", err
	}
	defer dev.close()
	if err := fat.Format(dev.dev, dev.size, &fat.FormatOptions{VolumeID: o.VolumeID, HiddenSectors: dev.start}); err != nil {
		return "", fmt.Errorf("%s: %w", part, err)
	}
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		return "", err
	}
	uuid := g.UUID()
	return uuid, g.Close()
}

// InitMode chooses how Init sets up an ESP.
type InitMode string

// Init modes.
const (
	InitAuto        InitMode = ""             // GRUB if the ESP already has it, else systemd-boot on UEFI
	InitSystemdBoot InitMode = "systemd-boot" // systemd-boot, kernels under EFI/proxmox
	InitGRUB        InitMode = "grub"         // GRUB (needed for Secure Boot)
)

// InitResult says what Init did.
type InitResult struct {
	UUID      string   `json:"uuid"`
	Mode      InitMode `json:"mode"`
	BootEntry string   `json:"boot_entry,omitempty"` // the EFI boot entry created, efibootmgr style
	// SystemToken is true when Init created systemd-boot's
	// LoaderSystemToken variable (bare metal without one).
	SystemToken bool `json:"system_token,omitempty"`
	// Warnings are steps skipped gracefully, as bootctl --graceful does
	// (no writable EFI variables).
	Warnings []string       `json:"warnings,omitempty"`
	Refresh  *RefreshResult `json:"refresh,omitempty"`
}

// Init sets up a formatted ESP for synchronisation and adds it to
// /etc/kernel/proxmox-boot-uuids, then refreshes all ESPs
// (`proxmox-boot-tool init PART [grub]`). In systemd-boot mode it installs
// systemd-boot from /usr/lib/systemd/boot/efi (as `bootctl install`
// would), writes loader/loader.conf ("timeout 3", "default proxmox-*") and
// a random seed, and, when the system runs on UEFI, creates a "Linux Boot
// Manager" EFI boot entry and, on bare metal without one, the
// LoaderSystemToken variable that lets systemd-boot use the seed; in GRUB
// mode it runs grub-install for the ESP.
func (m *Manager) Init(ctx context.Context, part string, mode InitMode) (*InitResult, error) {
	d, err := m.partitionInfo(part)
	if err != nil {
		return nil, err
	}
	switch {
	case !strings.EqualFold(d.PartType, disk.TypeESP):
		return nil, fmt.Errorf("%w: %s has wrong partition type (!= %s)", ErrNotESP, part, strings.ToLower(disk.TypeESP))
	case d.FSType != "vfat":
		return nil, fmt.Errorf("%w: %s has wrong filesystem (!= vfat)", ErrNotESP, part)
	case d.UUID == "":
		return nil, fmt.Errorf("%w: %s has no UUID set", ErrNotESP, part)
	}
	res := &InitResult{UUID: d.UUID, Mode: mode}
	dev, err := m.devs.open(d, true)
	if err != nil {
		return nil, err
	}
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		dev.close()
		return nil, err
	}
	if res.Mode == InitAuto {
		res.Mode = InitSystemdBoot
		if g.Exists(espKernelDir+"/"+grubEFIName()) || !m.isEFI() {
			res.Mode = InitGRUB
		}
	}
	if res.Mode == InitSystemdBoot {
		err = m.installSystemdBoot(g)
	}
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	dev.close()
	if err != nil {
		return nil, err
	}
	switch res.Mode {
	case InitSystemdBoot:
		if m.isEFI() {
			e, err := m.ensureBootEntry(ctx, d, "Linux Boot Manager", `\EFI\systemd\systemd-bootx64.efi`)
			switch {
			case errors.Is(err, efivar.ErrNoEFI):
				res.Warnings = append(res.Warnings, "EFI variables are not available: no boot entry created (the firmware finds EFI/BOOT/BOOTX64.EFI)")
			case err != nil:
				return nil, fmt.Errorf("create the EFI boot entry: %w", err)
			}
			res.BootEntry = e
			switch tok, err := m.ensureSystemToken(); {
			case errors.Is(err, efivar.ErrNoEFI):
			case err != nil:
				res.Warnings = append(res.Warnings, "LoaderSystemToken not written: "+err.Error())
			default:
				res.SystemToken = tok
			}
		}
	case InitGRUB:
		if err := m.grubInstall(ctx, d); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown init mode %q", mode)
	}
	if err := m.editList(ctx, ESPListFile, func(l []string) []string { return append(l, d.UUID) }); err != nil {
		return nil, err
	}
	r, err := m.Refresh(ctx, nil)
	res.Refresh = r
	return res, err
}

// systemdBootDir is where Debian's systemd-boot-efi package puts the
// loader.
const systemdBootDir = "/usr/lib/systemd/boot/efi"

func grubEFIName() string { return "grubx64.efi" }

// installSystemdBoot does what `bootctl install` does on an ESP, through
// the FAT library: the loader at EFI/systemd and the removable-media path
// EFI/BOOT/BOOTX64.EFI, the loader directories, and loader.conf.
func (m *Manager) installSystemdBoot(g *fat.FS) error {
	img, err := m.fs.ReadFile(systemdBootDir + "/systemd-bootx64.efi")
	if err != nil {
		return fmt.Errorf("systemd-boot is not installed (systemd-boot-efi): %w", err)
	}
	for _, p := range []string{"/EFI/systemd/systemd-bootx64.efi", "/EFI/BOOT/BOOTX64.EFI"} {
		if err := writeAtomic(g, p, img); err != nil {
			return err
		}
	}
	for _, d := range []string{"/" + loaderEntriesDir, "/" + espKernelDir} {
		if err := g.MkdirAll(d); err != nil {
			return err
		}
	}
	if err := writeAtomic(g, "/"+loaderConfPath, []byte("timeout 3\ndefault proxmox-*\n")); err != nil {
		return err
	}
	// A fresh seed for the kernel's entropy pool; systemd-boot replaces
	// it at every boot.
	seed := make([]byte, seedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	return writeAtomic(g, "/"+randomSeedPath, seed)
}

// writeAtomic replaces a file on a FAT file system by writing a temporary
// name and renaming it over the old one, unless it already has the
// content.
func writeAtomic(g *fat.FS, name string, data []byte) error {
	if sameContent(g, name, data) {
		return nil
	}
	tmp := name + ".tmp"
	if err := g.WriteFile(tmp, data); err != nil {
		return err
	}
	return g.Rename(tmp, name)
}

// CleanResult lists what Clean found.
type CleanResult struct {
	Kept    []string `json:"kept"`
	Removed []string `json:"removed"`
}

// Clean removes the UUIDs of ESPs that no longer exist from
// /etc/kernel/proxmox-boot-uuids, sorting the list
// (`proxmox-boot-tool clean [--dry-run]`).
func (m *Manager) Clean(ctx context.Context, dryRun bool) (*CleanResult, error) {
	uuids, err := m.ESPList()
	if err != nil {
		return nil, err
	}
	devs, err := m.devs.list()
	if err != nil {
		return nil, err
	}
	res := &CleanResult{Kept: []string{}, Removed: []string{}}
	for _, u := range uuids {
		if _, ok := disk.FindByUUID(devs, u); ok || m.sys.Exists("/dev/disk/by-uuid/"+u) {
			res.Kept = append(res.Kept, u)
		} else {
			res.Removed = append(res.Removed, u)
		}
	}
	if dryRun {
		return res, nil
	}
	err = m.editList(ctx, ESPListFile, func(l []string) []string {
		return slices.DeleteFunc(l, func(s string) bool { return slices.Contains(res.Removed, s) })
	})
	return res, err
}

// sameContent reports whether name already holds data, reading it only
// when the sizes match.
func sameContent(g *fat.FS, name string, data []byte) bool {
	fi, err := g.Stat(name)
	if err != nil || fi.IsDir() || fi.Size() != int64(len(data)) {
		return false
	}
	old, err := g.ReadFile(name)
	return err == nil && string(old) == string(data)
}
