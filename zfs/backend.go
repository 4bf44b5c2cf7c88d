package zfs

import (
	"context"
	"fmt"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Backend performs pool and dataset operations. The package's own
// backend drives the zpool and zfs commands; the cgo backend in package
// github.com/hostadm/hostadm/zfs/libzfs calls libzfs directly. Both
// return the same types and the same errors for the same conditions, and
// pass the same test suite. Arguments reach a Backend already validated
// by Client.
type Backend interface {
	// Name is "cli" or "libzfs".
	Name() string

	Pools(ctx context.Context) ([]Pool, error)
	// PoolStatus returns the status of one pool; an empty name means
	// every imported pool.
	PoolStatus(ctx context.Context, pool string) ([]*PoolStatus, error)
	CreatePool(ctx context.Context, plan *Plan) error
	// AddVdevs adds the special, log, cache and spare vdevs of plan (and
	// its data vdevs, if any) to an existing pool named plan.Pool.
	AddVdevs(ctx context.Context, plan *Plan, force bool) error
	ReplaceDevice(ctx context.Context, pool, old, new string, force bool) error
	ImportPool(ctx context.Context, name string, opts *ImportOptions) error
	ExportPool(ctx context.Context, pool string, force bool) error
	DestroyPool(ctx context.Context, pool string, force bool) error
	// PoolProperties returns the named properties, or all of them
	// (including feature@ properties) when names is empty.
	PoolProperties(ctx context.Context, pool string, names ...string) ([]Property, error)
	SetPoolProperty(ctx context.Context, pool, name, value string) error
	// UpgradePool enables every feature the running ZFS supports.
	UpgradePool(ctx context.Context, pool string) error
	// Scrub starts, pauses or stops a scrub.
	Scrub(ctx context.Context, pool string, action ScrubAction) error

	Datasets(ctx context.Context, opts *ListOptions) ([]Dataset, error)
	DatasetProperties(ctx context.Context, dataset string, names ...string) ([]Property, error)
	SetDatasetProperty(ctx context.Context, dataset, name, value string) error
	CreateDataset(ctx context.Context, opts *CreateOptions) error
	Snapshot(ctx context.Context, snapshot string, recursive bool) error
	Clone(ctx context.Context, snapshot, target string, props map[string]string) error
	Rollback(ctx context.Context, snapshot string, destroyNewer bool) error
	DestroyDataset(ctx context.Context, dataset string, recursive bool) error
	Mount(ctx context.Context, dataset string) error
	Unmount(ctx context.Context, dataset string) error

	// LoadKey loads a dataset's key: from key when it is not nil (the
	// passphrase or key material, as if typed at the prompt), else from
	// the dataset's keylocation.
	LoadKey(ctx context.Context, dataset string, key []byte) error
	UnloadKey(ctx context.Context, dataset string) error
	// ChangeKey rewraps a dataset's key with new key material.
	ChangeKey(ctx context.Context, dataset string, enc *Encryption) error
}

// Config configures a Client. A nil *Config means the zero value.
type Config struct {
	// Root is the root directory for files (modprobe.d, zed.rc,
	// storage.cfg, sysfs parameters); "" means "/".
	Root string
	// Backend performs pool and dataset operations; nil means the zpool
	// and zfs commands.
	Backend Backend
}

// Client manages ZFS on a host.
type Client struct {
	root    string
	fs      *rootfs.FS
	run     runner.Runner
	backend Backend
}

// New returns a Client. It fails only when Config.Root cannot be
// opened.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	fsys, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("zfs: %w", err)
	}
	c := &Client{root: cfg.Root, fs: fsys, run: runner.Default, backend: cfg.Backend}
	if c.backend == nil {
		c.backend = &cli{c: c}
	}
	return c, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Backend returns the backend in use.
func (c *Client) Backend() Backend { return c.backend }

// CLI returns the command-line backend of c (which uses c's runner), for
// comparing it with another backend.
func (c *Client) CLI() Backend { return &cli{c: c} }
