package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Files that proxmox-boot-tool and update-grub read, below the root.
const (
	ESPListFile         = "/etc/kernel/proxmox-boot-uuids"
	ManualKernelsFile   = "/etc/kernel/proxmox-boot-manual-kernels"
	PinFile             = "/etc/kernel/proxmox-boot-pin"
	NextBootPinFile     = "/etc/kernel/next-boot-pin"
	KernelCmdlineFile   = "/etc/kernel/cmdline"
	GrubDefaultFile     = "/etc/default/grub"
	GrubDefaultDir      = "/etc/default/grub.d"
	GrubPinSnippet      = "/etc/default/grub.d/proxmox-kernel-pin.cfg"
	lockFile            = "/run/lock/proxmox-boot-tool.lock"
	efiFirmwareDir      = "/sys/firmware/efi"
	defaultEFIVarsDir   = "/sys/firmware/efi/efivars"
	procCmdline         = "/proc/cmdline"
	grubCmdlineDefault  = "GRUB_CMDLINE_LINUX_DEFAULT"
	grubCmdlineLinux    = "GRUB_CMDLINE_LINUX"
	espKernelDir        = "EFI/proxmox"
	loaderConfPath      = "loader/loader.conf"
	randomSeedPath      = "loader/random-seed"
	loaderEntriesDir    = "loader/entries"
	defaultLoaderTitle  = "Proxmox Virtual Environment"
	minESPSize          = 256 << 20
	espPartitionTypeStr = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
)

// Loader is a boot loader as a host uses it.
type Loader string

// Boot loaders, as the admin guide tells them apart.
const (
	LoaderUnknown     Loader = ""
	LoaderGRUBBIOS    Loader = "grub-bios"    // GRUB in BIOS/legacy mode: no EFI
	LoaderGRUBEFI     Loader = "grub-efi"     // GRUB (through shim with Secure Boot) on UEFI
	LoaderSystemdBoot Loader = "systemd-boot" // systemd-boot on UEFI, ZFS on root
)

// IsGRUB reports whether l is GRUB in either mode.
func (l Loader) IsGRUB() bool { return l == LoaderGRUBBIOS || l == LoaderGRUBEFI }

// Firmware is how a system boots.
type Firmware string

// Firmware kinds.
const (
	FirmwareAuto Firmware = ""
	FirmwareUEFI Firmware = "uefi"
	FirmwareBIOS Firmware = "bios"
)

// Errors returned by Manager methods; match them with errors.Is.
var (
	// ErrNoCmdlineRoot means /etc/kernel/cmdline has no root= parameter,
	// which a systemd-boot refresh needs.
	ErrNoCmdlineRoot = errors.New("no root= parameter in /etc/kernel/cmdline")
	// ErrNoESPList means /etc/kernel/proxmox-boot-uuids does not exist:
	// proxmox-boot-tool does not manage this host's ESPs.
	ErrNoESPList = errors.New("no ESP list (" + ESPListFile + ")")
	// ErrNoKernel means a kernel version has no image in /boot.
	ErrNoKernel = errors.New("no kernel image in /boot")
	// ErrNotESP means a partition is unsuitable as an ESP (type, size,
	// file system, in use).
	ErrNotESP = errors.New("not usable as an EFI system partition")
)

// Config configures a Manager. The zero value manages the running host.
type Config struct {
	// Root is the system's root directory; "" means "/". Every file,
	// sysfs attribute and efivarfs variable is read below it.
	Root string
	// SysRoot is where the kernel's view of the system is read: /sys
	// (block devices, EFI variables), /proc (running kernel, command
	// line, mounts), /dev and the udev database. "" means Root. An
	// installer that manages a target mounted at /mnt while using this
	// host's disks sets Root "/mnt" and SysRoot "/".
	SysRoot string
	// Firmware says how the system boots: FirmwareAuto (the zero value)
	// looks for /sys/firmware/efi below SysRoot, as proxmox-boot-tool
	// does; FirmwareUEFI or FirmwareBIOS decide for a target that boots
	// differently from the host preparing it.
	Firmware Firmware
	// Loader forces the boot loader that kernel command-line edits and
	// pins target; LoaderUnknown (the zero value) detects it.
	Loader Loader
	// KernelRelease is the running kernel (`uname -r`); "" reads
	// /proc/sys/kernel/osrelease below Root.
	KernelRelease string
	// LoaderTitle is the title of systemd-boot entries; "" chooses the
	// product name as proxmox-boot-tool does ("Proxmox Virtual
	// Environment" on a Proxmox VE host).
	LoaderTitle string
}

// Manager does what proxmox-boot-tool does, on one system.
type Manager struct {
	cfg Config
	fs  *rootfs.FS
	sys *rootfs.FS // SysRoot; fs when SysRoot is ""
	run runner.Runner
	// devs, when set by tests, replaces the device access used by
	// Format, Init and Refresh.
	devs deviceOpener
}

// New returns a Manager for cfg; nil means the zero Config. Call Close
// when done.
func New(cfg *Config) (*Manager, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	f, err := rootfs.Open(c.Root)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: c, fs: f, sys: f, run: runner.Default}
	if c.SysRoot != "" {
		if m.sys, err = rootfs.Open(c.SysRoot); err != nil {
			f.Close()
			return nil, err
		}
	} else {
		m.cfg.SysRoot = c.Root
	}
	m.devs = hostDevices{m: m}
	return m, nil
}

// Close releases the root directory.
func (m *Manager) Close() error {
	if m.sys != m.fs {
		m.sys.Close()
	}
	return m.fs.Close()
}

// lock serialises read-modify-write cycles with other instances.
func (m *Manager) lock(ctx context.Context) (*rootfs.Lock, error) {
	return m.fs.Lock(ctx, lockFile)
}

// readFile reads name with its digest; a missing file reads as empty with
// the zero digest.
func (m *Manager) readFile(name string) ([]byte, rootfs.Digest, bool, error) {
	b, d, err := m.fs.ReadFileDigest(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rootfs.Digest{}, false, nil
	}
	if err != nil {
		return nil, d, false, err
	}
	return b, d, true, nil
}

// firstLine returns the first line of a file ("" if missing), like
// proxmox-boot-tool's get_first_line.
func (m *Manager) firstLine(name string) (string, error) {
	b, _, _, err := m.readFile(name)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// isEFI reports whether the system booted through UEFI.
func (m *Manager) isEFI() bool {
	switch m.cfg.Firmware {
	case FirmwareUEFI:
		return true
	case FirmwareBIOS:
		return false
	}
	return m.sys.Exists(efiFirmwareDir)
}

func (m *Manager) kernelRelease() string {
	if m.cfg.KernelRelease != "" {
		return m.cfg.KernelRelease
	}
	r, _ := m.sys.ReadSmall("/proc/sys/kernel/osrelease")
	return strings.ToLower(strings.TrimSpace(r))
}

// loaderTitle returns the systemd-boot entry title.
func (m *Manager) loaderTitle() string {
	switch {
	case m.cfg.LoaderTitle != "":
		return m.cfg.LoaderTitle
	case m.fs.Exists("/etc/pve"):
		return defaultLoaderTitle
	case m.fs.Exists("/usr/share/doc/proxmox-mailgateway"):
		return "Proxmox Mailgateway"
	case m.fs.Exists("/usr/share/doc/proxmox-backup"):
		return "Proxmox Backup Server"
	}
	return defaultLoaderTitle
}

func wrapPath(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}
