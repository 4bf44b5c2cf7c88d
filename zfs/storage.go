package zfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// StorageFile is Proxmox VE's storage configuration.
const StorageFile = "/etc/pve/storage.cfg"

// Storage is a zfspool entry of storage.cfg, such as the installer's
//
//	zfspool: local-zfs
//		pool rpool/data
//		sparse
//		content images,rootdir
type Storage struct {
	ID string `json:"id"`
	// Pool is the pool or dataset that holds the guest volumes.
	Pool string `json:"pool"`
	// Sparse creates thin-provisioned zvols (no refreservation).
	Sparse bool `json:"sparse"`
	// Content is the content types: images (VM disks) and rootdir
	// (container volumes).
	Content []string `json:"content"`
	// Blocksize is the volblocksize of new zvols ("16k"); empty means
	// the default.
	Blocksize string `json:"blocksize,omitempty"`
	// Mountpoint overrides the pool's mount point for container volumes.
	Mountpoint string `json:"mountpoint,omitempty"`
	// Nodes restricts the storage to some cluster nodes; nil means all.
	Nodes   []string `json:"nodes,omitempty"`
	Disable bool     `json:"disable,omitempty"`
	// Line is the header's line in the file, 0 for a new entry.
	Line int `json:"line,omitempty"`
}

// LocalZFS is the entry the installer writes for a ZFS root.
func LocalZFS() Storage {
	return Storage{ID: "local-zfs", Pool: "rpool/data", Sparse: true, Content: []string{"images", "rootdir"}}
}

var zfsContent = []string{"images", "rootdir"}

func (s *Storage) validate() error {
	if s.ID == "" || !isShellName(strings.ReplaceAll(strings.ReplaceAll(s.ID, "-", "_"), ".", "_")) {
		return invalidf("storage id %q: want letters, digits, '-', '_' or '.', starting with a letter", s.ID)
	}
	if err := ValidateDatasetName(s.Pool); err != nil {
		return err
	}
	if strings.ContainsAny(s.Pool, "@#") {
		return invalidf("storage %s: pool %q is a snapshot", s.ID, s.Pool)
	}
	if len(s.Content) == 0 {
		return invalidf("storage %s: no content type", s.ID)
	}
	for _, c := range s.Content {
		if !slices.Contains(zfsContent, c) {
			return invalidf("storage %s: content %q: a zfspool holds images and rootdir only", s.ID, c)
		}
	}
	if s.Blocksize != "" {
		n, err := ParseSize(s.Blocksize)
		if err != nil {
			return err
		}
		if err := ValidateVolblocksize(n); err != nil {
			return err
		}
	}
	return nil
}

// ParseStorage returns the zfspool entries of a storage.cfg.
func ParseStorage(name string, data []byte) ([]Storage, error) {
	f, err := sectioncfg.Parse(name, data)
	if err != nil {
		return nil, err
	}
	var out []Storage
	for _, sec := range f.OfType("zfspool") {
		s := Storage{ID: sec.ID, Line: sec.Line}
		for _, p := range sec.Properties() {
			switch p.Key {
			case "pool":
				s.Pool = p.Value
			case "sparse":
				s.Sparse = p.Value == "1"
			case "content":
				s.Content = splitList(p.Value)
			case "blocksize":
				s.Blocksize = p.Value
			case "mountpoint":
				s.Mountpoint = p.Value
			case "nodes":
				s.Nodes = splitList(p.Value)
			case "disable":
				s.Disable = p.Value == "1"
			}
		}
		if s.Pool == "" {
			return nil, &ParseError{File: name, Line: sec.Line, Msg: fmt.Sprintf("zfspool %s has no pool", sec.ID)}
		}
		out = append(out, s)
	}
	return out, nil
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

// Storages reads the zfspool entries of /etc/pve/storage.cfg; a missing
// file has none.
func (c *Client) Storages() ([]Storage, error) {
	data, err := c.fs.ReadFile(StorageFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseStorage(StorageFile, data)
}

// AddStorage adds a zfspool entry, as pvesm add zfspool does. The id must
// be free among all storage types.
func (c *Client) AddStorage(ctx context.Context, s Storage) error {
	if err := s.validate(); err != nil {
		return err
	}
	return c.editStorage(ctx, func(f *sectioncfg.File) error {
		sec, err := f.Add("zfspool", s.ID)
		if err != nil {
			return fmt.Errorf("zfs: storage %s: %w", s.ID, err)
		}
		return setStorage(sec, s)
	})
}

// UpdateStorage rewrites the properties of an existing zfspool entry,
// keeping lines it does not change.
func (c *Client) UpdateStorage(ctx context.Context, s Storage) error {
	if err := s.validate(); err != nil {
		return err
	}
	return c.editStorage(ctx, func(f *sectioncfg.File) error {
		sec := f.Lookup(s.ID)
		if sec == nil || sec.Type != "zfspool" {
			return fmt.Errorf("zfs: zfspool storage %s: %w", s.ID, ErrNotFound)
		}
		return setStorage(sec, s)
	})
}

// RemoveStorage removes a zfspool entry; the pool's data is untouched.
func (c *Client) RemoveStorage(ctx context.Context, id string) error {
	return c.editStorage(ctx, func(f *sectioncfg.File) error {
		if sec := f.Lookup(id); sec == nil || sec.Type != "zfspool" {
			return fmt.Errorf("zfs: zfspool storage %s: %w", id, ErrNotFound)
		}
		f.Remove(id)
		return nil
	})
}

func setStorage(sec *sectioncfg.Section, s Storage) error {
	set := func(k, v string) error {
		if v == "" {
			sec.Delete(k)
			return nil
		}
		if cur, ok := sec.Get(k); ok && cur == v {
			return nil
		}
		return sec.Set(k, v)
	}
	flag := func(k string, on bool) error {
		if !on {
			sec.Delete(k)
			return nil
		}
		if v, ok := sec.Get(k); ok && v == "1" {
			return nil
		}
		return sec.SetFlag(k)
	}
	if err := set("pool", s.Pool); err != nil {
		return err
	}
	if err := flag("sparse", s.Sparse); err != nil {
		return err
	}
	if cur, _ := sec.Get("content"); !slices.Equal(splitList(cur), s.Content) {
		if err := sec.Set("content", strings.Join(s.Content, ",")); err != nil {
			return err
		}
	}
	for _, kv := range [][2]string{{"blocksize", s.Blocksize}, {"mountpoint", s.Mountpoint}, {"nodes", strings.Join(s.Nodes, ",")}} {
		if err := set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return flag("disable", s.Disable)
}

func (c *Client) editStorage(ctx context.Context, edit func(*sectioncfg.File) error) error {
	return c.editFile(ctx, StorageFile, func(data []byte) ([]byte, error) {
		f, err := sectioncfg.Parse(StorageFile, data)
		if err != nil {
			return nil, err
		}
		if err := edit(f); err != nil {
			return nil, err
		}
		return f.Format(), nil
	})
}
