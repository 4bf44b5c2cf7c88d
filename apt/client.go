package apt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Config configures a [Client]. The zero value works on the running
// system.
type Config struct {
	// Root is the system to work on; "" means "/". Files are read and
	// written below it; commands run in it through chroot(8) when it is
	// not "/" (mount /proc, /sys and /dev in the target first).
	Root string
	// Arch is the native architecture; "" means the architecture of the
	// installed dpkg package (what "dpkg --print-architecture" prints).
	Arch string
	// Codename is the installed Debian release, for the suite checks; ""
	// means VERSION_CODENAME of the root's os-release.
	Codename string
}

// Client works with the package system of one root. It is safe for
// concurrent use.
type Client struct {
	fs  *rootfs.FS
	run runner.Runner
	cfg Config

	mu       sync.Mutex
	arch     []string // native first, once known
	keyrings map[string]cachedKeyring
}

// New returns a client for cfg (nil means defaults).
func New(cfg *Config) (*Client, error) {
	c := &Client{run: runner.Default}
	if cfg != nil {
		c.cfg = *cfg
	}
	fsys, err := rootfs.Open(c.cfg.Root)
	if err != nil {
		return nil, err
	}
	c.fs = fsys
	return c, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Architectures returns the architectures APT handles: the native one
// first, then the foreign ones dpkg was told about (dpkg --add-architecture).
func (c *Client) Architectures() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.arch != nil {
		return slices.Clone(c.arch), nil
	}
	native := c.cfg.Arch
	if native == "" {
		st, err := c.Status()
		if err != nil {
			return nil, err
		}
		for i := range st.Packages {
			if p := &st.Packages[i]; p.Name == "dpkg" && p.Installed() {
				native = p.Arch
			}
		}
		if native == "" {
			return nil, fmt.Errorf("apt: cannot tell the native architecture: dpkg is not installed in %s; set Config.Arch", c.fs.Dir())
		}
	}
	archs := []string{native}
	if b, err := c.fs.ReadFile("/var/lib/dpkg/arch"); err == nil {
		for _, a := range strings.Fields(string(b)) {
			if !containsString(archs, a) {
				archs = append(archs, a)
			}
		}
	}
	c.arch = archs
	return slices.Clone(archs), nil
}

// Codename returns the Debian release the root runs ("bookworm").
func (c *Client) Codename() (string, error) {
	if c.cfg.Codename != "" {
		return c.cfg.Codename, nil
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := c.fs.ReadFile(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VERSION_CODENAME="); ok {
				return strings.Trim(v, `"'`), nil
			}
		}
	}
	return "", errors.New("apt: cannot tell the release: no VERSION_CODENAME in os-release; set Config.Codename")
}

// Status reads the dpkg status file.
func (c *Client) Status() (*Status, error) { return readStatus(c.fs) }

// Sources reads the sources files the way APT does.
func (c *Client) Sources() (*Sources, error) { return readSources(c.fs) }

// Preferences reads the pins of /etc/apt/preferences and
// /etc/apt/preferences.d the way APT does.
func (c *Client) Preferences() ([]Pin, error) { return readPreferences(c.fs) }

// PackageLists returns the downloaded Packages lists of the enabled
// entries, in APT's order, with their Release data and default pin
// priority (preferences not applied).
func (c *Client) PackageLists() ([]*PackageList, error) {
	src, err := c.Sources()
	if err != nil {
		return nil, err
	}
	archs, err := c.Architectures()
	if err != nil {
		return nil, err
	}
	return packageLists(c.fs, src, archs), nil
}

// Cache loads the package cache for the packages want selects (nil: the
// installed ones).
func (c *Client) Cache(want func(name string) bool) (*Cache, error) {
	src, err := c.Sources()
	if err != nil {
		return nil, err
	}
	archs, err := c.Architectures()
	if err != nil {
		return nil, err
	}
	return loadCache(c.fs, src, archs, want)
}

// InstalledVersion returns the installed version of a package (native
// architecture or "all", or "name:arch"), or an error wrapping
// [ErrNotInstalled].
func (c *Client) InstalledVersion(name string) (string, error) {
	p, err := c.installed(name)
	if err != nil {
		return "", err
	}
	return p.Version, nil
}

// lookup returns the status entry of a package, nil if dpkg does not know
// it.
func (c *Client) lookup(name string) (*PackageStatus, error) {
	st, err := c.Status()
	if err != nil {
		return nil, err
	}
	archs, err := c.Architectures()
	if err != nil {
		return nil, err
	}
	return st.Lookup(name, archs[0]), nil
}

func (c *Client) installed(name string) (*PackageStatus, error) {
	p, err := c.lookup(name)
	if err != nil {
		return nil, err
	}
	if p == nil || !p.Installed() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotInstalled)
	}
	return p, nil
}

// Held reports whether a package is on hold (apt-mark hold). A package
// that is not installed can be on hold too.
func (c *Client) Held(name string) (bool, error) {
	p, err := c.lookup(name)
	return p != nil && p.Held(), err
}

// HeldPackages returns the names of the packages on hold, as
// "apt-mark showhold" prints them.
func (c *Client) HeldPackages() ([]string, error) {
	st, err := c.Status()
	if err != nil {
		return nil, err
	}
	return st.Held(), nil
}

// Versions returns every available version of a package with its origins,
// newest first, marking the installed one and the candidate: "apt list -a
// NAME". It returns an error wrapping [ErrNoPackage] when neither a list
// nor the status file knows the package.
func (c *Client) Versions(name string) ([]PackageVersion, error) {
	base, _, _ := strings.Cut(name, ":")
	cache, err := c.Cache(func(n string) bool { return n == base })
	if err != nil {
		return nil, err
	}
	vs := cache.Versions(name)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoPackage)
	}
	return vs, nil
}

// Upgradable returns the packages "apt list --upgradable" lists, computed
// from the dpkg status and the downloaded lists, streamed: memory stays
// far below the lists' uncompressed size.
func (c *Client) Upgradable() ([]Upgrade, error) {
	cache, err := c.Cache(nil)
	if err != nil {
		return nil, err
	}
	return cache.Upgradable(), nil
}
