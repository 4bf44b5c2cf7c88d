package lvm

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/fstab"
	"github.com/hostadm/hostadm/internal/runner"
)

// lvmPartitionType is the GPT type the installer gives its LVM
// partition (gdisk code 8E00, Linux LVM).
const lvmPartitionType = "8E00"

// PartitionForLVM writes one partition over the largest free space of
// an empty disk, the admin guide's sgdisk -N 1 DISK, typed Linux LVM,
// and returns the partition's device (/dev/sdb1, /dev/nvme0n1p1). It
// creates a GUID partition table if the disk has none.
func (c *Client) PartitionForLVM(ctx context.Context, diskPath string) (string, error) {
	if err := validDevice(diskPath); err != nil {
		return "", err
	}
	typ, err := disk.TypeFromCode(lvmPartitionType)
	if err != nil {
		return "", err
	}
	p, err := disk.CreateLargest(ctx, diskPath, 1, typ)
	if err != nil {
		return "", fmt.Errorf("partition %s for LVM: %w", diskPath, err)
	}
	return disk.PartitionDevice(diskPath, p.Number), nil
}

// CreateVGOnDisk is the admin guide's "Creating a Volume Group" on an
// empty disk: one partition (PartitionForLVM), a physical volume on it
// (CreatePV) and the volume group (CreateVG). It returns the partition.
// Everything on the disk is destroyed.
func (c *Client) CreateVGOnDisk(ctx context.Context, diskPath, vg string) (string, error) {
	if err := validName("volume group", vg); err != nil {
		return "", err
	}
	part, err := c.PartitionForLVM(ctx, diskPath)
	if err != nil {
		return "", err
	}
	if err := c.CreatePV(ctx, part); err != nil {
		return part, err
	}
	return part, c.CreateVG(ctx, vg, part)
}

// VolumeOptions describe an extra thin volume with a file system, such as
// the admin guide's volume for /var/lib/vz.
type VolumeOptions struct {
	VG   string // "pve" when empty
	Pool string // "data" when empty
	Name string // "vz" when empty
	Size uint64 // virtual size in bytes, required
	// MountPoint is where the fstab entry mounts it; "/var/lib/vz" when
	// empty.
	MountPoint string
	// FSType is the file system made on it; "ext4" when empty.
	FSType string
	// RefuseNonEmpty makes CreateVolumeWithFS fail before changing
	// anything when the mount point holds files, instead of warning.
	RefuseNonEmpty bool
}

func (o *VolumeOptions) defaults() {
	if o.VG == "" {
		o.VG = "pve"
	}
	if o.Pool == "" {
		o.Pool = "data"
	}
	if o.Name == "" {
		o.Name = "vz"
	}
	if o.MountPoint == "" {
		o.MountPoint = "/var/lib/vz"
	}
	if o.FSType == "" {
		o.FSType = "ext4"
	}
}

// VolumeResult is what CreateVolumeWithFS did.
type VolumeResult struct {
	Device string `json:"device"` // /dev/pve/vz
	// Entry is the fstab line added.
	Entry string `json:"fstab_entry"`
	// Warnings holds what the admin guide warns about, such as a
	// non-empty mount point.
	Warnings []string `json:"warnings,omitempty"`
}

// fsTypeRE is what may follow "mkfs.": ext4, xfs, btrfs.
var fsTypeRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// ErrMountPointNotEmpty is returned with RefuseNonEmpty when the mount
// point holds files that the new volume would hide.
var ErrMountPointNotEmpty = fmt.Errorf("%w: mount point is not empty", ErrInvalid)

// CreateVolumeWithFS is the admin guide's "Creating an extra LV for
// /var/lib/vz": a thin volume (lvcreate -n vz -V SIZE pve/data), a file
// system on it (mkfs.ext4 /dev/pve/vz) and the fstab line
// "/dev/pve/vz /var/lib/vz ext4 defaults 0 2". LVM's /dev/VG/LV names are
// stable, so the entry names the volume by path as the guide does. The
// guide warns that /var/lib/vz is not empty on a default installation:
// its files would be hidden by the mount, so a non-empty mount point is
// reported in the result's warnings (or refused with RefuseNonEmpty).
// The volume is not mounted; run `mount MOUNTPOINT` after moving the
// files.
func (c *Client) CreateVolumeWithFS(ctx context.Context, opts VolumeOptions) (*VolumeResult, error) {
	opts.defaults()
	if err := validLV(opts.VG, opts.Name); err != nil {
		return nil, err
	}
	if opts.Size == 0 {
		return nil, fmt.Errorf("%w: volume size 0", ErrInvalid)
	}
	if !fsTypeRE.MatchString(opts.FSType) {
		return nil, fmt.Errorf("%w: file system type %q", ErrInvalid, opts.FSType)
	}
	if !strings.HasPrefix(opts.MountPoint, "/") {
		return nil, fmt.Errorf("%w: mount point %q is not absolute", ErrInvalid, opts.MountPoint)
	}
	tab, err := fstab.New(&fstab.Config{Root: c.fs.Dir()})
	if err != nil {
		return nil, err
	}
	defer tab.Close()
	// Check what can be checked before changing anything.
	f, err := tab.Read()
	if err != nil {
		return nil, err
	}
	if e := f.Lookup(opts.MountPoint); e != nil {
		return nil, fmt.Errorf("%w: %s is already in %s (line %d)", ErrExists, opts.MountPoint, tab.Path(), e.Line)
	}
	res := &VolumeResult{Device: "/dev/" + opts.VG + "/" + opts.Name}
	empty, err := tab.MountPointEmpty(opts.MountPoint)
	if err != nil {
		return nil, err
	}
	if !empty {
		if opts.RefuseNonEmpty {
			return nil, fmt.Errorf("%w: %s", ErrMountPointNotEmpty, opts.MountPoint)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s is not empty: move its files onto the new volume before mounting it, or they will be hidden", opts.MountPoint))
	}
	if err := c.CreateThinVolume(ctx, opts.VG, opts.Pool, opts.Name, opts.Size); err != nil {
		return nil, err
	}
	if _, err := c.run.Run(ctx, runner.Cmd{Args: []string{"mkfs." + opts.FSType, res.Device}}); err != nil {
		return res, fmt.Errorf("mkfs on %s: %w", res.Device, err)
	}
	entry := fstab.Entry{
		Source: fstab.SourcePath(res.Device), MountPoint: opts.MountPoint, Type: opts.FSType,
		Options: fstab.Options{"defaults"}, PassNo: 2,
	}
	err = tab.Edit(ctx, func(f *fstab.File) error {
		_, err := f.Add(entry)
		return err
	})
	if err != nil {
		return res, err
	}
	res.Entry = entry.String()
	return res, nil
}
