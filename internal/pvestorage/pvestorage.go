// Package pvestorage reads and edits Proxmox VE's storage configuration,
// /etc/pve/storage.cfg, for the packages that own storage types (btrfs,
// lvm, zfs): a locked, digest-checked read-modify-write over
// internal/sectioncfg, and the checks pvesm applies to every entry.
package pvestorage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// Path is the storage configuration's name.
const Path = "/etc/pve/storage.cfg"

// lockName serialises this module's writers; Proxmox VE's own tools
// lock through pmxcfs, and a concurrent write by them is caught by the
// digest check.
const lockName = "/run/lock/hostadm/storage.cfg.lock"

// ErrInvalid is matched by the errors of ValidID.
var ErrInvalid = errors.New("invalid storage entry")

var idRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9]$`)

// ValidID checks a storage ID as pvesm does.
func ValidID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: storage ID %q", ErrInvalid, id)
	}
	return nil
}

// List splits a comma-separated property value ("images,rootdir");
// "" gives nil.
func List(v string) []string {
	if v == "" {
		return nil
	}
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

// Read parses storage.cfg below the root; a missing file reads as empty.
func Read(f *rootfs.FS) (*sectioncfg.File, error) {
	data, err := f.ReadFile(Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return sectioncfg.Parse(Path, data)
}

// Remove deletes the entry id, which must have one of types, from
// storage.cfg under Edit's lock. Without such an entry the error matches
// fs.ErrNotExist. What the storage holds is not touched.
func Remove(ctx context.Context, f *rootfs.FS, id string, types ...string) error {
	return Edit(ctx, f, func(cfg *sectioncfg.File) error {
		if sec := cfg.Lookup(id); sec == nil || !slices.Contains(types, sec.Type) {
			return fmt.Errorf("storage %s: no %s entry: %w", id, strings.Join(types, " or "), fs.ErrNotExist)
		}
		cfg.Remove(id)
		return nil
	})
}

// Edit runs fn on storage.cfg under a lock and writes the result
// atomically when it changed, refusing to overwrite a concurrent edit
// (rootfs.ErrConflict).
func Edit(ctx context.Context, f *rootfs.FS, fn func(*sectioncfg.File) error) error {
	return rootfs.EditParsed(ctx, f, Path, &rootfs.EditOptions{Lock: lockName, Perm: 0o640}, sectioncfg.Parse, fn)
}
