package zfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/mountinfo"
	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// cli is the Backend that runs zpool and zfs.
type cli struct{ c *Client }

func (b *cli) Name() string { return "cli" }

// CommandError is a failed zpool or zfs command. It matches ErrNotFound
// when the command said a pool or dataset does not exist, and ErrNoZFS
// when ZFS is not available, besides the *runner.ExitError it wraps.
type CommandError struct {
	Err  *runner.ExitError
	Kind error // ErrNotFound, ErrNoZFS or nil
}

func (e *CommandError) Error() string { return "zfs: " + e.Err.Error() }

// Unwrap returns the exit error and the kind.
func (e *CommandError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Kind}
}

var notFoundMessages = []string{"no such pool", "dataset does not exist", "no such device in pool", "no such pool or dataset", "could not find any snapshots"}

var noZFSMessages = []string{"The ZFS modules are not loaded", "/dev/zfs and /proc/self/mounts are required", "The ZFS modules cannot be auto-loaded", "Failed to initialize the libzfs library"}

func (b *cli) exec(ctx context.Context, cmd runner.Cmd) ([]byte, error) {
	res, err := b.c.run.Run(ctx, cmd)
	if err == nil {
		return res.Stdout, nil
	}
	var ee *runner.ExitError
	if !errors.As(err, &ee) {
		return nil, fmt.Errorf("zfs: %s: %w", cmd.Args[0], err)
	}
	ce := &CommandError{Err: ee}
	switch {
	case runner.NotFound(err):
		ce.Kind = ErrNoZFS
	case containsAny(ee.Stderr, noZFSMessages):
		ce.Kind = ErrNoZFS
	case containsAny(ee.Stderr, notFoundMessages):
		ce.Kind = ErrNotFound
	}
	return nil, ce
}

func (b *cli) runArgs(ctx context.Context, args ...string) ([]byte, error) {
	return b.exec(ctx, runner.Cmd{Args: args})
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func (b *cli) Pools(ctx context.Context) ([]Pool, error) {
	out, err := b.runArgs(ctx, PoolListArgs()...)
	if err != nil {
		return nil, err
	}
	return ParsePoolList("zpool list", out)
}

func (b *cli) PoolStatus(ctx context.Context, pool string) ([]*PoolStatus, error) {
	args := []string{"zpool", "status", "-pv"}
	if pool != "" {
		args = append(args, pool)
	}
	out, err := b.runArgs(ctx, args...)
	if err != nil {
		return nil, err
	}
	return ParseStatus("zpool status", bytes.NewReader(out))
}

func (b *cli) CreatePool(ctx context.Context, p *Plan) error {
	argv := p.Argv
	if len(argv) == 0 {
		argv = p.argv()
	}
	_, err := b.runArgs(ctx, argv...)
	return err
}

func (b *cli) AddVdevs(ctx context.Context, p *Plan, force bool) error {
	args := append([]string{"zpool", "add"}, addFlags(force)...)
	args = append(append(args, p.Pool), p.VdevArgs()...)
	_, err := b.runArgs(ctx, args...)
	return err
}

func (b *cli) ReplaceDevice(ctx context.Context, pool, old, new string, force bool) error {
	args := append([]string{"zpool", "replace"}, addFlags(force)...)
	_, err := b.runArgs(ctx, append(args, pool, old, new)...)
	return err
}

func (b *cli) ImportPool(ctx context.Context, name string, opts *ImportOptions) error {
	if opts == nil {
		opts = &ImportOptions{}
	}
	args := []string{"zpool", "import"}
	for _, d := range opts.Dirs {
		args = append(args, "-d", d)
	}
	if opts.Force {
		args = append(args, "-f")
	}
	if opts.NoMount {
		args = append(args, "-N")
	}
	if opts.Altroot != "" {
		args = append(args, "-R", opts.Altroot)
	}
	args = append(args, name)
	if opts.NewName != "" {
		args = append(args, opts.NewName)
	}
	_, err := b.runArgs(ctx, args...)
	return err
}

func (b *cli) ExportPool(ctx context.Context, pool string, force bool) error {
	args := append([]string{"zpool", "export"}, addFlags(force)...)
	_, err := b.runArgs(ctx, append(args, pool)...)
	return err
}

func (b *cli) DestroyPool(ctx context.Context, pool string, force bool) error {
	args := append([]string{"zpool", "destroy"}, addFlags(force)...)
	_, err := b.runArgs(ctx, append(args, pool)...)
	return err
}

func propList(names []string) string {
	if len(names) == 0 {
		return "all"
	}
	return strings.Join(names, ",")
}

func (b *cli) PoolProperties(ctx context.Context, pool string, names ...string) ([]Property, error) {
	out, err := b.runArgs(ctx, "zpool", "get", "-Hp", "-o", "name,property,value,source", propList(names), pool)
	if err != nil {
		return nil, err
	}
	return ParseProperties("zpool get", out)
}

func (b *cli) SetPoolProperty(ctx context.Context, pool, name, value string) error {
	_, err := b.runArgs(ctx, "zpool", "set", name+"="+value, pool)
	return err
}

func (b *cli) UpgradePool(ctx context.Context, pool string) error {
	_, err := b.runArgs(ctx, "zpool", "upgrade", pool)
	return err
}

func (b *cli) Scrub(ctx context.Context, pool string, action ScrubAction) error {
	args := []string{"zpool", "scrub"}
	switch action {
	case ScrubPause:
		args = append(args, "-p")
	case ScrubStop:
		args = append(args, "-s")
	}
	_, err := b.runArgs(ctx, append(args, pool)...)
	return err
}

func (b *cli) Datasets(ctx context.Context, opts *ListOptions) ([]Dataset, error) {
	out, err := b.runArgs(ctx, DatasetListArgs(opts)...)
	if err != nil {
		return nil, err
	}
	return ParseDatasetList("zfs list", out, opts)
}

func (b *cli) DatasetProperties(ctx context.Context, dataset string, names ...string) ([]Property, error) {
	out, err := b.runArgs(ctx, "zfs", "get", "-Hp", "-o", "name,property,value,source", propList(names), dataset)
	if err != nil {
		return nil, err
	}
	return ParseProperties("zfs get", out)
}

func (b *cli) SetDatasetProperty(ctx context.Context, dataset, name, value string) error {
	_, err := b.runArgs(ctx, "zfs", "set", name+"="+value, dataset)
	return err
}

// keyCmd returns a command that passes key material on standard input.
func keyCmd(args []string, key []byte) runner.Cmd {
	c := runner.Cmd{Args: args}
	if key != nil {
		c.Stdin = key
		c.Secrets = []string{string(key)}
	}
	return c
}

func (b *cli) CreateDataset(ctx context.Context, o *CreateOptions) error {
	args := []string{"zfs", "create"}
	if o.Parents {
		args = append(args, "-p")
	}
	if o.Type == Volume {
		if o.Sparse {
			args = append(args, "-s")
		}
		args = append(args, "-V", strconv.FormatUint(o.Volsize, 10))
	}
	args = append(append(args, sortedProps("-o", o.allProperties())...), o.Name)
	var key []byte
	if o.Encryption != nil && o.Encryption.location() == KeyLocationPrompt {
		key = o.Encryption.Key
	}
	_, err := b.exec(ctx, keyCmd(args, key))
	return err
}

func (b *cli) Snapshot(ctx context.Context, snapshot string, recursive bool) error {
	args := []string{"zfs", "snapshot"}
	if recursive {
		args = append(args, "-r")
	}
	_, err := b.runArgs(ctx, append(args, snapshot)...)
	return err
}

func (b *cli) Clone(ctx context.Context, snapshot, target string, props map[string]string) error {
	args := append([]string{"zfs", "clone"}, sortedProps("-o", props)...)
	_, err := b.runArgs(ctx, append(args, snapshot, target)...)
	return err
}

func (b *cli) Rollback(ctx context.Context, snapshot string, destroyNewer bool) error {
	args := []string{"zfs", "rollback"}
	if destroyNewer {
		args = append(args, "-r")
	}
	_, err := b.runArgs(ctx, append(args, snapshot)...)
	return err
}

func (b *cli) DestroyDataset(ctx context.Context, dataset string, recursive bool) error {
	args := []string{"zfs", "destroy"}
	if recursive {
		args = append(args, "-r")
	}
	_, err := b.runArgs(ctx, append(args, dataset)...)
	return err
}

func (b *cli) Mount(ctx context.Context, dataset string) error {
	_, err := b.runArgs(ctx, "zfs", "mount", dataset)
	return err
}

func (b *cli) Unmount(ctx context.Context, dataset string) error {
	_, err := b.runArgs(ctx, "zfs", "unmount", dataset)
	return err
}

func (b *cli) LoadKey(ctx context.Context, dataset string, key []byte) error {
	args := []string{"zfs", "load-key"}
	if key != nil {
		args = append(args, "-L", KeyLocationPrompt)
	}
	_, err := b.exec(ctx, keyCmd(append(args, dataset), key))
	return err
}

func (b *cli) UnloadKey(ctx context.Context, dataset string) error {
	_, err := b.runArgs(ctx, "zfs", "unload-key", dataset)
	return err
}

func (b *cli) ChangeKey(ctx context.Context, dataset string, enc *Encryption) error {
	args := append([]string{"zfs", "change-key"}, sortedProps("-o", enc.properties(false))...)
	var key []byte
	if enc.location() == KeyLocationPrompt {
		key = enc.Key
	}
	_, err := b.exec(ctx, keyCmd(append(args, dataset), key))
	return err
}

// rootDataset returns the ZFS dataset mounted at /, from the mount
// table.
func rootDataset(fsys *rootfs.FS) string {
	data, err := fsys.ReadFile("/proc/self/mounts")
	if err != nil {
		if data, err = fsys.ReadFile("/proc/mounts"); err != nil {
			return ""
		}
	}
	root := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "/" {
			root = ""
			if f[2] == "zfs" {
				root = mountinfo.Unescape(f[0])
			}
		}
	}
	return root
}
