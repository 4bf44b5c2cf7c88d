package fstab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// DefaultPath is where the file lives.
const DefaultPath = "/etc/fstab"

// lockName is the advisory lock taken around read-modify-write cycles.
const lockName = "/run/lock/hostadm/fstab.lock"

// Config configures a Table.
type Config struct {
	// Root is the root directory of the system whose fstab is read; ""
	// means "/".
	Root string
	// Path is the fstab's name below Root; "" means /etc/fstab.
	Path string
}

// Table reads and edits one system's fstab.
type Table struct {
	fs   *rootfs.FS
	path string
}

// New opens the fstab of the system at cfg.Root. A nil cfg means defaults.
func New(cfg *Config) (*Table, error) {
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
	return &Table{fs: f, path: p}, nil
}

// Close releases the root directory.
func (t *Table) Close() error { return t.fs.Close() }

// Path returns the fstab's name below the root.
func (t *Table) Path() string { return t.path }

// Read parses the fstab. A missing file reads as an empty one.
func (t *Table) Read() (*File, error) {
	data, err := t.fs.ReadFile(t.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return Parse(t.path, data)
}

// Edit reads the fstab under a lock, lets fn change it, and writes it back
// atomically if fn returns nil and the text changed. A concurrent edit by
// someone who does not take the lock is refused with an error matching
// rootfs.ErrConflict rather than overwritten.
func (t *Table) Edit(ctx context.Context, fn func(*File) error) error {
	return rootfs.EditParsed(ctx, t.fs, t.path, &rootfs.EditOptions{Lock: lockName}, Parse, fn)
}

// UUIDOf returns the file system UUID of a block device (such as
// /dev/sdb1 or /dev/pve/vz) from udev's /dev/disk/by-uuid links, for an
// entry named the way the admin guide recommends. It fails with an error
// matching fs.ErrNotExist when no link points at the device.
func (t *Table) UUIDOf(device string) (string, error) {
	target, err := t.fs.Resolve(device)
	if err != nil {
		return "", err
	}
	links, err := t.fs.ReadDir("/dev/disk/by-uuid")
	if err != nil {
		return "", fmt.Errorf("uuid of %s: %w", device, err)
	}
	for _, l := range links {
		p, err := t.fs.Resolve(path.Join("/dev/disk/by-uuid", l.Name()))
		if err == nil && p == target {
			return canonicalUUID(l.Name()), nil
		}
	}
	return "", fmt.Errorf("uuid of %s: no /dev/disk/by-uuid link: %w", device, fs.ErrNotExist)
}

// MountPointEmpty reports whether a mount point is missing or an empty
// directory. The admin guide warns to mount a new volume on /var/lib/vz
// only when it is empty: files there would be hidden by the mount.
func (t *Table) MountPointEmpty(dir string) (bool, error) {
	ents, err := t.fs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(ents) == 0, nil
}
