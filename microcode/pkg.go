package microcode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hostadm/hostadm/apt"
)

// packageManager is the part of apt.Client the package flows use.
type packageManager interface {
	InstalledVersion(name string) (string, error)
	Held(name string) (bool, error)
	NonFreeFirmwareEnabled() (bool, error)
	EnableNonFreeFirmware(ctx context.Context) ([]string, error)
	Update(ctx context.Context, fn apt.ProgressFunc) error
	Install(ctx context.Context, name, version string, opt *apt.InstallOptions) error
	Hold(ctx context.Context, names ...string) error
	Versions(name string) ([]apt.PackageVersion, error)
}

// aptManager adapts apt.Client.
type aptManager struct{ *apt.Client }

// Versions lists the versions of one package from APT's cache.
func (a aptManager) Versions(name string) ([]apt.PackageVersion, error) {
	cache, err := a.Cache(func(n string) bool { return n == name })
	if err != nil {
		return nil, err
	}
	return cache.Versions(name), nil
}

// ErrNoPackage is returned for a CPU vendor without a Debian microcode
// package.
var ErrNoPackage = errors.New("no microcode package for this CPU vendor")

// packages returns the package manager of the client's root.
func (c *Client) packages() (packageManager, error) {
	if c.pm != nil {
		return c.pm, nil
	}
	root := c.fs.Dir()
	if c.fs.IsHostRoot() {
		root = ""
	}
	a, err := apt.New(&apt.Config{Root: root})
	if err != nil {
		return nil, err
	}
	c.pm = aptManager{a}
	return c.pm, nil
}

// vendorPackage returns the vendor's package name and the package manager.
func (c *Client) vendorPackage(vendor Vendor) (string, packageManager, error) {
	name := vendor.Package()
	if name == "" {
		return "", nil, fmt.Errorf("%s: %w", vendor, ErrNoPackage)
	}
	pm, err := c.packages()
	return name, pm, err
}

// PackageState is the vendor microcode package as APT sees it.
type PackageState struct {
	Name string `json:"name"`
	// Installed and Version come from the dpkg status file.
	Installed bool   `json:"installed"`
	Version   string `json:"version,omitempty"`
	// Held is true when the package is on hold (apt-mark hold), as the
	// admin guide's downgrade advice leaves it.
	Held bool `json:"held"`
	// NonFreeFirmware is true when every enabled Debian repository has the
	// non-free-firmware component the package lives in.
	NonFreeFirmware bool `json:"non_free_firmware"`
}

// Package reports the state of the vendor's microcode package.
func (c *Client) Package(vendor Vendor) (*PackageState, error) {
	name, pm, err := c.vendorPackage(vendor)
	if err != nil {
		return nil, err
	}
	st := &PackageState{Name: name}
	switch v, err := pm.InstalledVersion(name); {
	case err == nil:
		st.Installed, st.Version = true, v
	case errors.Is(err, apt.ErrNotInstalled):
	default:
		return nil, err
	}
	if st.Installed {
		if st.Held, err = pm.Held(name); err != nil {
			return nil, err
		}
	}
	if st.NonFreeFirmware, err = pm.NonFreeFirmwareEnabled(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return st, nil
}

// Candidate returns the version "apt install" would pick for the vendor
// package, "" when the downloaded lists have none (non-free-firmware not
// enabled, or apt update not run since). It loads APT's lists, which
// takes a moment on a host with many repositories.
func (c *Client) Candidate(vendor Vendor) (string, error) {
	vs, err := c.Versions(vendor)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for _, v := range vs {
		if v.Candidate {
			return v.Version, nil
		}
	}
	return "", nil
}

// Versions lists the versions of the vendor package APT knows, newest
// first, as "apt list -a intel-microcode" shows them: what a downgrade
// can pick from.
func (c *Client) Versions(vendor Vendor) ([]apt.PackageVersion, error) {
	name, pm, err := c.vendorPackage(vendor)
	if err != nil {
		return nil, err
	}
	return pm.Versions(name)
}

// SetupResult says what Setup did.
type SetupResult struct {
	Package string `json:"package"`
	// SourcesChanged are the sources files where non-free-firmware was
	// added.
	SourcesChanged []string `json:"sources_changed,omitempty"`
	Version        string   `json:"version"`
	// RebootNeeded is always true after an install: microcode loads at
	// boot.
	RebootNeeded bool `json:"reboot_needed"`
}

// Setup performs the admin guide's "Set up Early OS Microcode Updates" for
// the vendor: enable the Debian firmware repository (non-free-firmware),
// apt update, install the vendor package. The microcode takes effect at
// the next reboot. It runs apt-get, so it needs root; progress goes to fn
// (may be nil).
func (c *Client) Setup(ctx context.Context, vendor Vendor, fn apt.ProgressFunc) (*SetupResult, error) {
	name, pm, err := c.vendorPackage(vendor)
	if err != nil {
		return nil, err
	}
	res := &SetupResult{Package: name}
	if res.SourcesChanged, err = pm.EnableNonFreeFirmware(ctx); err != nil {
		return nil, fmt.Errorf("enable non-free-firmware: %w", err)
	}
	if err := pm.Update(ctx, fn); err != nil {
		return nil, err
	}
	if err := pm.Install(ctx, name, "", &apt.InstallOptions{Progress: fn}); err != nil {
		return nil, err
	}
	if res.Version, err = pm.InstalledVersion(name); err != nil {
		return nil, err
	}
	res.RebootNeeded = true
	return res, nil
}

// Downgrade installs an earlier version of the vendor package, the admin
// guide's answer to a suspected microcode regression (rather than purging
// the package, which could leave an older persisted microcode in use), and
// puts the package on hold so that upgrades keep it there when hold is
// true. version may end in "*" to pick the newest matching version, as
// "apt install intel-microcode=3.202305*" does. A reboot loads it.
func (c *Client) Downgrade(ctx context.Context, vendor Vendor, version string, hold bool, fn apt.ProgressFunc) (string, error) {
	name, pm, err := c.vendorPackage(vendor)
	if err != nil {
		return "", err
	}
	vs, err := c.Versions(vendor)
	if err != nil {
		return "", err
	}
	picked := ""
	for _, v := range vs { // newest first
		if v.Version == version || strings.HasSuffix(version, "*") && strings.HasPrefix(v.Version, strings.TrimSuffix(version, "*")) {
			picked = v.Version
			break
		}
	}
	if picked == "" {
		var have []string
		for _, v := range vs {
			have = append(have, v.Version)
		}
		return "", fmt.Errorf("%s=%s: no such version (APT knows %s)", name, version, strings.Join(have, ", "))
	}
	if err := pm.Install(ctx, name, picked, &apt.InstallOptions{AllowDowngrade: true, AllowHeld: true, Progress: fn}); err != nil {
		return "", err
	}
	if hold {
		if err := pm.Hold(ctx, name); err != nil {
			return picked, err
		}
	}
	return picked, nil
}
