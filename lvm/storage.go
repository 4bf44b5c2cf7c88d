package lvm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/pvestorage"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// Storage types of storage.cfg this package reads and writes.
const (
	StorageLVM     = "lvm"     // a VG whose LVs are guest disks
	StorageLVMThin = "lvmthin" // a thin pool whose thin volumes are guest disks
)

// ErrStorageExists is returned when adding a storage whose ID is taken.
var ErrStorageExists = sectioncfg.ErrExists

// Storage is an "lvm:" or "lvmthin:" entry of /etc/pve/storage.cfg, such
// as the installer's
//
//	lvmthin: local-lvm
//		thinpool data
//		vgname pve
//		content rootdir,images
type Storage struct {
	Type string `json:"type"` // StorageLVM or StorageLVMThin
	ID   string `json:"id"`
	VG   string `json:"vgname"`
	// ThinPool is the pool of an lvmthin storage.
	ThinPool string `json:"thinpool,omitempty"`
	// Content is images and/or rootdir.
	Content []string `json:"content"`
	// Nodes limits the storage to some cluster nodes; empty means all.
	Nodes []string `json:"nodes,omitempty"`
	// Shared marks an lvm storage on a SAN LUN that every node sees.
	Shared   bool `json:"shared,omitempty"`
	Disabled bool `json:"disabled,omitempty"`
	// SafeRemove zeroes an lvm storage's volumes when they are removed.
	SafeRemove bool `json:"saferemove,omitempty"`
	// Base is the base volume of an lvm storage on iSCSI ("iscsi:lun").
	Base string `json:"base,omitempty"`
	// Line is the header's line in storage.cfg, 0 for a new entry.
	Line int `json:"line,omitempty"`
}

var lvmContent = []string{"images", "rootdir"}

// Validate checks the entry as pvesm would.
func (s *Storage) Validate() error {
	if s.Type != StorageLVM && s.Type != StorageLVMThin {
		return fmt.Errorf("%w: storage type %q (want lvm or lvmthin)", ErrInvalid, s.Type)
	}
	if err := pvestorage.ValidID(s.ID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := validName("volume group", s.VG); err != nil {
		return err
	}
	if s.Type == StorageLVMThin {
		if err := validLV(s.VG, s.ThinPool); err != nil {
			return err
		}
		if s.Shared || s.SafeRemove || s.Base != "" {
			return fmt.Errorf("%w: storage %s: shared, saferemove and base are lvm options, not lvmthin", ErrInvalid, s.ID)
		}
	} else if s.ThinPool != "" {
		return fmt.Errorf("%w: storage %s: an lvm storage has no thin pool", ErrInvalid, s.ID)
	}
	for _, c := range s.Content {
		if !slices.Contains(lvmContent, c) {
			return fmt.Errorf("%w: storage %s: content %q (want images or rootdir)", ErrInvalid, s.ID, c)
		}
	}
	return nil
}

func storagesOf(f *sectioncfg.File) []Storage {
	var out []Storage
	for _, sec := range f.Sections() {
		if sec.Type != StorageLVM && sec.Type != StorageLVMThin {
			continue
		}
		get := func(k string) string { v, _ := sec.Get(k); return v }
		out = append(out, Storage{
			Type: sec.Type, ID: sec.ID, VG: get("vgname"), ThinPool: get("thinpool"),
			Content: pvestorage.List(get("content")), Nodes: pvestorage.List(get("nodes")),
			Shared: get("shared") == "1", Disabled: get("disable") == "1", SafeRemove: get("saferemove") == "1",
			Base: get("base"), Line: sec.Line,
		})
	}
	return out
}

// addStorage appends the entry the way pvesm add writes it.
func addStorage(f *sectioncfg.File, s Storage) error {
	if err := s.Validate(); err != nil {
		return err
	}
	sec, err := f.Add(s.Type, s.ID)
	if err != nil {
		return fmt.Errorf("storage %s: %w", s.ID, err)
	}
	if s.ThinPool != "" {
		sec.Set("thinpool", s.ThinPool)
	}
	sec.Set("vgname", s.VG)
	if s.Base != "" {
		sec.Set("base", s.Base)
	}
	if len(s.Content) > 0 {
		sec.Set("content", strings.Join(s.Content, ","))
	}
	if len(s.Nodes) > 0 {
		sec.Set("nodes", strings.Join(s.Nodes, ","))
	}
	for _, fl := range []struct {
		on  bool
		key string
	}{{s.Shared, "shared"}, {s.SafeRemove, "saferemove"}, {s.Disabled, "disable"}} {
		if fl.on {
			sec.SetFlag(fl.key)
		}
	}
	return nil
}

// Storages returns the lvm and lvmthin entries of storage.cfg; none when
// the file does not exist.
func (c *Client) Storages() ([]Storage, error) {
	f, err := pvestorage.Read(c.fs)
	if err != nil {
		return nil, err
	}
	return storagesOf(f), nil
}

// AddStorage adds an lvm or lvmthin entry to storage.cfg, like `pvesm
// add lvmthin ID --vgname VG --thinpool POOL`. A taken ID fails with
// ErrStorageExists.
func (c *Client) AddStorage(ctx context.Context, s Storage) error {
	return pvestorage.Edit(ctx, c.fs, func(f *sectioncfg.File) error { return addStorage(f, s) })
}

// RemoveStorage removes the lvm or lvmthin entry with the given ID; the
// volumes stay.
func (c *Client) RemoveStorage(ctx context.Context, id string) error {
	return pvestorage.Remove(ctx, c.fs, id, StorageLVM, StorageLVMThin)
}
