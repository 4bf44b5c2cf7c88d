package zfs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// CreateOptions describes a file system or volume to create.
type CreateOptions struct {
	Name string
	// Type is Filesystem (the default when empty) or Volume.
	Type DatasetType
	// Volsize is a volume's size in bytes; Volblocksize its block size
	// (zero means ZFS's default); Sparse makes it thin provisioned
	// (no refreservation), as the sparse option of a zfspool storage.
	Volsize      uint64
	Volblocksize uint64
	Sparse       bool
	// Parents creates missing parent file systems.
	Parents bool
	// Properties are set at creation ("compression": "lz4").
	Properties map[string]string
	// Encryption, when set, makes the dataset an encryption root.
	Encryption *Encryption
}

func (o *CreateOptions) validate() error {
	if err := ValidateDatasetName(o.Name); err != nil {
		return err
	}
	if strings.ContainsAny(o.Name, "@#") {
		return invalidf("%s: create makes file systems and volumes; use Snapshot for snapshots", o.Name)
	}
	switch o.Type {
	case "", Filesystem:
		if o.Volsize != 0 || o.Volblocksize != 0 || o.Sparse {
			return invalidf("%s: volsize, volblocksize and sparse apply to volumes", o.Name)
		}
	case Volume:
		if o.Volsize == 0 {
			return invalidf("%s: a volume needs a volsize", o.Name)
		}
		if o.Volblocksize != 0 {
			if err := ValidateVolblocksize(o.Volblocksize); err != nil {
				return err
			}
			if o.Volsize%o.Volblocksize != 0 {
				return invalidf("%s: volsize %d is not a multiple of volblocksize %d", o.Name, o.Volsize, o.Volblocksize)
			}
		}
	default:
		return invalidf("%s: cannot create a %s", o.Name, o.Type)
	}
	for k, v := range o.Properties {
		if err := checkPropArg(k, v); err != nil {
			return err
		}
		if err := checkPropertyValue(k, v); err != nil {
			return err
		}
		switch k {
		case "encryption", "keyformat", "keylocation", "pbkdf2iters":
			return invalidf("%s: set %s through CreateOptions.Encryption", o.Name, k)
		case "volsize", "volblocksize":
			return invalidf("%s: set %s through CreateOptions", o.Name, k)
		}
	}
	if o.Encryption != nil {
		return o.Encryption.Validate()
	}
	return nil
}

// allProperties returns every property the dataset is created with.
func (o *CreateOptions) allProperties() map[string]string {
	p := maps.Clone(o.Properties)
	if p == nil {
		p = map[string]string{}
	}
	if o.Volblocksize != 0 {
		p["volblocksize"] = strconv.FormatUint(o.Volblocksize, 10)
	}
	if o.Encryption != nil {
		maps.Copy(p, o.Encryption.properties(true))
	}
	return p
}

// checkPropertyValue validates values of properties the admin guide
// discusses.
func checkPropertyValue(name, value string) error {
	switch name {
	case "compression", "compress":
		return ValidateCompression(value)
	case "special_small_blocks":
		n, err := ParseSize(value)
		if err != nil {
			return err
		}
		_, err = CheckSpecialSmallBlocks(n, 0)
		return err
	}
	return nil
}

// Datasets lists datasets.
func (c *Client) Datasets(ctx context.Context, opts *ListOptions) ([]Dataset, error) {
	if opts != nil {
		if opts.Root != "" {
			if err := ValidateDatasetName(opts.Root); err != nil {
				return nil, err
			}
		}
		for _, p := range opts.Properties {
			if p == "" || strings.ContainsAny(p, ", \t\n") {
				return nil, invalidf("invalid property name %q", p)
			}
		}
		for _, t := range opts.Types {
			if !slices.Contains([]DatasetType{Filesystem, Volume, Snapshot, Bookmark}, t) {
				return nil, invalidf("unknown dataset type %q", t)
			}
		}
	}
	return c.backend.Datasets(ctx, opts)
}

// DatasetProperties returns properties of a dataset; no names means all.
func (c *Client) DatasetProperties(ctx context.Context, dataset string, names ...string) ([]Property, error) {
	if err := ValidateDatasetName(dataset); err != nil {
		return nil, err
	}
	return c.backend.DatasetProperties(ctx, dataset, names...)
}

// SetDatasetProperty sets a property, validating the values the admin
// guide discusses (compression, special_small_blocks).
func (c *Client) SetDatasetProperty(ctx context.Context, dataset, name, value string) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	if err := checkPropArg(name, value); err != nil {
		return err
	}
	if err := checkPropertyValue(name, value); err != nil {
		return err
	}
	return c.backend.SetDatasetProperty(ctx, dataset, name, value)
}

// SetCompression sets the compression algorithm of a dataset (lz4 is
// recommended; off disables it). Only new blocks are affected.
func (c *Client) SetCompression(ctx context.Context, dataset, algorithm string) error {
	return c.SetDatasetProperty(ctx, dataset, "compression", algorithm)
}

// SetSpecialSmallBlocks sets special_small_blocks: blocks up to size
// bytes go to the pool's special device (0 disables). It returns a
// warning when size reaches the dataset's recordsize, as then all data
// goes to the special device.
func (c *Client) SetSpecialSmallBlocks(ctx context.Context, dataset string, size uint64) (warning string, err error) {
	if err := ValidateDatasetName(dataset); err != nil {
		return "", err
	}
	var recordsize uint64
	if size != 0 {
		props, err := c.backend.DatasetProperties(ctx, dataset, "recordsize")
		if err != nil {
			return "", err
		}
		if len(props) == 1 {
			recordsize, _ = ParseSize(props[0].Value)
		}
	}
	if warning, err = CheckSpecialSmallBlocks(size, recordsize); err != nil {
		return "", err
	}
	return warning, c.backend.SetDatasetProperty(ctx, dataset, "special_small_blocks", strconv.FormatUint(size, 10))
}

// CreateDataset creates a file system or volume.
func (c *Client) CreateDataset(ctx context.Context, opts *CreateOptions) error {
	if opts == nil {
		return invalidf("no create options")
	}
	if err := opts.validate(); err != nil {
		return err
	}
	return c.backend.CreateDataset(ctx, opts)
}

// Snapshot creates pool/fs@name (and of every descendant with
// recursive).
func (c *Client) Snapshot(ctx context.Context, snapshot string, recursive bool) error {
	if err := validateSnapshot(snapshot); err != nil {
		return err
	}
	return c.backend.Snapshot(ctx, snapshot, recursive)
}

// Clone creates target as a clone of snapshot.
func (c *Client) Clone(ctx context.Context, snapshot, target string, props map[string]string) error {
	if err := validateSnapshot(snapshot); err != nil {
		return err
	}
	if err := ValidateDatasetName(target); err != nil {
		return err
	}
	if strings.ContainsAny(target, "@#") {
		return invalidf("clone target %q is a snapshot name", target)
	}
	if PoolOf(target) != PoolOf(snapshot) {
		return invalidf("clone %s of %s: clones stay in the snapshot's pool", target, snapshot)
	}
	for k, v := range props {
		if err := checkPropArg(k, v); err != nil {
			return err
		}
	}
	return c.backend.Clone(ctx, snapshot, target, props)
}

// Rollback rolls a dataset back to snapshot. ZFS refuses when newer
// snapshots exist unless destroyNewer destroys them.
func (c *Client) Rollback(ctx context.Context, snapshot string, destroyNewer bool) error {
	if err := validateSnapshot(snapshot); err != nil {
		return err
	}
	return c.backend.Rollback(ctx, snapshot, destroyNewer)
}

// DestroyDataset destroys a dataset or snapshot (with its descendants
// when recursive).
func (c *Client) DestroyDataset(ctx context.Context, dataset string, recursive bool) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	if !strings.ContainsAny(dataset, "/@#") {
		return invalidf("%s is a pool: use DestroyPool", dataset)
	}
	return c.backend.DestroyDataset(ctx, dataset, recursive)
}

// Mount mounts a file system; MountWithKey loads its key first.
func (c *Client) Mount(ctx context.Context, dataset string) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	return c.backend.Mount(ctx, dataset)
}

// Unmount unmounts a file system.
func (c *Client) Unmount(ctx context.Context, dataset string) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	return c.backend.Unmount(ctx, dataset)
}

// MountWithKey loads the key of an encrypted file system from key (as
// zfs mount -l would prompt for it) and mounts it.
func (c *Client) MountWithKey(ctx context.Context, dataset string, key []byte) error {
	if err := c.LoadKey(ctx, dataset, key); err != nil {
		return err
	}
	return c.Mount(ctx, dataset)
}

// LoadKey loads the key of an encryption root: from key when it is not
// nil, else from the dataset's keylocation (a key file).
func (c *Client) LoadKey(ctx context.Context, dataset string, key []byte) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	if key != nil && (len(key) == 0 || len(key) > 512 || strings.ContainsRune(string(key), 0)) {
		return invalidf("key material must be 1 to 512 bytes without NUL")
	}
	return c.backend.LoadKey(ctx, dataset, key)
}

// UnloadKey unloads the key of an encryption root; its file systems must
// be unmounted.
func (c *Client) UnloadKey(ctx context.Context, dataset string) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	return c.backend.UnloadKey(ctx, dataset)
}

// ChangeKey changes the key of an encryption root: a new passphrase, or
// a switch to a key file as the admin guide shows
// (Format: RawKey, Location: "file:///path/to/keyfile"). The key must be
// loaded.
func (c *Client) ChangeKey(ctx context.Context, dataset string, enc *Encryption) error {
	if err := ValidateDatasetName(dataset); err != nil {
		return err
	}
	if enc == nil {
		return invalidf("no new key")
	}
	if enc.Algorithm != "" {
		return invalidf("the encryption algorithm cannot be changed")
	}
	if err := enc.Validate(); err != nil {
		return err
	}
	return c.backend.ChangeKey(ctx, dataset, enc)
}

// KeyStatus reports a dataset's encryption, encryptionroot, keyformat,
// keylocation and keystatus.
func (c *Client) KeyStatus(ctx context.Context, dataset string) (*KeyStatus, error) {
	props, err := c.DatasetProperties(ctx, dataset, "encryption", "encryptionroot", "keyformat", "keylocation", "keystatus")
	if err != nil {
		return nil, err
	}
	ks := &KeyStatus{Dataset: dataset}
	for _, p := range props {
		v := dash(p.Value)
		switch p.Name {
		case "encryption":
			ks.Encryption = v
		case "encryptionroot":
			ks.Root = v
		case "keyformat":
			if v != "none" {
				ks.Format = v
			}
		case "keylocation":
			if v != "none" {
				ks.Location = v
			}
		case "keystatus":
			ks.Available = v == "available"
		}
	}
	return ks, nil
}

func validateSnapshot(s string) error {
	if err := ValidateDatasetName(s); err != nil {
		return err
	}
	if !strings.Contains(s, "@") {
		return invalidf("%q is not a snapshot name (pool/fs@snap)", s)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// sortedProps returns "-o k=v" pairs in key order.
func sortedProps(flag string, m map[string]string) []string {
	var a []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a = append(a, flag, fmt.Sprintf("%s=%s", k, m[k]))
	}
	return a
}
