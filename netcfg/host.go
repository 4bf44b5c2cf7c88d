package netcfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/sysctl"
)

// ErrConflict marks a write refused because the file changed since it was
// read (another editor, the Proxmox VE GUI, or a concurrent hostadm).
var ErrConflict = errors.New("file changed since it was read")

// ErrNoPending marks a commit or diff with no interfaces.new to act on.
var ErrNoPending = errors.New("no pending network changes")

// StagingSuffix is appended to the interfaces file's name for the staging
// file that Proxmox VE writes changes to ("/etc/network/interfaces.new").
const StagingSuffix = ".new"

// lockFile is the lock Proxmox VE's API holds while it edits the network
// configuration, so that hostadm and the GUI exclude each other.
const lockFile = "/etc/network/.interfaces.lock"

// Config configures a [Host].
type Config struct {
	// Root is the system's root directory; "" means "/".
	Root string
	// Path is the interfaces file; "" means /etc/network/interfaces.
	Path string
}

// Host reads and writes a system's network configuration files: the
// interfaces file and its staging copy, link files and the kernel command
// line's naming-scheme pin.
type Host struct {
	fs   *rootfs.FS
	path string
}

// New opens the system at cfg.Root; a nil cfg means the running system.
func New(cfg *Config) (*Host, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	p := cfg.Path
	if p == "" {
		p = DefaultPath
	}
	return &Host{fs: f, path: path.Clean("/" + p)}, nil
}

// Close releases the root directory.
func (h *Host) Close() error { return h.fs.Close() }

// Path returns the interfaces file; StagingPath its staging copy.
func (h *Host) Path() string { return h.path }

// StagingPath returns the staging file, Path with [StagingSuffix].
func (h *Host) StagingPath() string { return h.path + StagingSuffix }

// Snapshot is an interfaces file as read.
type Snapshot struct {
	// Path is the file read (the live file or the staging file).
	Path string
	// Exists is false when the file is missing; then File is empty.
	Exists bool
	// Data is the main file's bytes.
	Data []byte
	// Digest is the SHA-256 of Data in hexadecimal ("" when missing),
	// the revision a later write must still find.
	Digest string
	// File is Data parsed, with its source lines followed.
	File *File
	// Err lists the parse and include errors (the file is usable
	// nonetheless).
	Err error

	digest rootfs.Digest
}

// Network returns the typed model of the snapshot's file.
func (s *Snapshot) Network() *Network { return NewNetwork(s.File) }

func (h *Host) snapshot(name string) (*Snapshot, error) {
	data, d, err := h.fs.ReadFileDigest(name)
	s := &Snapshot{Path: name}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.File = &File{Name: name}
		return s, nil
	case err != nil:
		return nil, err
	}
	s.Exists, s.Data, s.digest, s.Digest = true, data, d, d.String()
	f, perr := Parse(name, data)
	s.File, s.Err = f, perr
	l := &loader{fsys: h.fs.FS()}
	l.stack = []string{name}
	l.count = 1
	l.resolve(f, name)
	if len(l.errs) > 0 {
		s.Err = errors.Join(s.Err, l.errs)
	}
	return s, nil
}

// Current reads the live interfaces file with the files it includes.
func (h *Host) Current() (*Snapshot, error) { return h.snapshot(h.path) }

// Pending reads the staging file; Exists is false when nothing is
// pending.
func (h *Host) Pending() (*Snapshot, error) { return h.snapshot(h.StagingPath()) }

// Editable returns what an edit starts from, as Proxmox VE's API does:
// the staging file when changes are pending, else the live file. Pass it
// to [Host.Stage] with the edited file.
func (h *Host) Editable() (*Snapshot, error) {
	p, err := h.Pending()
	if err != nil || p.Exists {
		return p, err
	}
	return h.Current()
}

// conflict wraps a rootfs conflict so that it matches ErrConflict.
func conflict(err error) error {
	if errors.Is(err, rootfs.ErrConflict) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// Stage writes f as the pending configuration (the staging file), under
// the lock Proxmox VE's API takes. base is the snapshot the edit started
// from ([Host.Editable]); the write is refused with an error matching
// [ErrConflict] when the staging file, or the live file if the edit
// started from it, changed since base was read. Validate f first: Stage
// writes what it is given.
func (h *Host) Stage(ctx context.Context, f *File, base *Snapshot) error {
	lk, err := h.fs.Lock(ctx, lockFile)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	staging := h.StagingPath()
	expect := rootfs.Digest{} // no staging file
	switch base.Path {
	case staging:
		expect = base.digest
	case h.path:
		_, d, err := h.fs.ReadFileDigest(h.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if d != base.digest {
			return fmt.Errorf("%s: %w", h.path, ErrConflict)
		}
	default:
		return fmt.Errorf("stage: base snapshot of %s is neither %s nor %s", base.Path, h.path, staging)
	}
	return conflict(h.fs.WriteFile(staging, f.Format(), &rootfs.WriteOptions{Expect: &expect}))
}

// Diff returns the pending change as a unified diff from the live file
// to the staging file; "" when nothing is pending or they are equal.
func (h *Host) Diff() (string, error) {
	cur, err := h.Current()
	if err != nil {
		return "", err
	}
	p, err := h.Pending()
	if err != nil || !p.Exists {
		return "", err
	}
	return UnifiedDiff(h.path, h.StagingPath(), cur.Data, p.Data), nil
}

// Revert drops the pending change (removes the staging file) under the
// lock. expect, when not "", is the staging file's digest the caller saw;
// a staging file changed since is kept and an error matching ErrConflict
// returned. Reverting with nothing pending does nothing.
func (h *Host) Revert(ctx context.Context, expect string) error {
	lk, err := h.fs.Lock(ctx, lockFile)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	_, d, err := h.fs.ReadFileDigest(h.StagingPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if expect != "" && d.String() != expect {
		return fmt.Errorf("%s: %w", h.StagingPath(), ErrConflict)
	}
	return h.fs.Remove(h.StagingPath())
}

// Committed is what [Host.Commit] replaced, for [Host.Rollback].
type Committed struct {
	// Previous is the live file's content before the commit;
	// PreviousExisted is false when there was none.
	Previous        []byte
	PreviousExisted bool
	// Data and Digest are the committed (now live) content.
	Data   []byte
	Digest string
}

// Commit makes the pending change live, as pvenetcommit does at boot and
// the GUI's Apply does before "ifreload -a": the staging file is renamed
// over the live file atomically, under the lock. expect, when not "", is
// the staging file's digest the caller reviewed; a staging file changed
// since is refused with ErrConflict. With nothing pending it returns an
// error matching [ErrNoPending]. Applying the new file to the kernel is
// the caller's next step (see the live subpackage).
func (h *Host) Commit(ctx context.Context, expect string) (*Committed, error) {
	lk, err := h.fs.Lock(ctx, lockFile)
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	data, d, err := h.fs.ReadFileDigest(h.StagingPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", h.StagingPath(), ErrNoPending)
	}
	if err != nil {
		return nil, err
	}
	if expect != "" && d.String() != expect {
		return nil, fmt.Errorf("%s: %w", h.StagingPath(), ErrConflict)
	}
	prev, _, err := h.fs.ReadFileDigest(h.path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := h.fs.Rename(h.StagingPath(), h.path); err != nil {
		return nil, err
	}
	return &Committed{Previous: prev, PreviousExisted: existed, Data: data, Digest: d.String()}, nil
}

// Rollback undoes a commit: the previous live file is restored and the
// committed content becomes the pending change again, so that nothing is
// lost. It refuses with ErrConflict when the live file changed since the
// commit or a new staging file appeared.
func (h *Host) Rollback(ctx context.Context, c *Committed) error {
	lk, err := h.fs.Lock(ctx, lockFile)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	cur, d, err := h.fs.ReadFileDigest(h.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if !bytes.Equal(cur, c.Data) {
		return fmt.Errorf("%s: %w", h.path, ErrConflict)
	}
	none := rootfs.Digest{}
	if err := h.fs.WriteFile(h.StagingPath(), c.Data, &rootfs.WriteOptions{Expect: &none}); err != nil {
		return conflict(err)
	}
	if !c.PreviousExisted {
		return h.fs.Remove(h.path)
	}
	return conflict(h.fs.WriteFile(h.path, c.Previous, &rootfs.WriteOptions{Expect: &d}))
}

// linkDirs are the directories systemd-udevd reads .link files from, by
// precedence.
var linkDirs = []string{"/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network", "/usr/lib/systemd/network", "/lib/systemd/network"}

// Link is a .link file of the host.
type Link struct {
	// Path is the file.
	Path string
	// HiddenBy is the file of the same name in a directory of higher
	// precedence that hides this one; "" when it is read.
	HiddenBy string
	File     *LinkFile
	// Err holds the file's parse errors.
	Err error
}

// Links reads the .link files systemd-udevd considers, in the order it
// tries them (sorted by file name; the first file whose [Match] section
// matches a device applies), followed by hidden ones.
func (h *Host) Links() ([]Link, error) {
	byName := map[string]*Link{}
	var names []string
	var hidden []Link
	seen := map[string]bool{}
	for _, dir := range linkDirs {
		real, err := h.fs.Resolve(dir)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		ents, err := h.fs.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".link") || e.IsDir() {
				continue
			}
			p := path.Join(dir, e.Name())
			l := Link{Path: p}
			if first, ok := byName[e.Name()]; ok {
				l.HiddenBy = first.Path
				hidden = append(hidden, l)
				continue
			}
			data, err := h.fs.ReadFile(p)
			if err != nil {
				l.Err = err
				l.File = &LinkFile{Name: p}
			} else {
				l.File, l.Err = ParseLink(p, data)
			}
			byName[e.Name()] = &l
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	out := make([]Link, 0, len(names)+len(hidden))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return append(out, hidden...), nil
}

// PinName writes the admin guide's link file that names the device with
// MAC address mac: LinkDir/<prio>-<id>.link (see [PinPath],
// [NewPinLink]); id "" means the name. It refuses to overwrite a
// different existing file, and names another link file already gives to
// a different device or MAC addresses another file already names. The
// new name takes effect after a reboot; the interfaces file must use it.
func (h *Host) PinName(ctx context.Context, prio int, id string, mac net.HardwareAddr, name string) (string, error) {
	if id == "" {
		id = name
	}
	p, err := PinPath(prio, id)
	if err != nil {
		return "", err
	}
	lf, err := NewPinLink(mac, name)
	if err != nil {
		return "", err
	}
	links, err := h.Links()
	if err != nil {
		return "", err
	}
	for _, l := range links {
		if l.HiddenBy != "" || l.Path == p {
			continue
		}
		macs, _ := l.File.MatchMACs()
		sameMAC := slices.ContainsFunc(macs, func(m net.HardwareAddr) bool { return bytes.Equal(m, mac) })
		switch {
		case l.File.LinkName() == name && !sameMAC:
			return "", errorf(ErrLink, "%s already gives the name %s to another device", l.Path, name)
		case sameMAC && l.File.LinkName() != name && l.Path < p:
			return "", errorf(ErrLink, "%s already names %s %s and comes first", l.Path, mac, l.File.LinkName())
		}
	}
	want := lf.Format()
	cur, d, err := h.fs.ReadFileDigest(p)
	switch {
	case err == nil && bytes.Equal(cur, want):
		return p, nil
	case err == nil:
		return "", errorf(ErrLink, "%s exists with other content", p)
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	return p, conflict(h.fs.WriteFile(p, want, &rootfs.WriteOptions{Expect: &d}))
}

// RunningNamingScheme returns the net.naming-scheme= pin of the running
// kernel's command line (/proc/cmdline) and whether there is one.
func (h *Host) RunningNamingScheme() (string, bool, error) {
	s, err := h.fs.ReadSmall("/proc/cmdline")
	if err != nil {
		return "", false, err
	}
	v, ok := NamingScheme(s)
	return v, ok, nil
}

// IPv6File is where [Host.SetIPv6] writes the admin guide's snippet.
const IPv6File = "/etc/sysctl.d/disable-ipv6.conf"

// ipv6Params are the parameters of the guide's snippet.
var ipv6Params = []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"}

// SetIPv6 disables IPv6 on the node the way the admin guide shows (a
// sysctl.d snippet setting net.ipv6.conf.all.disable_ipv6 and
// net.ipv6.conf.default.disable_ipv6 to 1), or with enable removes those
// settings from the snippet again. file "" means [IPv6File]; the edit is
// lossless, locked and atomic. With now, the running kernel is changed
// too. It returns where each parameter is decided at boot: another file
// applied later may override the snippet.
func (h *Host) SetIPv6(ctx context.Context, file string, enable, now bool) ([]sysctl.Setting, error) {
	if file == "" {
		file = IPv6File
	}
	sc, err := sysctl.New(&sysctl.Config{Root: h.fs.Dir()})
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	var out []sysctl.Setting
	for _, p := range ipv6Params {
		var st sysctl.Setting
		if enable {
			st, _, err = sc.Unpersist(ctx, file, p)
		} else {
			st, err = sc.Persist(ctx, file, p, "1")
		}
		if err != nil {
			return out, err
		}
		out = append(out, st)
		if now {
			v := "1"
			if enable {
				v = "0"
			}
			if err := sc.Set(p, v); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
