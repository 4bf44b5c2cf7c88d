package btrfs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/pvestorage"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// StorageConfigPath is Proxmox VE's storage configuration.
const StorageConfigPath = pvestorage.Path

// ErrStorageExists is returned when adding a storage whose ID is taken.
var ErrStorageExists = sectioncfg.ErrExists

// Storage is a "btrfs:" entry of storage.cfg: a directory on a btrfs
// file system where Proxmox VE keeps guest disks as subvolumes and raw
// files, and templates, ISO images and backups as files.
type Storage struct {
	ID   string `json:"id"`
	Path string `json:"path"`
	// Content lists what the storage holds: images, rootdir, vztmpl,
	// iso, backup, snippets, import.
	Content []string `json:"content"`
	// Nodes limits the storage to some cluster nodes; empty means all.
	Nodes    []string `json:"nodes,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
	// IsMountpoint, when "yes" or a path, makes Proxmox VE use the
	// storage only while a file system is mounted there.
	IsMountpoint string `json:"is_mountpoint,omitempty"`
	// Line is the header's line in storage.cfg, 0 for a new entry.
	Line int `json:"line,omitempty"`
}

var (
	btrfsContent    = []string{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}
	installerBtrfs  = Storage{ID: "local-btrfs", Path: "/var/lib/pve/local-btrfs", Content: []string{"iso", "vztmpl", "backup", "images", "rootdir"}}
	defaultDirLocal = "local"
)

// Validate checks the entry as pvesm would.
func (s *Storage) Validate() error {
	if err := pvestorage.ValidID(s.ID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !strings.HasPrefix(s.Path, "/") || strings.ContainsAny(s.Path, "\n,") {
		return fmt.Errorf("%w: storage %s: path %q is not absolute", ErrInvalid, s.ID, s.Path)
	}
	for _, c := range s.Content {
		if !slices.Contains(btrfsContent, c) {
			return fmt.Errorf("%w: storage %s: content %q (want %s)", ErrInvalid, s.ID, c, strings.Join(btrfsContent, ", "))
		}
	}
	return nil
}

// storagesOf reads the btrfs entries of a parsed storage.cfg.
func storagesOf(f *sectioncfg.File) []Storage {
	var out []Storage
	for _, sec := range f.OfType("btrfs") {
		s := Storage{ID: sec.ID, Line: sec.Line}
		s.Path, _ = sec.Get("path")
		v, _ := sec.Get("content")
		s.Content = pvestorage.List(v)
		v, _ = sec.Get("nodes")
		s.Nodes = pvestorage.List(v)
		v, _ = sec.Get("disable")
		s.Disabled = v == "1"
		s.IsMountpoint, _ = sec.Get("is_mountpoint")
		out = append(out, s)
	}
	return out
}

// addStorage appends a btrfs entry, the way `pvesm add btrfs ID --path
// PATH` writes it.
func addStorage(f *sectioncfg.File, s Storage) error {
	if err := s.Validate(); err != nil {
		return err
	}
	sec, err := f.Add("btrfs", s.ID)
	if err != nil {
		return fmt.Errorf("storage %s: %w", s.ID, err)
	}
	sec.Set("path", s.Path)
	if len(s.Content) > 0 {
		sec.Set("content", strings.Join(s.Content, ","))
	}
	if len(s.Nodes) > 0 {
		sec.Set("nodes", strings.Join(s.Nodes, ","))
	}
	if s.IsMountpoint != "" {
		sec.Set("is_mountpoint", s.IsMountpoint)
	}
	if s.Disabled {
		sec.SetFlag("disable")
	}
	return nil
}

// useInstallerLayout makes storage.cfg what the installer writes for a
// btrfs root: "dir: local" disabled in favour of "btrfs: local-btrfs" on
// the /var/lib/pve/local-btrfs subvolume. It changes nothing that is
// already so.
func useInstallerLayout(f *sectioncfg.File) error {
	if sec := f.Lookup(defaultDirLocal); sec != nil && sec.Type == "dir" {
		if v, _ := sec.Get("disable"); v != "1" {
			if err := sec.SetFlag("disable"); err != nil {
				return err
			}
		}
	}
	if sec := f.Lookup(installerBtrfs.ID); sec != nil {
		if sec.Type != "btrfs" {
			return fmt.Errorf("storage %s exists with type %s", installerBtrfs.ID, sec.Type)
		}
		return nil
	}
	return addStorage(f, installerBtrfs)
}

// Storages returns the btrfs entries of storage.cfg; none when the file
// does not exist.
func (c *Client) Storages() ([]Storage, error) {
	f, err := pvestorage.Read(c.fs)
	if err != nil {
		return nil, err
	}
	return storagesOf(f), nil
}

// AddStorage adds a btrfs entry to storage.cfg, like `pvesm add btrfs
// ID --path PATH`. A taken ID fails with ErrStorageExists.
func (c *Client) AddStorage(ctx context.Context, s Storage) error {
	return pvestorage.Edit(ctx, c.fs, func(f *sectioncfg.File) error { return addStorage(f, s) })
}

// RemoveStorage removes the btrfs entry with the given ID; the data stays.
func (c *Client) RemoveStorage(ctx context.Context, id string) error {
	return pvestorage.Remove(ctx, c.fs, id, "btrfs")
}

// UseInstallerLayout writes the storage entries the installer writes
// for a btrfs root file system: "dir: local" disabled and "btrfs:
// local-btrfs" at /var/lib/pve/local-btrfs. The subvolume itself is made
// with CreateSubvolume.
func (c *Client) UseInstallerLayout(ctx context.Context) error {
	return pvestorage.Edit(ctx, c.fs, useInstallerLayout)
}
