package boot

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// CmdlineSource is the kernel command line a host configures for its
// boot loader, and where.
type CmdlineSource struct {
	// Loader is the boot loader the configuration is for.
	Loader Loader `json:"loader"`
	// File is /etc/kernel/cmdline for systemd-boot, or for GRUB the
	// file whose GRUB_CMDLINE_LINUX_DEFAULT assignment takes effect
	// (/etc/default/grub or a later /etc/default/grub.d/*.cfg).
	File string `json:"file"`
	// Line is the line of the effective assignment (1 for
	// /etc/kernel/cmdline, 0 if there is none yet).
	Line int `json:"line"`
	// Variable is GRUB_CMDLINE_LINUX_DEFAULT for GRUB, "" otherwise.
	Variable string `json:"variable,omitempty"`
	// Cmdline is the configured command line: /etc/kernel/cmdline's
	// first line, or GRUB_CMDLINE_LINUX followed by
	// GRUB_CMDLINE_LINUX_DEFAULT as update-grub joins them.
	Cmdline string `json:"cmdline"`
	// Params are Cmdline's parameters.
	Params []Param `json:"params"`
}

// Get returns the last parameter named key.
func (s *CmdlineSource) Get(key string) (Param, bool) {
	return ParseCmdline(s.Cmdline).Get(key)
}

// RunningCmdline returns the command line the running kernel booted with
// (/proc/cmdline).
func (m *Manager) RunningCmdline() (*Cmdline, error) {
	s, err := m.sys.ReadSmall(procCmdline)
	if err != nil {
		return nil, err
	}
	return ParseCmdline(s), nil
}

// CmdlineLoader returns the boot loader whose configuration holds the
// kernel command line: Config.Loader if set, else systemd-boot when
// proxmox-boot-tool manages ESPs in systemd-boot mode on a UEFI system
// (the spec's "/etc/kernel/cmdline"), else GRUB
// ("GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub").
func (m *Manager) CmdlineLoader(ctx context.Context) Loader {
	if m.cfg.Loader != LoaderUnknown {
		return m.cfg.Loader
	}
	d, err := m.Detect(ctx)
	if err == nil && d.Loader != LoaderUnknown {
		return d.Loader
	}
	if m.isEFI() {
		return LoaderGRUBEFI
	}
	return LoaderGRUBBIOS
}

// Cmdline returns the configured kernel command line and where it lives.
// Changes take effect after a refresh (systemd-boot) or update-grub
// (GRUB), and a reboot.
func (m *Manager) Cmdline(ctx context.Context) (*CmdlineSource, error) {
	l := m.CmdlineLoader(ctx)
	if l == LoaderSystemdBoot {
		line, err := m.firstLine(KernelCmdlineFile)
		if err != nil {
			return nil, err
		}
		c := ParseCmdline(line)
		return &CmdlineSource{Loader: l, File: KernelCmdlineFile, Line: 1, Cmdline: c.String(), Params: c.Params()}, nil
	}
	files, err := m.grubFiles()
	if err != nil {
		return nil, err
	}
	src := &CmdlineSource{Loader: l, File: GrubDefaultFile, Variable: grubCmdlineDefault}
	env := map[string]string{}
	for _, f := range files {
		for _, a := range f.g.Assignments() {
			if a.Key == grubCmdlineDefault {
				src.File, src.Line = f.name, a.Line
			}
		}
		env = f.g.Eval(env)
	}
	c := ParseCmdline(strings.TrimSpace(env[grubCmdlineLinux] + " " + env[grubCmdlineDefault]))
	src.Cmdline, src.Params = c.String(), c.Params()
	return src, nil
}

// CmdlineParam returns the configured parameter named key, if any.
func (m *Manager) CmdlineParam(ctx context.Context, key string) (Param, bool, error) {
	s, err := m.Cmdline(ctx)
	if err != nil {
		return Param{}, false, err
	}
	p, ok := s.Get(key)
	return p, ok, nil
}

// SetCmdlineParam adds p to the configured kernel command line, or
// replaces the value of a parameter with the same key, in the place the
// host's boot loader reads: /etc/kernel/cmdline (systemd-boot) or the
// effective GRUB_CMDLINE_LINUX_DEFAULT assignment (GRUB). Other lines and
// parameters are left as they are. It reports whether a file changed;
// apply the change with Refresh and a reboot.
//
//	m.SetCmdlineParam(ctx, boot.ParseParam("net.naming-scheme=v252"))
//	m.SetCmdlineParam(ctx, boot.ParseParam("dis_ucode_ldr"))
func (m *Manager) SetCmdlineParam(ctx context.Context, p Param) (bool, error) {
	if err := validParam(p); err != nil {
		return false, err
	}
	return m.editCmdline(ctx, func(c *Cmdline, _ string) bool { return c.Set(p) }, true)
}

// RemoveCmdlineParam removes every parameter named key ("key=value"
// removes only that value) from the configured kernel command line: from
// /etc/kernel/cmdline, or from every GRUB_CMDLINE_LINUX and
// GRUB_CMDLINE_LINUX_DEFAULT assignment in /etc/default/grub and
// /etc/default/grub.d/*.cfg. It reports whether a file changed.
func (m *Manager) RemoveCmdlineParam(ctx context.Context, key string) (bool, error) {
	if key == "" || strings.ContainsAny(key, " \t\n") {
		return false, fmt.Errorf("invalid kernel parameter %q", key)
	}
	return m.editCmdline(ctx, func(c *Cmdline, _ string) bool { return c.Remove(key) }, false)
}

func validParam(p Param) error {
	bad := func(s string, extra string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || strings.ContainsRune(extra, r) })
	}
	if p.Key == "" || bad(p.Key, " \"=") || bad(p.Value, "\"") {
		return fmt.Errorf("invalid kernel parameter %q", p.String())
	}
	return nil
}

// editCmdline applies edit to the command line in the loader's place.
// For GRUB with set=true only the effective GRUB_CMDLINE_LINUX_DEFAULT
// assignment is edited (one is appended to /etc/default/grub if none
// exists); with set=false every assignment of both variables is.
func (m *Manager) editCmdline(ctx context.Context, edit func(c *Cmdline, variable string) bool, set bool) (bool, error) {
	lk, err := m.lock(ctx)
	if err != nil {
		return false, err
	}
	defer lk.Unlock()
	if m.CmdlineLoader(ctx) == LoaderSystemdBoot {
		b, d, _, err := m.readFile(KernelCmdlineFile)
		if err != nil {
			return false, err
		}
		first, rest, hasNL := strings.Cut(string(b), "\n")
		c := ParseCmdline(first)
		if err := c.Valid(); err != nil {
			return false, fmt.Errorf("%s:1: %w", KernelCmdlineFile, err)
		}
		if !edit(c, "") {
			return false, nil
		}
		out := c.String()
		if hasNL {
			out += "\n" + rest
		} else {
			out += "\n"
		}
		return true, wrapPath(KernelCmdlineFile, m.fs.WriteFile(KernelCmdlineFile, []byte(out), &rootfs.WriteOptions{Expect: &d}))
	}
	files, err := m.grubFiles()
	if err != nil {
		return false, err
	}
	type target struct {
		f    *grubFile
		line int
		v    string
	}
	var targets []target
	for _, f := range files {
		for _, a := range f.g.Assignments() {
			if a.Key == grubCmdlineDefault || !set && a.Key == grubCmdlineLinux {
				targets = append(targets, target{f, a.Line, a.Key})
			}
		}
	}
	if set {
		if len(targets) == 0 {
			main := files[0]
			c := ParseCmdline("")
			edit(c, grubCmdlineDefault)
			main.g.Set(grubCmdlineDefault, c.String())
			return true, m.writeGrub(main)
		}
		targets = targets[len(targets)-1:]
	}
	changed := map[*grubFile]bool{}
	for _, t := range targets {
		raw, _ := t.f.g.rawValue(t.line)
		c := ParseCmdline(raw)
		if err := c.Valid(); err != nil {
			return false, fmt.Errorf("%s:%d: %s: %w", t.f.name, t.line, t.v, err)
		}
		if edit(c, t.v) {
			t.f.g.setLine(t.line, c.String())
			changed[t.f] = true
		}
	}
	for _, f := range files {
		if changed[f] {
			if err := m.writeGrub(f); err != nil {
				return false, err
			}
		}
	}
	return len(changed) > 0, nil
}

type grubFile struct {
	name   string
	g      *GrubDefaults
	digest rootfs.Digest
}

// grubFiles reads /etc/default/grub and /etc/default/grub.d/*.cfg in the
// order update-grub sources them. A missing /etc/default/grub reads as
// empty.
func (m *Manager) grubFiles() ([]*grubFile, error) {
	names := []string{GrubDefaultFile}
	snippets, _ := m.fs.Glob(path.Join(GrubDefaultDir, "*.cfg"))
	slices.Sort(snippets)
	names = append(names, snippets...)
	var out []*grubFile
	for _, n := range names {
		b, d, _, err := m.readFile(n)
		if err != nil {
			return nil, err
		}
		g, err := ParseGrubDefaults(n, b)
		if err != nil {
			return nil, err
		}
		out = append(out, &grubFile{name: n, g: g, digest: d})
	}
	return out, nil
}

func (m *Manager) writeGrub(f *grubFile) error {
	return wrapPath(f.name, m.fs.WriteFile(f.name, f.g.Format(), &rootfs.WriteOptions{Expect: &f.digest}))
}
