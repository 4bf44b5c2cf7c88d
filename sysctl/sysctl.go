package sysctl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// ErrName marks a parameter name that cannot name a file under /proc/sys.
var ErrName = errors.New("invalid sysctl name")

// ErrFile marks a persistent file outside the places systemd-sysctl
// reads.
var ErrFile = errors.New("not a sysctl.d file")

// ErrNotApplied marks a file that systemd-sysctl does not read: hidden by
// a file of the same name in a directory of higher precedence, masked, or
// /etc/sysctl.conf without the /etc/sysctl.d/99-sysctl.conf link that
// Debian installs.
var ErrNotApplied = errors.New("file not applied at boot")

// Config configures a [Sysctl].
type Config struct {
	// Root is the root directory of the system; "" means "/". Runtime
	// values are read and written under Root/proc/sys, files under
	// Root/etc/sysctl.d and friends.
	Root string
	// NetNSPath is the path of a network namespace (/run/netns/NAME,
	// /proc/PID/ns/net) whose net.* parameters Get and Set address;
	// "" means the caller's namespace. Linux only.
	NetNSPath string
	// NetNSFD is an open descriptor of such a namespace, used when
	// NetNSPath is empty; 0 means none.
	NetNSFD int
}

// Sysctl reads and sets kernel parameters at runtime and in the files
// systemd-sysctl applies at boot. It is safe for concurrent use.
type Sysctl struct {
	fs    *rootfs.FS
	root  *os.Root
	netns string
	nsfd  int

	beforeWrite func() // test hook: runs between reading and writing a file
}

// New opens the system at cfg.Root. A nil cfg means the running system.
func New(cfg *Config) (*Sysctl, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(f.Dir())
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Sysctl{fs: f, root: r, netns: cfg.NetNSPath, nsfd: cfg.NetNSFD}, nil
}

// Close releases the root directory.
func (s *Sysctl) Close() error {
	return errors.Join(s.root.Close(), s.fs.Close())
}

// procPath returns the root-relative file of a parameter.
func procPath(name string) (string, error) {
	n := Normalize(name)
	if n == "" || n == "." || strings.ContainsAny(n, "*?[") {
		return "", fmt.Errorf("%q: %w", name, ErrName)
	}
	return "proc/sys/" + n, nil
}

// Get returns the runtime value of a parameter ("net.ipv4.ip_forward" or
// "net/ipv4/ip_forward") with the trailing newline removed; values of
// several fields keep their tabs. A missing parameter returns an error
// matching fs.ErrNotExist.
func (s *Sysctl) Get(name string) (string, error) {
	p, err := procPath(name)
	if err != nil {
		return "", err
	}
	var out string
	err = s.inNetNS(name, func() error {
		b, err := s.root.ReadFile(p)
		if err != nil {
			return err
		}
		out = strings.TrimSuffix(string(b), "\n")
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", Dotted(name), unwrapPath(err))
	}
	return out, nil
}

// Set writes a parameter's runtime value. Errors match fs.ErrNotExist for
// a missing parameter and fs.ErrPermission without the privilege; an
// invalid value is refused by the kernel with an error wrapping EINVAL.
func (s *Sysctl) Set(name, value string) error {
	p, err := procPath(name)
	if err != nil {
		return err
	}
	err = s.inNetNS(name, func() error {
		fh, err := s.root.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		_, werr := fh.WriteString(value + "\n")
		return errors.Join(werr, fh.Close())
	})
	if err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", Dotted(name), value, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the *fs.PathError with its host path, keeping the cause
// (which errors.Is still matches).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// inNetNS runs fn in the configured network namespace when the parameter
// is per namespace (net.*), else directly.
func (s *Sysctl) inNetNS(name string, fn func() error) error {
	if (s.netns == "" && s.nsfd == 0) || !strings.HasPrefix(Normalize(name), "net/") {
		return fn()
	}
	return doInNetNS(s.netns, s.nsfd, fn)
}

// Directories that systemd-sysctl reads, by precedence: a file in an
// earlier directory hides a file of the same name in a later one.
var confDirs = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}

// ConfFile is one file systemd-sysctl considers.
type ConfFile struct {
	// Path is where the file is ("/etc/sysctl.d/99-sysctl.conf").
	Path string `json:"path"`
	// Target is where a symbolic link points inside the root
	// ("/etc/sysctl.conf"), "" for a regular file.
	Target string `json:"target,omitempty"`
	// Masked is true for a link to /dev/null or an empty name that hides
	// files of the same name.
	Masked bool `json:"masked,omitempty"`
	// HiddenBy is the file that hides this one, "" when it is read.
	HiddenBy string `json:"hidden_by,omitempty"`
}

// Files returns the sysctl.d files systemd-sysctl applies, in the order it
// applies them (sorted by file name across the directories), followed by
// the files it skips: hidden by a file of the same name in a directory of
// higher precedence, or masked.
func (s *Sysctl) Files() ([]ConfFile, error) {
	byName := map[string]*ConfFile{}
	var names []string
	var hidden []ConfFile
	seenDir := map[string]bool{}
	for _, dir := range confDirs {
		real, err := s.fs.Resolve(dir)
		if err != nil || seenDir[real] {
			continue // /lib is /usr/lib on a merged-/usr system
		}
		seenDir[real] = true
		ents, err := s.fs.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".conf") {
				continue
			}
			p := path.Join(dir, e.Name())
			cf := ConfFile{Path: p}
			if e.Type()&fs.ModeSymlink != 0 {
				if t, err := s.fs.Resolve(p); err == nil {
					cf.Target = "/" + strings.TrimPrefix(t, "/")
					cf.Masked = cf.Target == "/dev/null"
				}
			} else if e.IsDir() {
				continue
			}
			if first, ok := byName[e.Name()]; ok {
				cf.HiddenBy = first.Path
				hidden = append(hidden, cf)
				continue
			}
			byName[e.Name()] = &cf
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var out []ConfFile
	for _, n := range names {
		cf := byName[n]
		if cf.Masked {
			hidden = append(hidden, *cf)
			continue
		}
		out = append(out, *cf)
	}
	return append(out, hidden...), nil
}

// Setting is the value a parameter gets at boot and where it comes from.
type Setting struct {
	// Name is the parameter in dotted form, or the glob pattern.
	Name  string `json:"name"`
	Value string `json:"value"`
	// File and Line say where the winning assignment is.
	File string `json:"file"`
	Line int    `json:"line"`
	// Glob is true when Name is a glob pattern.
	Glob bool `json:"glob,omitempty"`
	// IgnoreErrors is true for a "-name = value" assignment.
	IgnoreErrors bool `json:"ignore_errors,omitempty"`
	// Overrides are the earlier assignments of the same name that this
	// one replaces, as "file:line".
	Overrides []string `json:"overrides,omitempty"`
}

// Effective returns what systemd-sysctl will set at boot: for every
// parameter and glob pattern, the last assignment in file order, with the
// assignments it overrides, and the names excluded from globs. Parse
// errors in the files are returned joined, with the settings of the
// readable lines.
func (s *Sysctl) Effective() ([]Setting, []string, error) {
	files, err := s.Files()
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	var order []string
	win := map[string]*Setting{}
	var excluded []string
	for _, cf := range files {
		if cf.HiddenBy != "" || cf.Masked {
			continue
		}
		data, err := s.fs.ReadFile(cf.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := Parse(cf.Path, data)
		if err != nil {
			errs = append(errs, err)
		}
		for _, l := range f.Lines {
			switch {
			case l.Exclude:
				excluded = append(excluded, Dotted(l.Key))
			case l.IsAssignment():
				key := Normalize(l.Key)
				st := &Setting{Name: Dotted(l.Key), Value: l.Value, File: cf.Path, Line: l.Num,
					Glob: strings.ContainsAny(key, "*?["), IgnoreErrors: l.IgnoreErrors}
				if prev := win[key]; prev != nil {
					st.Overrides = append(prev.Overrides, fmt.Sprintf("%s:%d", prev.File, prev.Line))
				} else {
					order = append(order, key)
				}
				win[key] = st
			}
		}
	}
	out := make([]Setting, 0, len(order))
	for _, k := range order {
		out = append(out, *win[k])
	}
	return out, excluded, errors.Join(errs...)
}

// Lookup returns the setting that decides name at boot: its explicit
// assignment, else the last glob pattern matching it (unless name is
// excluded from globs). ok is false when no file sets it.
func (s *Sysctl) Lookup(name string) (st Setting, ok bool, err error) {
	all, excluded, err := s.Effective()
	key := Normalize(name)
	for _, x := range all {
		if !x.Glob && Normalize(x.Name) == key {
			return x, true, err
		}
	}
	if slices.ContainsFunc(excluded, func(e string) bool { return Normalize(e) == key }) {
		return Setting{}, false, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if x := all[i]; x.Glob {
			if m, _ := path.Match(Normalize(x.Name), key); m {
				return x, true, err
			}
		}
	}
	return Setting{}, false, err
}

const lockFile = "/run/lock/hostadm-sysctl.lock"

// checkConfPath accepts /etc/sysctl.conf and NAME.conf files directly in
// one of the sysctl.d directories.
func checkConfPath(name string) (string, error) {
	p := path.Clean("/" + name)
	if p == "/etc/sysctl.conf" {
		return p, nil
	}
	if strings.HasSuffix(p, ".conf") && slices.Contains(confDirs, path.Dir(p)) && !strings.HasPrefix(path.Base(p), ".") {
		return p, nil
	}
	return "", fmt.Errorf("%s: want /etc/sysctl.conf or NAME.conf in %s: %w", name, strings.Join(confDirs, ", "), ErrFile)
}

// Persist sets name to value in file (such as
// "/etc/sysctl.d/disable-ipv6.conf" or "/etc/sysctl.conf"), creating it if
// needed: the file's last assignment of name is changed in place, or a
// line is appended; every other byte stays. The edit holds a lock, is
// atomic, and is refused with an error matching rootfs's conflict error
// if the file changes while it is being edited.
//
// It returns the setting that will decide name at boot, which is in
// another file when a file applied later (or an explicit name, for a
// glob) overrides it: compare its File with file.
//
// A file that systemd-sysctl does not read is still written, and the error
// matches [ErrNotApplied].
func (s *Sysctl) Persist(ctx context.Context, file, name, value string) (Setting, error) {
	st, ok, err := s.edit(ctx, file, name, func(f *File) bool { return f.Set(name, value) })
	if err == nil && !ok {
		err = fmt.Errorf("%s: %w", file, ErrNotApplied)
	}
	return st, err
}

// Unpersist removes every assignment of name from file and returns the
// setting that then decides name at boot (ok false if none).
func (s *Sysctl) Unpersist(ctx context.Context, file, name string) (Setting, bool, error) {
	return s.edit(ctx, file, name, func(f *File) bool { return f.Delete(name) })
}

func (s *Sysctl) edit(ctx context.Context, file, name string, change func(*File) bool) (Setting, bool, error) {
	p, err := checkConfPath(file)
	if err != nil {
		return Setting{}, false, err
	}
	if _, err := procPath(name); err != nil && !strings.ContainsAny(name, "*?[") {
		return Setting{}, false, err
	}
	lk, err := s.fs.Lock(ctx, lockFile)
	if err != nil {
		return Setting{}, false, err
	}
	defer lk.Unlock()
	data, d, err := s.fs.ReadFileDigest(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Setting{}, false, err
	}
	f, _ := Parse(p, data)
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	if change(f) {
		if err := s.fs.WriteFile(p, f.Format(), &rootfs.WriteOptions{Expect: &d}); err != nil {
			return Setting{}, false, err
		}
	}
	st, ok, err := s.Lookup(name)
	if err != nil {
		return st, ok, err
	}
	if ok && st.File != p && !s.applies(p) {
		// The file was written, but systemd-sysctl does not read it.
		return st, false, nil
	}
	return st, ok, nil
}

// applies reports whether systemd-sysctl reads the file at p (directly
// or through a link such as 99-sysctl.conf -> ../sysctl.conf).
func (s *Sysctl) applies(p string) bool {
	files, err := s.Files()
	if err != nil {
		return false
	}
	for _, cf := range files {
		if cf.HiddenBy == "" && !cf.Masked && (cf.Path == p || cf.Target == p) {
			return true
		}
	}
	return false
}
