package zfs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ImportOptions tune ImportPool. A nil *ImportOptions means the zero
// value.
type ImportOptions struct {
	// Dirs are directories to search for devices (-d); empty means
	// ZFS's default, /dev/disk/by-id among others.
	Dirs []string
	// NewName imports the pool under another name.
	NewName string
	// Force imports a pool that another system used last (-f).
	Force bool
	// NoMount imports without mounting file systems (-N).
	NoMount bool
	// Altroot sets an alternate root (-R).
	Altroot string
}

// Pools lists the imported pools.
func (c *Client) Pools(ctx context.Context) ([]Pool, error) { return c.backend.Pools(ctx) }

// Status returns the status of one pool, its vdev tree with error
// counters, scrub or resilver progress and data errors.
func (c *Client) Status(ctx context.Context, pool string) (*PoolStatus, error) {
	if err := ValidatePoolName(pool); err != nil {
		return nil, err
	}
	st, err := c.backend.PoolStatus(ctx, pool)
	if err != nil {
		return nil, err
	}
	if len(st) != 1 {
		return nil, fmt.Errorf("zfs: status of %s: got %d pools: %w", pool, len(st), ErrNotFound)
	}
	return st[0], nil
}

// Statuses returns the status of every imported pool.
func (c *Client) Statuses(ctx context.Context) ([]*PoolStatus, error) {
	return c.backend.PoolStatus(ctx, "")
}

// CreatePool creates the pool a plan describes (zpool create -f, as the
// admin guide does: the plan was validated, and the disks may carry old
// labels).
func (c *Client) CreatePool(ctx context.Context, p *Plan) error {
	if p == nil || len(p.Vdevs) == 0 {
		return invalidf("empty plan")
	}
	if err := ValidatePoolName(p.Pool); err != nil {
		return err
	}
	return c.backend.CreatePool(ctx, p)
}

// AddDevices adds cache, log, special or spare devices to an existing
// pool: build them with a Layout whose Pool is the pool, Level RAID0
// and no Disks, and pass its Cache, Log, Special and Spares. The admin
// guide's warning applies: adding a special device cannot be undone.
func (c *Client) AddDevices(ctx context.Context, pool string, add *Layout, force bool) (*Plan, error) {
	if add == nil {
		return nil, invalidf("nothing to add")
	}
	if err := ValidatePoolName(pool); err != nil {
		return nil, err
	}
	l := *add
	l.Pool, l.Level = pool, RAID0
	if len(l.Disks) > 0 {
		return nil, invalidf("AddDevices adds cache, log, special and spare devices; data vdevs change the pool's redundancy")
	}
	if len(l.Cache)+len(l.Log)+len(l.Special)+len(l.Spares) == 0 {
		return nil, invalidf("nothing to add")
	}
	p := &Plan{Pool: pool, Level: RAID0}
	if err := checkDevices(&l); err != nil {
		return nil, err
	}
	var err error
	if len(l.Special) > 0 {
		if p.Special, _, err = auxVdevs("special", l.Special, l.SpecialMirror); err != nil {
			return nil, err
		}
	}
	if len(l.Log) > 0 {
		if p.Log, _, err = auxVdevs("log", l.Log, l.LogMirror); err != nil {
			return nil, err
		}
	}
	p.Cache, p.Spares = slices.Clone(l.Cache), slices.Clone(l.Spares)
	if len(p.Special) > 0 {
		st, err := c.Status(ctx, pool)
		if err != nil {
			return nil, err
		}
		red, sred := Redundancy(st, ClassNormal), specialRedundancy(p.Special)
		if sred < red {
			p.warn("the special vdevs survive %d failed disks, the pool %d: the special device is a point of failure for the whole pool", sred, red)
		}
	}
	p.Argv = append([]string{"zpool", "add"}, addFlags(force)...)
	p.Argv = append(append(p.Argv, pool), p.VdevArgs()...)
	return p, c.backend.AddVdevs(ctx, p, force)
}

func addFlags(force bool) []string {
	if force {
		return []string{"-f"}
	}
	return nil
}

func specialRedundancy(vs []VdevSpec) int {
	r := -1
	for _, v := range vs {
		n := 0
		if v.Type == "mirror" {
			n = len(v.Devices) - 1
		}
		if r < 0 || n < r {
			r = n
		}
	}
	return max(r, 0)
}

// Redundancy returns how many disks each top-level vdev of a class can
// lose without losing the pool: the smallest over the class's vdevs.
func Redundancy(st *PoolStatus, class string) int {
	r := -1
	for _, v := range st.Class(class) {
		n := 0
		switch {
		case v.Type == "mirror":
			n = len(v.Children) - 1
		case strings.HasPrefix(v.Type, "raidz") || strings.HasPrefix(v.Type, "draid"):
			n = int(v.Type[len(v.Type)-1] - '0')
		}
		if r < 0 || n < r {
			r = n
		}
	}
	return max(r, 0)
}

// ReplaceDevice replaces old with new in pool (zpool replace), which
// starts a resilver; WaitResilver follows it.
func (c *Client) ReplaceDevice(ctx context.Context, pool, old, new string, force bool) error {
	if err := ValidatePoolName(pool); err != nil {
		return err
	}
	for _, d := range []string{old, new} {
		if d == "" || strings.HasPrefix(d, "-") || strings.ContainsAny(d, "\n\x00") {
			return invalidf("invalid device %q", d)
		}
	}
	if old == new {
		return invalidf("old and new device are both %s", old)
	}
	return c.backend.ReplaceDevice(ctx, pool, old, new, force)
}

// WaitResilver polls the pool's status every interval (zero means 5 s)
// until no resilver runs and the replaced devices are detached (which
// the kernel does shortly after a successful resilver; a replacement
// still attached 30 s after the scan ended, because the resilver found
// errors, ends the wait), calling progress, when set, with each scan
// state. It returns the final status.
func (c *Client) WaitResilver(ctx context.Context, pool string, interval time.Duration, progress func(*Scan)) (*PoolStatus, error) {
	return c.waitScan(ctx, pool, "resilver", interval, progress)
}

// detachWait is how long WaitResilver waits for the kernel to detach a
// replaced device after the resilver.
const detachWait = 30 * time.Second

// ScrubAction is what Scrub does.
type ScrubAction int

// Scrub actions, as zpool scrub, zpool scrub -p and zpool scrub -s.
const (
	// ScrubStart starts a scrub, or resumes a paused one.
	ScrubStart ScrubAction = iota
	// ScrubPause pauses the running scrub; ScrubStart resumes it.
	ScrubPause
	// ScrubStop cancels the running scrub.
	ScrubStop
)

// Scrub starts, pauses or stops a scrub of pool, which reads every
// block and repairs what redundancy allows; WaitScrub follows it.
func (c *Client) Scrub(ctx context.Context, pool string, action ScrubAction) error {
	if err := ValidatePoolName(pool); err != nil {
		return err
	}
	if action < ScrubStart || action > ScrubStop {
		return invalidf("unknown scrub action %d", action)
	}
	return c.backend.Scrub(ctx, pool, action)
}

// WaitScrub polls the pool's status every interval (zero means 5 s)
// until no scrub runs, calling progress, when set, with each scan state.
// A paused scrub ends the wait. It returns the final status.
func (c *Client) WaitScrub(ctx context.Context, pool string, interval time.Duration, progress func(*Scan)) (*PoolStatus, error) {
	return c.waitScan(ctx, pool, "scrub", interval, progress)
}

func (c *Client) waitScan(ctx context.Context, pool, function string, interval time.Duration, progress func(*Scan)) (*PoolStatus, error) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	// After a resilver the kernel detaches the replaced device on its
	// own, shortly after the scan ends: wait up to detachWait for it.
	var finished time.Time
	for {
		st, err := c.Status(ctx, pool)
		if err != nil {
			return nil, err
		}
		running := st.Scan != nil && st.Scan.Function == function && st.Scan.State == "scanning"
		if !running && function == "resilver" {
			replacing := false
			st.Root.Walk(func(v *Vdev, _ int) {
				running = running || v.Resilvering()
				replacing = replacing || v.Type == "replacing"
			})
			if !running && replacing {
				if finished.IsZero() {
					finished = time.Now()
				}
				running = time.Since(finished) < detachWait
			}
		}
		if progress != nil && st.Scan != nil {
			progress(st.Scan)
		}
		if !running {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// ImportPool imports an exported pool.
func (c *Client) ImportPool(ctx context.Context, name string, opts *ImportOptions) error {
	if err := ValidatePoolName(name); err != nil {
		return err
	}
	if opts != nil && opts.NewName != "" {
		if err := ValidatePoolName(opts.NewName); err != nil {
			return err
		}
	}
	return c.backend.ImportPool(ctx, name, opts)
}

// ExportPool exports a pool.
func (c *Client) ExportPool(ctx context.Context, pool string, force bool) error {
	if err := ValidatePoolName(pool); err != nil {
		return err
	}
	return c.backend.ExportPool(ctx, pool, force)
}

// DestroyPool destroys a pool and everything on it.
func (c *Client) DestroyPool(ctx context.Context, pool string, force bool) error {
	if err := ValidatePoolName(pool); err != nil {
		return err
	}
	return c.backend.DestroyPool(ctx, pool, force)
}

// PoolProperties returns properties of a pool; no names means all.
func (c *Client) PoolProperties(ctx context.Context, pool string, names ...string) ([]Property, error) {
	if err := ValidatePoolName(pool); err != nil {
		return nil, err
	}
	return c.backend.PoolProperties(ctx, pool, names...)
}

// Feature is a pool feature flag.
type Feature struct {
	Name string `json:"name"` // without the "feature@" prefix
	// State is "disabled", "enabled" or "active".
	State string `json:"state"`
}

// Features returns a pool's feature flags (zpool get all, the feature@
// properties).
func (c *Client) Features(ctx context.Context, pool string) ([]Feature, error) {
	props, err := c.PoolProperties(ctx, pool)
	if err != nil {
		return nil, err
	}
	var out []Feature
	for _, p := range props {
		if name, ok := strings.CutPrefix(p.Name, "feature@"); ok {
			out = append(out, Feature{Name: name, State: p.Value})
		}
	}
	return out, nil
}

// UpgradeOptions tune UpgradePool and EnableFeature.
type UpgradeOptions struct {
	// IgnoreBootRisk enables features even on a pool that the host's
	// GRUB reads, which the admin guide warns makes the host unbootable.
	IgnoreBootRisk bool
}

// UpgradePool enables every supported feature on a pool (zpool
// upgrade). It refuses with ErrBootRisk when GRUB reads the pool to boot
// the host (root on the pool, no ESPs managed by proxmox-boot-tool),
// since GRUB's ZFS cannot read pools with new features.
func (c *Client) UpgradePool(ctx context.Context, pool string, opts *UpgradeOptions) error {
	if err := c.checkBootRisk(ctx, pool, opts); err != nil {
		return err
	}
	return c.backend.UpgradePool(ctx, pool)
}

// EnableFeature enables one feature (zpool set feature@NAME=enabled), as
// the admin guide does for encryption, with UpgradePool's boot check.
func (c *Client) EnableFeature(ctx context.Context, pool, feature string, opts *UpgradeOptions) error {
	feature = strings.TrimPrefix(feature, "feature@")
	if feature == "" || strings.ContainsAny(feature, "= \t\n,") {
		return invalidf("invalid feature name %q", feature)
	}
	if err := c.checkBootRisk(ctx, pool, opts); err != nil {
		return err
	}
	return c.backend.SetPoolProperty(ctx, pool, "feature@"+feature, "enabled")
}

// BootInfo says how the host boots from ZFS, for the feature-upgrade
// check.
type BootInfo struct {
	// RootDataset is the ZFS dataset mounted at /, if any.
	RootDataset string `json:"root_dataset,omitempty"`
	// EFI is true when the host booted in EFI mode.
	EFI bool `json:"efi"`
	// ManagedESPs is true when proxmox-boot-tool (or the older
	// pve-efiboot-tool) keeps kernels on EFI system partitions, so that
	// the boot loader does not read the pool.
	ManagedESPs bool `json:"managed_esps"`
}

// GRUBReadsPool reports whether the boot loader reads pool to boot: root
// is on it and the kernels are not on ESPs managed by proxmox-boot-tool.
func (b BootInfo) GRUBReadsPool(pool string) bool {
	return b.RootDataset != "" && PoolOf(b.RootDataset) == pool && !b.ManagedESPs
}

// Boot inspects the host's boot setup: the root file system in
// /proc/self/mounts, /sys/firmware/efi and
// /etc/kernel/proxmox-boot-uuids.
func (c *Client) Boot() BootInfo {
	var b BootInfo
	b.RootDataset = rootDataset(c.fs)
	b.EFI = c.fs.Exists("/sys/firmware/efi")
	for _, f := range []string{"/etc/kernel/proxmox-boot-uuids", "/etc/kernel/pve-efiboot-uuids"} {
		if data, err := c.fs.ReadFile(f); err == nil && len(strings.Fields(string(data))) > 0 {
			b.ManagedESPs = true
		}
	}
	return b
}

func (c *Client) checkBootRisk(ctx context.Context, pool string, opts *UpgradeOptions) error {
	if err := ValidatePoolName(pool); err != nil {
		return err
	}
	if opts != nil && opts.IgnoreBootRisk {
		return nil
	}
	b := c.Boot()
	if b.GRUBReadsPool(pool) {
		return fmt.Errorf("zfs: %s holds the root file system %s and the host boots with GRUB reading it (no ESPs managed by proxmox-boot-tool): new features make it unbootable: %w", pool, b.RootDataset, ErrBootRisk)
	}
	if b.RootDataset == "" {
		// A pool with bootfs set is meant to be booted from.
		props, err := c.backend.PoolProperties(ctx, pool, "bootfs")
		if err != nil {
			return err
		}
		if len(props) == 1 && dash(props[0].Value) != "" && !b.ManagedESPs {
			return fmt.Errorf("zfs: %s has bootfs=%s and no ESPs are managed by proxmox-boot-tool: GRUB may boot from it: %w", pool, props[0].Value, ErrBootRisk)
		}
	}
	return nil
}

// IsNotFound reports whether err says a pool or dataset does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
