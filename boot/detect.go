package boot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
	"github.com/hostadm/hostadm/boot/fat"
)

// Detection is which boot loader a host uses and why, with the facts the
// admin guide uses to tell.
type Detection struct {
	Loader Loader `json:"loader"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// EFI is true when the system booted through UEFI.
	EFI bool `json:"efi"`
	// SecureBoot is the firmware's Secure Boot state (nil if unknown).
	SecureBoot *bool `json:"secure_boot,omitempty"`
	// SetupMode is true when no platform key is enrolled.
	SetupMode *bool `json:"setup_mode,omitempty"`
	// BootCurrent is the EFI boot entry the system started from.
	BootCurrent *efivar.BootEntry `json:"boot_current,omitempty"`
	// LoaderInfo is what systemd-boot reported about itself, if it
	// started the system.
	LoaderInfo string `json:"loader_info,omitempty"`
	// ProxmoxBootTool is true when /etc/kernel/proxmox-boot-uuids exists:
	// proxmox-boot-tool keeps the ESPs in sync.
	ProxmoxBootTool bool `json:"proxmox_boot_tool"`
	// Root is the mount of "/" (findmnt /).
	Root *disk.MountInfo `json:"root,omitempty"`
	// ZFSRoot is true when "/" is a ZFS dataset.
	ZFSRoot bool `json:"zfs_root"`
	// SecureBootPackages maps each package Secure Boot needs to whether
	// it is installed.
	SecureBootPackages map[string]bool `json:"secure_boot_packages,omitempty"`

	runningKernel string
}

// MissingSecureBootPackages lists the packages Secure Boot needs that are
// not installed (none if the package database is unknown).
func (d *Detection) MissingSecureBootPackages() []string {
	if d.SecureBootPackages == nil {
		return nil
	}
	var out []string
	for _, p := range secureBootPackages(d.runningKernel) {
		if !d.SecureBootPackages[p] {
			out = append(out, p)
		}
	}
	return out
}

// secureBootPackages are the signed packages the admin guide lists.
func secureBootPackages(kernel string) []string {
	p := []string{"shim-signed", "shim-helpers-amd64-signed", "grub-efi-amd64-signed"}
	if kernel != "" {
		p = append(p, "proxmox-kernel-"+kernel+"-signed")
	}
	return p
}

// Detect tells which boot loader the host uses, with the spec's
// reasoning: no EFI means GRUB in BIOS mode; on UEFI the entry the
// firmware booted (BootCurrent) names the loader (\EFI\systemd\... is
// systemd-boot, \EFI\proxmox\grubx64.efi or shimx64.efi is GRUB), and
// systemd-boot also leaves its LoaderInfo variable. When the entry does
// not tell (a removable-media path), a ZFS root with synced ESPs and
// Secure Boot off means systemd-boot, anything else GRUB.
func (m *Manager) Detect(ctx context.Context) (*Detection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &Detection{EFI: m.isEFI(), ProxmoxBootTool: m.fs.Exists(ESPListFile)}
	if b, err := m.sys.ReadFile("/proc/self/mountinfo"); err == nil {
		if mi, ok := disk.FindMount(disk.ParseMountInfo(b), "/"); ok {
			d.Root = &mi
			d.ZFSRoot = mi.FSType == "zfs"
		}
	}
	d.runningKernel = m.kernelRelease()
	d.SecureBootPackages = m.installedPackages(secureBootPackages(d.runningKernel))
	if !d.EFI {
		d.Loader = LoaderGRUBBIOS
		d.Reason = "EFI variables are not supported on this system: GRUB is used in BIOS/legacy mode"
		return d, nil
	}
	s, err := m.efiStore()
	if err != nil {
		d.Loader = LoaderGRUBEFI
		d.Reason = "booted through UEFI but EFI variables are not readable; GRUB assumed"
		return d, nil
	}
	defer s.Close()
	if v, ok, err := s.SecureBoot(); err == nil && ok {
		d.SecureBoot = &v
	}
	if v, ok, err := s.SetupMode(); err == nil && ok {
		d.SetupMode = &v
	}
	if _, data, err := s.Get("LoaderInfo", efivar.LoaderGUID); err == nil {
		d.LoaderInfo = ucs2String(data)
	}
	file := ""
	if cur, ok, err := s.BootCurrent(); err == nil && ok {
		if e, err := s.BootEntry(cur); err == nil {
			d.BootCurrent = &e
			file = strings.ToLower(e.File)
		}
	}
	switch {
	case strings.HasPrefix(d.LoaderInfo, "systemd-boot"):
		d.Loader, d.Reason = LoaderSystemdBoot, "systemd-boot started the system ("+d.LoaderInfo+")"
	case strings.Contains(file, `\efi\systemd\`):
		d.Loader, d.Reason = LoaderSystemdBoot, "the current boot entry starts "+d.BootCurrent.File
	case strings.HasSuffix(file, "grubx64.efi") || strings.HasSuffix(file, "shimx64.efi"):
		d.Loader, d.Reason = LoaderGRUBEFI, "the current boot entry starts "+d.BootCurrent.File
	case d.ZFSRoot && d.ProxmoxBootTool && (d.SecureBoot == nil || !*d.SecureBoot):
		d.Loader, d.Reason = LoaderSystemdBoot, "ZFS on root with ESPs synced by proxmox-boot-tool and Secure Boot off"
	default:
		d.Loader, d.Reason = LoaderGRUBEFI, "booted through UEFI without signs of systemd-boot"
	}
	return d, nil
}

func ucs2String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// installedPackages reports which of names are installed; nil when the
// system has no dpkg status file.
func (m *Manager) installedPackages(names []string) map[string]bool {
	b, err := m.fs.ReadFile(dpkgStatusFile)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = false
	}
	for _, p := range parseDpkgStatus(b) {
		if _, ok := out[p.name]; ok && p.installed() {
			out[p.name] = true
		}
	}
	return out
}

// Status is what `proxmox-boot-tool status` reports, plus the detection.
type Status struct {
	Detection *Detection `json:"detection"`
	// ESPs are the entries of /etc/kernel/proxmox-boot-uuids with what
	// is on each; nil when the file does not exist.
	ESPs []ESP `json:"esps"`
	// Configured is true when the ESP list exists (the tool's exit
	// status 0 rather than 2).
	Configured bool `json:"configured"`
}

// Status reports the detection and the ESPs in the ESP list. With
// inspect, it also reads each ESP (read-only, without mounting: needs read
// access to its block device): the boot mode it is set up for, the kernel
// versions on it and the file-system check.
func (m *Manager) Status(ctx context.Context, inspect bool) (*Status, error) {
	det, err := m.Detect(ctx)
	if err != nil {
		return nil, err
	}
	st := &Status{Detection: det}
	uuids, err := m.ESPList()
	if errors.Is(err, ErrNoESPList) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.Configured = true
	devs, derr := m.devs.list()
	for _, u := range uuids {
		e := ESP{UUID: u}
		d, ok := disk.FindByUUID(devs, u)
		switch {
		case !fatUUID.MatchString(u):
			e.Problem = "does not look like a VFAT-UUID"
		case derr != nil:
			e.Problem = derr.Error()
		case !ok:
			e.Problem = fmt.Sprintf("/dev/disk/by-uuid/%s does not exist - clean %s", u, ESPListFile)
		default:
			e.Device = d.Path
			if !inspect {
				break
			}
			if err := m.inspectESP(d, &e); err != nil {
				e.Problem = err.Error()
			}
		}
		st.ESPs = append(st.ESPs, e)
	}
	return st, nil
}

func (m *Manager) inspectESP(d disk.BlockDevice, e *ESP) error {
	dev, err := m.devs.open(d, false)
	if err != nil {
		return err
	}
	defer dev.close()
	rep, err := fat.Check(dev.dev, dev.start)
	if err != nil {
		return err
	}
	e.FSProblems = rep.Problems
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		return err
	}
	// Read-only: the file system is not closed (Close would repair).
	var modes []string
	if g.Exists(loaderConfPath) {
		modes = append(modes, "uefi")
		ents, _ := g.ReadDir(espKernelDir)
		for _, x := range ents {
			e.Versions = append(e.Versions, x.Name())
		}
	}
	if g.Exists("grub") {
		modes = append(modes, "grub")
		ents, _ := g.ReadDir("/")
		for _, x := range ents {
			if v, ok := strings.CutPrefix(x.Name(), "vmlinuz-"); ok {
				e.Versions = append(e.Versions, v)
			}
		}
	}
	e.Mode = strings.Join(modes, ",")
	return nil
}
