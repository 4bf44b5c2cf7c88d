package lvm

import (
	"context"
	"fmt"
)

const (
	gib = 1 << 30
	// MinPoolMetadata and MaxPoolMetadata clamp the thin pool metadata
	// size that ThinPoolMetadataSize picks.
	MinPoolMetadata = 1 * gib
	MaxPoolMetadata = 16 * gib
)

// ThinPoolMetadataSize returns the metadata size Proxmox VE's installer
// gives a thin pool of poolSize bytes: 1 % of the pool, at least 1 GiB
// and at most 16 GiB (LVM's own limit is about 16 GiB).
func ThinPoolMetadataSize(poolSize uint64) uint64 {
	return min(max(poolSize/100, MinPoolMetadata), MaxPoolMetadata)
}

// CreatePV initialises a device or partition as a physical volume the
// way the admin guide does: pvcreate --metadatasize 250k -y -ff DEVICE.
// It destroys what is on the device.
func (c *Client) CreatePV(ctx context.Context, device string) error {
	if err := validDevice(device); err != nil {
		return err
	}
	return c.exec(ctx, "pvcreate", "--metadatasize", "250k", "-y", "-ff", device)
}

// CreateVG creates a volume group on physical volumes (vgcreate NAME
// PV...). A taken name fails with ErrExists.
func (c *Client) CreateVG(ctx context.Context, name string, pvs ...string) error {
	if err := validName("volume group", name); err != nil {
		return err
	}
	if len(pvs) == 0 {
		return fmt.Errorf("%w: volume group %s needs at least one physical volume", ErrInvalid, name)
	}
	for _, d := range pvs {
		if err := validDevice(d); err != nil {
			return err
		}
	}
	return c.exec(ctx, append([]string{"vgcreate", name}, pvs...)...)
}

// ThinPoolOptions tune CreateThinPool.
type ThinPoolOptions struct {
	// MetadataSize is the pool's metadata size in bytes; 0 means
	// ThinPoolMetadataSize(size).
	MetadataSize uint64
}

// CreateThinPool creates a thin pool of size bytes in vg, as the admin
// guide's lvcreate -L 80G -T -n vmstore vmdata, with the metadata size
// Proxmox VE uses. LVM also makes (or grows) a metadata spare of the
// same size, so the VG needs size plus twice the metadata free.
// Errors: ErrVGNotFound, ErrExists, ErrNoSpace.
func (c *Client) CreateThinPool(ctx context.Context, vg, name string, size uint64, opts *ThinPoolOptions) error {
	if err := validLV(vg, name); err != nil {
		return err
	}
	if size == 0 {
		return fmt.Errorf("%w: thin pool size 0", ErrInvalid)
	}
	meta := ThinPoolMetadataSize(size)
	if opts != nil && opts.MetadataSize != 0 {
		meta = opts.MetadataSize
	}
	return c.exec(ctx, "lvcreate", "-y", "-L", bytesArg(size), "--poolmetadatasize", bytesArg(meta), "-T", "-n", name, vg)
}

// CreateThinVolume creates a thin volume of virtual size bytes in a thin
// pool: lvcreate -n NAME -V SIZE VG/POOL. Its space is taken from the pool
// as data is written.
func (c *Client) CreateThinVolume(ctx context.Context, vg, pool, name string, size uint64) error {
	if err := validLV(vg, pool); err != nil {
		return err
	}
	if err := validLV(vg, name); err != nil {
		return err
	}
	if size == 0 {
		return fmt.Errorf("%w: volume size 0", ErrInvalid)
	}
	return c.exec(ctx, "lvcreate", "-n", name, "-V", bytesArg(size), vg+"/"+pool)
}

// CreateVolume creates a plain (linear) volume of size bytes, like the
// installer's root and swap.
func (c *Client) CreateVolume(ctx context.Context, vg, name string, size uint64) error {
	if err := validLV(vg, name); err != nil {
		return err
	}
	if size == 0 {
		return fmt.Errorf("%w: volume size 0", ErrInvalid)
	}
	return c.exec(ctx, "lvcreate", "-y", "-L", bytesArg(size), "-n", name, vg)
}

// SnapshotOptions tune Snapshot.
type SnapshotOptions struct {
	// Size is the copy-on-write space of a snapshot of a plain volume;
	// leave it 0 for a thin volume, whose snapshot shares its pool.
	Size uint64
}

// Snapshot creates a snapshot named snap of vg/lv (lvcreate -s). A
// thin snapshot is created with LVM's activation-skip flag set, as
// Proxmox VE's snapshots are.
func (c *Client) Snapshot(ctx context.Context, vg, lv, snap string, opts *SnapshotOptions) error {
	if err := validLV(vg, lv); err != nil {
		return err
	}
	if err := validLV(vg, snap); err != nil {
		return err
	}
	args := []string{"lvcreate", "-s", "-n", snap}
	if opts != nil && opts.Size != 0 {
		args = append(args, "-L", bytesArg(opts.Size))
	}
	return c.exec(ctx, append(args, vg+"/"+lv)...)
}

// ExtendThinPool grows a thin pool's data by data bytes and its metadata
// by metadata bytes, as the admin guide's lvresize --size +SIZE
// --poolmetadatasize +SIZE VG/POOL. The guide's rule, "when extending the
// data pool, the metadata pool must also be extended", is enforced: a
// call with data but no metadata growth fails with ErrInvalid (use
// MetadataGrowth for a size that keeps the 1 % rule).
func (c *Client) ExtendThinPool(ctx context.Context, vg, pool string, data, metadata uint64) error {
	if err := validLV(vg, pool); err != nil {
		return err
	}
	switch {
	case data == 0 && metadata == 0:
		return fmt.Errorf("%w: nothing to extend", ErrInvalid)
	case data != 0 && metadata == 0:
		return fmt.Errorf("%w: extending the data of thin pool %s/%s needs its metadata extended too", ErrInvalid, vg, pool)
	}
	args := []string{"lvresize"}
	if data != 0 {
		args = append(args, "--size", "+"+bytesArg(data))
	}
	return c.exec(ctx, append(args, "--poolmetadatasize", "+"+bytesArg(metadata), vg+"/"+pool)...)
}

// MetadataGrowth returns how much to grow a thin pool's metadata, now
// metadataSize bytes, when its data grows from poolSize by data bytes:
// enough to keep ThinPoolMetadataSize of the new size, and at least 1 %
// of the growth, never past MaxPoolMetadata (then 0).
func MetadataGrowth(poolSize, metadataSize, data uint64) uint64 {
	want := max(ThinPoolMetadataSize(poolSize+data), metadataSize+data/100)
	want = min(want, MaxPoolMetadata)
	if want <= metadataSize {
		return 0
	}
	return want - metadataSize
}

// RemoveLV removes a logical volume and its data (lvremove -y VG/LV).
// An open volume fails with ErrInUse.
func (c *Client) RemoveLV(ctx context.Context, vg, lv string) error {
	if err := validLV(vg, lv); err != nil {
		return err
	}
	return c.exec(ctx, "lvremove", "-y", vg+"/"+lv)
}

// RemoveVG removes an empty volume group (vgremove VG); one that still
// holds volumes fails.
func (c *Client) RemoveVG(ctx context.Context, vg string) error {
	if err := validName("volume group", vg); err != nil {
		return err
	}
	return c.exec(ctx, "vgremove", vg)
}

// RemovePV wipes the LVM label from a device that belongs to no VG
// (pvremove -y DEVICE).
func (c *Client) RemovePV(ctx context.Context, device string) error {
	if err := validDevice(device); err != nil {
		return err
	}
	return c.exec(ctx, "pvremove", "-y", device)
}
