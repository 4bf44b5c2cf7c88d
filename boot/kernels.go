package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Kernels is the kernel selection of proxmox-boot-tool: which kernel
// versions are kept bootable on the ESPs (or by GRUB), and why.
type Kernels struct {
	// Running is the running kernel, if its image is still in /boot.
	Running string `json:"running,omitempty"`
	// Installing is the version being installed (a package hook's
	// argument), if any.
	Installing string `json:"installing,omitempty"`
	// Installed are the versions of installed kernel packages, newest
	// first (series meta-packages such as "6.8" included).
	Installed []string `json:"installed"`
	// Latest are the two newest installed kernels.
	Latest []string `json:"latest"`
	// OldSeriesLatest is the newest kernel of the second-to-last series.
	OldSeriesLatest string `json:"old_series_latest,omitempty"`
	// Manual are the kernels in /etc/kernel/proxmox-boot-manual-kernels.
	Manual []string `json:"manual"`
	// Pinned is the version in /etc/kernel/proxmox-boot-pin.
	Pinned string `json:"pinned,omitempty"`
	// NextBoot is the version in /etc/kernel/next-boot-pin.
	NextBoot string `json:"next_boot,omitempty"`
	// Selected is the boot list: all of the above, newest first.
	Selected []string `json:"selected"`
	// Automatic is Selected without the manual kernels, as
	// `proxmox-boot-tool kernel list` shows them.
	Automatic []string `json:"automatic"`
}

// Default returns the kernel the boot loader starts by default: the
// next-boot pin, else the pin, else "" (the newest entry).
func (k *Kernels) Default() string {
	if k.NextBoot != "" {
		return k.NextBoot
	}
	return k.Pinned
}

var (
	kernelPkg = regexp.MustCompile(`^(proxmox|pve)-kernel-([0-9]+\..+)$`)
	seriesRe  = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// compareKernels orders kernel versions by Debian version rules.
func compareKernels(a, b string) int {
	if c := compareVersions(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func sortNewestFirst(v []string) []string {
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b string) int { return compareKernels(b, a) })
	return slices.Compact(v)
}

// installedKernels lists the versions of installed kernel packages
// (proxmox-kernel-*, pve-kernel-*, without -signed, -dbg and -dbgsym) from
// the dpkg status file; without one, the kernel images in /boot.
func (m *Manager) installedKernels() ([]string, error) {
	b, err := m.fs.ReadFile(dpkgStatusFile)
	if errors.Is(err, fs.ErrNotExist) {
		imgs, _ := m.fs.Glob("/boot/vmlinuz-*")
		var out []string
		for _, p := range imgs {
			out = append(out, strings.TrimPrefix(path.Base(p), "vmlinuz-"))
		}
		return sortNewestFirst(out), nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parseDpkgStatus(b) {
		// proxmox-boot-tool keeps packages selected for install or hold
		// whose state is neither not-installed nor config-files.
		if p.want != "install" && p.want != "hold" || p.state == "not-installed" || p.state == "config-files" {
			continue
		}
		mt := kernelPkg.FindStringSubmatch(p.name)
		if mt == nil || strings.HasSuffix(p.name, "-dbg") || strings.HasSuffix(p.name, "-dbgsym") {
			continue
		}
		out = append(out, strings.TrimSuffix(mt[2], "-signed"))
	}
	return sortNewestFirst(out), nil
}

// listFile reads a one-entry-per-line list file; a missing file is empty.
func (m *Manager) listFile(name string) ([]string, error) {
	b, _, _, err := m.readFile(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// Kernels computes the kernel selection exactly as proxmox-boot-tool does:
// the running kernel (if its image is still in /boot), the one being
// installed (installing, may be ""), the two latest installed, the latest
// of the second-to-last series, the manually selected ones, and the
// pinned and next-boot versions.
func (m *Manager) Kernels(ctx context.Context, installing string) (*Kernels, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := &Kernels{Installing: installing}
	var err error
	if k.Installed, err = m.installedKernels(); err != nil {
		return nil, err
	}
	if r := m.kernelRelease(); r != "" && m.fs.Exists("/boot/vmlinuz-"+r) {
		k.Running = r
	}
	var series []string
	for _, v := range k.Installed {
		if strings.Contains(v, "-pve") {
			if len(k.Latest) < 2 {
				k.Latest = append(k.Latest, v)
			}
		} else if len(series) < 2 {
			series = append(series, v)
		}
	}
	if len(series) > 0 {
		old := series[len(series)-1]
		for _, v := range k.Installed {
			if strings.HasPrefix(v, old+".") && strings.Contains(v, "-pve") {
				k.OldSeriesLatest = v
				break
			}
		}
	}
	if k.Manual, err = m.listFile(ManualKernelsFile); err != nil {
		return nil, err
	}
	if k.Pinned, err = m.firstLine(PinFile); err != nil {
		return nil, err
	}
	if k.NextBoot, err = m.firstLine(NextBootPinFile); err != nil {
		return nil, err
	}
	all := []string{k.Running, installing, k.OldSeriesLatest, k.Pinned, k.NextBoot}
	all = append(all, k.Latest...)
	all = append(all, k.Manual...)
	var sel []string
	for _, v := range all {
		if v != "" && !seriesRe.MatchString(v) {
			sel = append(sel, v)
		}
	}
	k.Selected = sortNewestFirst(sel)
	k.Automatic = []string{}
	for _, v := range k.Selected {
		if !slices.Contains(k.Manual, v) {
			k.Automatic = append(k.Automatic, v)
		}
	}
	// Empty lists, not null, in JSON.
	for _, l := range []*[]string{&k.Installed, &k.Latest, &k.Manual, &k.Selected} {
		if *l == nil {
			*l = []string{}
		}
	}
	return k, nil
}

// AddKernel adds version to the manually selected kernels
// (/etc/kernel/proxmox-boot-manual-kernels, kept sorted and unique). The
// image /boot/vmlinuz-VERSION must exist (ErrNoKernel). Run Refresh
// afterwards.
func (m *Manager) AddKernel(ctx context.Context, version string) error {
	if err := validVersion(version); err != nil {
		return err
	}
	if !m.fs.Exists("/boot/vmlinuz-" + version) {
		return fmt.Errorf("%w for %q, not adding", ErrNoKernel, version)
	}
	return m.editList(ctx, ManualKernelsFile, func(l []string) []string { return append(l, version) })
}

// RemoveKernel removes version from the manually selected kernels and
// reports whether it was there. Run Refresh afterwards.
func (m *Manager) RemoveKernel(ctx context.Context, version string) (bool, error) {
	if err := validVersion(version); err != nil {
		return false, err
	}
	found := false
	err := m.editList(ctx, ManualKernelsFile, func(l []string) []string {
		n := len(l)
		l = slices.DeleteFunc(l, func(s string) bool { return s == version })
		found = len(l) != n
		return l
	})
	return found, err
}

// editList rewrites a list file through edit, sorted and unique as
// proxmox-boot-tool keeps it.
func (m *Manager) editList(ctx context.Context, name string, edit func([]string) []string) error {
	lk, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	b, d, existed, err := m.readFile(name)
	if err != nil {
		return err
	}
	var l []string
	for s := range strings.SplitSeq(string(b), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			l = append(l, s)
		}
	}
	l = edit(l)
	slices.Sort(l)
	l = slices.Compact(l)
	out := strings.Join(l, "\n")
	if len(l) > 0 {
		out += "\n"
	}
	if existed && out == string(b) {
		return nil
	}
	return wrapPath(name, m.fs.WriteFile(name, []byte(out), &rootfs.WriteOptions{Expect: &d}))
}

func validVersion(v string) error {
	if v == "" || strings.ContainsAny(v, "/ \t\n") || v == "." || v == ".." {
		return fmt.Errorf("invalid kernel version %q", v)
	}
	return nil
}

// Pin makes version the default kernel: permanently
// (/etc/kernel/proxmox-boot-pin) or for the next boot only
// (/etc/kernel/next-boot-pin). The image must be in /boot. On a system
// that proxmox-boot-tool does not manage, the GRUB default is set too (see
// SetGrubDefault). Run Refresh afterwards on managed systems. It returns
// the version it replaced, if any.
func (m *Manager) Pin(ctx context.Context, version string, nextBoot bool) (string, error) {
	if err := validVersion(version); err != nil {
		return "", err
	}
	if !m.fs.Exists("/boot/vmlinuz-" + version) {
		return "", fmt.Errorf("%w for %q, not setting default", ErrNoKernel, version)
	}
	file := PinFile
	if nextBoot {
		file = NextBootPinFile
	}
	lk, err := m.lock(ctx)
	if err != nil {
		return "", err
	}
	old, err := m.firstLine(file)
	if err != nil {
		lk.Unlock()
		return "", err
	}
	_, d, _, _ := m.readFile(file)
	err = wrapPath(file, m.fs.WriteFile(file, []byte(version+"\n"), &rootfs.WriteOptions{Expect: &d}))
	lk.Unlock()
	if err != nil {
		return old, err
	}
	if !m.fs.Exists(ESPListFile) {
		k, err := m.Kernels(ctx, "")
		if err != nil {
			return old, err
		}
		return old, m.SetGrubDefault(ctx, k.Default())
	}
	return old, nil
}

// Unpin removes the next-boot pin and, unless nextBootOnly, the permanent
// pin. It returns the version that was pinned last ("" if none).
func (m *Manager) Unpin(ctx context.Context, nextBootOnly bool) (string, error) {
	last, err := m.firstLine(NextBootPinFile)
	if err != nil {
		return "", err
	}
	if err := m.removeFile(NextBootPinFile); err != nil {
		return last, err
	}
	if !nextBootOnly {
		pinned, err := m.firstLine(PinFile)
		if err != nil {
			return last, err
		}
		if pinned != "" {
			last = pinned
		}
		if err := m.removeFile(PinFile); err != nil {
			return last, err
		}
	}
	if !m.fs.Exists(ESPListFile) {
		k, err := m.Kernels(ctx, "")
		if err != nil {
			return last, err
		}
		return last, m.SetGrubDefault(ctx, k.Default())
	}
	return last, nil
}

func (m *Manager) removeFile(name string) error {
	if err := m.fs.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrapPath(name, err)
	}
	return nil
}
