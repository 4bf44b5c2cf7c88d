package microcode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/hostadm/hostadm/boot"
	"github.com/hostadm/hostadm/internal/rootfs"
)

// Files the package reads below the root.
const (
	CPUInfoPath   = "/proc/cpuinfo"
	CmdlinePath   = "/proc/cmdline"
	CPUSysDir     = "/sys/devices/system/cpu"
	VulnDir       = "/sys/devices/system/cpu/vulnerabilities"
	FirmwareDir   = "/lib/firmware"
	DmesgLogPath  = "/var/log/dmesg"
	KernLogPath   = "/var/log/kern.log"
	kmsgDevice    = "/dev/kmsg"
	loaderDisable = "dis_ucode_ldr"
)

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to inspect; "" means "/".
	Root string
}

// Client inspects and sets up the CPU microcode of one system.
type Client struct {
	fs *rootfs.FS
	pm packageManager // apt; set lazily, replaced in tests
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	return &Client{fs: f}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// CPUs returns every logical CPU of /proc/cpuinfo, with the revision and
// processor flags from sysfs where it has them (sysfs is what the kernel
// updates after a late load; cpuinfo agrees on current kernels).
func (c *Client) CPUs() ([]CPU, error) {
	data, err := c.fs.ReadFile(CPUInfoPath)
	if err != nil {
		return nil, err
	}
	cpus, err := ParseCPUInfo(CPUInfoPath, data)
	if err != nil {
		return nil, err
	}
	for i := range cpus {
		dir := fmt.Sprintf("%s/cpu%d/microcode", CPUSysDir, cpus[i].Processor)
		if v, err := c.fs.ReadSmall(dir + "/version"); err == nil {
			r, err := ParseRevision(v)
			if err != nil {
				return nil, fmt.Errorf("%s/version: %w", dir, err)
			}
			cpus[i].Revision, cpus[i].HasRevision = r, true
		}
		if v, err := c.fs.ReadSmall(dir + "/processor_flags"); err == nil {
			if f, err := ParseRevision(v); err == nil {
				cpus[i].ProcessorFlags = f
			}
		}
	}
	return cpus, nil
}

// Vulnerabilities returns the kernel's view of CPU vulnerabilities and
// their mitigations, sorted by name, like lscpu's "Vulnerability" lines.
// A kernel without the directory gives an empty list.
func (c *Client) Vulnerabilities() ([]Vulnerability, error) {
	ents, err := c.fs.ReadDir(VulnDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Vulnerability
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		text, err := c.fs.ReadSmall(path.Join(VulnDir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, NewVulnerability(e.Name(), text))
	}
	return out, nil
}

// LoaderDisabled reports whether the running kernel was booted with
// dis_ucode_ldr, which skips the early microcode update.
func (c *Client) LoaderDisabled() (bool, error) {
	s, err := c.fs.ReadSmall(CmdlinePath)
	if err != nil {
		return false, err
	}
	return cmdlineHas(s, loaderDisable), nil
}

// KernelLog returns what the kernel logged about microcode at boot and
// where it was read: /dev/kmsg on the running system (needs root where
// kernel.dmesg_restrict is set), else /var/log/dmesg or /var/log/kern.log
// below the root. A ring buffer that has wrapped since boot no longer has
// the lines; EarlyUpdate.Lines is then empty.
func (c *Client) KernelLog(ctx context.Context) (EarlyUpdate, string, error) {
	if c.fs.IsHostRoot() {
		data, err := readKmsg(ctx)
		if err == nil {
			return ParseKernelLog(data), kmsgDevice, nil
		}
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, errors.ErrUnsupported) {
			return EarlyUpdate{}, kmsgDevice, err
		}
	}
	for _, p := range []string{DmesgLogPath, KernLogPath} {
		data, err := c.fs.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return EarlyUpdate{}, p, err
		}
		return ParseKernelLog(data), p, nil
	}
	return EarlyUpdate{}, "", fmt.Errorf("no kernel log to read: %w", fs.ErrNotExist)
}

// Available returns the newest update for the CPU that the firmware files
// below the root offer (what the installed vendor package would load at
// the next boot), and the file it came from.
func (c *Client) Available(cpu CPU) (Update, string, error) {
	name := cpu.FirmwareFile()
	if name == "" {
		return Update{}, "", fmt.Errorf("microcode: vendor %q has no firmware files: %w", cpu.Vendor, fs.ErrNotExist)
	}
	var best Update
	var from string
	found := false
	for _, dir := range []string{FirmwareDir + "/updates", FirmwareDir} {
		p := path.Join(dir, name)
		data, err := c.fs.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Update{}, p, err
		}
		var ups []Update
		if cpu.Vendor == Intel {
			ups, err = ParseIntelFile(data)
		} else {
			ups, err = ParseAMDFile(data)
		}
		if err != nil {
			return Update{}, p, fmt.Errorf("%s: %w", p, err)
		}
		if u, ok := Best(ups, cpu); ok && (!found || u.Revision > best.Revision) {
			best, from, found = u, p, true
		}
	}
	if !found {
		return Update{}, "", fmt.Errorf("microcode: no update for signature 0x%x in %s: %w", cpu.Signature(), path.Join(FirmwareDir, name), fs.ErrNotExist)
	}
	return best, from, nil
}

// State is the whole microcode picture of a host.
type State struct {
	CPUs   []CPU  `json:"cpus"`
	Vendor Vendor `json:"vendor"`
	// Package is the Debian package for the vendor, "" for others.
	Package string `json:"package,omitempty"`
	// Revisions are the distinct running revisions, ascending; more than
	// one means CPUs disagree (Mixed), which the kernel warns about.
	Revisions []uint32 `json:"revisions"`
	Mixed     bool     `json:"mixed"`
	// Hypervisor is true inside a virtual machine, where microcode is the
	// host's business.
	Hypervisor bool `json:"hypervisor"`
	// Available is the newest update the firmware files offer for the
	// boot CPU; nil when there is none (no vendor package installed, or
	// nothing for this CPU).
	Available     *Update `json:"available,omitempty"`
	AvailableFile string  `json:"available_file,omitempty"`
	// Early is what the kernel log says about the early update; EarlyFrom
	// is where it was read ("" if no log could be read).
	Early     EarlyUpdate `json:"early"`
	EarlyFrom string      `json:"early_from,omitempty"`
	// LoaderDisabled is true when the running kernel has dis_ucode_ldr.
	LoaderDisabled bool `json:"loader_disabled"`
	// ConfiguredDisabled is true when the configured command line has
	// dis_ucode_ldr, so that every boot skips the early update;
	// ConfiguredIn is that command line's file and line.
	ConfiguredDisabled bool            `json:"configured_disabled"`
	ConfiguredIn       string          `json:"configured_in,omitempty"`
	Vulnerabilities    []Vulnerability `json:"vulnerabilities"`
}

// Running returns the lowest running revision.
func (s *State) Running() (uint32, bool) {
	if len(s.Revisions) == 0 {
		return 0, false
	}
	return s.Revisions[0], true
}

// RebootNeeded reports whether the firmware files offer a newer revision
// than the CPUs run: an update was installed since boot, or the early
// loader was disabled.
func (s *State) RebootNeeded() bool {
	r, ok := s.Running()
	return ok && s.Available != nil && s.Available.Revision > r
}

// State gathers CPUs, the available update, the kernel log, the loader
// switch and the vulnerabilities. Parts that cannot be read on this root
// (no kernel log, no sysfs) are left empty rather than failing the call.
func (c *Client) State(ctx context.Context) (*State, error) {
	cpus, err := c.CPUs()
	if err != nil {
		return nil, err
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("%s: no processors listed", CPUInfoPath)
	}
	st := &State{CPUs: cpus, Vendor: cpus[0].Vendor, Package: cpus[0].Vendor.Package(), Hypervisor: cpus[0].Hypervisor}
	for _, cpu := range cpus {
		if cpu.HasRevision && !slices.Contains(st.Revisions, cpu.Revision) {
			st.Revisions = append(st.Revisions, cpu.Revision)
		}
	}
	slices.Sort(st.Revisions)
	st.Mixed = len(st.Revisions) > 1
	if u, from, err := c.Available(cpus[0]); err == nil {
		st.Available, st.AvailableFile = &u, from
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if early, from, err := c.KernelLog(ctx); err == nil {
		st.Early, st.EarlyFrom = early, from
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		return nil, err
	}
	if d, err := c.LoaderDisabled(); err == nil {
		st.LoaderDisabled = d
	}
	if d, where, err := c.ConfiguredLoaderDisabled(ctx); err == nil {
		st.ConfiguredDisabled, st.ConfiguredIn = d, where
	}
	if st.Vulnerabilities, err = c.Vulnerabilities(); err != nil {
		return nil, err
	}
	return st, nil
}

// cmdlineHas reports whether a kernel command line has the parameter key
// (bare or key=value) before "--", after which the kernel hands the rest
// to init.
func cmdlineHas(cmdline, key string) bool {
	for _, p := range boot.ParseCmdline(cmdline).Params() {
		if p.Key == "--" && !p.HasValue {
			return false
		}
		if p.Key == key {
			return true
		}
	}
	return false
}

// ConfiguredLoaderDisabled reports whether the configured kernel command
// line (GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, or
// /etc/kernel/cmdline with systemd-boot) carries dis_ucode_ldr, so that
// every boot skips the early update, and where that line is
// ("/etc/default/grub:9").
func (c *Client) ConfiguredLoaderDisabled(ctx context.Context) (bool, string, error) {
	root := c.fs.Dir()
	if c.fs.IsHostRoot() {
		root = ""
	}
	m, err := boot.New(&boot.Config{Root: root})
	if err != nil {
		return false, "", err
	}
	defer m.Close()
	src, err := m.Cmdline(ctx)
	if err != nil {
		return false, "", err
	}
	where := src.File
	if src.Line > 0 {
		where = fmt.Sprintf("%s:%d", src.File, src.Line)
	}
	return cmdlineHas(src.Cmdline, loaderDisable), where, nil
}
