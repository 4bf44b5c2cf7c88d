package zfs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hostadm/hostadm/boot"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/internal/runner"
)

// BootMode is how a host boots from its pool's disks, which decides how
// a replacement disk is made bootable.
type BootMode string

// Boot modes of the admin guide's "Changing a failed bootable device".
const (
	// BootAuto detects the mode: the ESP list of proxmox-boot-tool and
	// the boot loader its ESPs are set up for, else plain GRUB.
	BootAuto BootMode = ""
	// BootSystemdBoot: ESPs kept in sync by proxmox-boot-tool, with
	// systemd-boot (proxmox-boot-tool init ESP).
	BootSystemdBoot BootMode = "systemd-boot"
	// BootGRUB: ESPs kept in sync by proxmox-boot-tool, with GRUB
	// (proxmox-boot-tool init ESP grub), as with Secure Boot.
	BootGRUB BootMode = "grub"
	// BootPlainGRUB: GRUB installed on each disk, without
	// proxmox-boot-tool (grub-install DISK): hosts installed with
	// Proxmox VE 6.3 or earlier and never migrated.
	BootPlainGRUB BootMode = "plain-grub"
)

// Partition numbers of the Proxmox VE installer's bootable disks.
const (
	InstallerESPPartition = 2
	InstallerZFSPartition = 3
)

// BootDiskReplacement describes the replacement of a failed disk of a
// pool the host boots from.
type BootDiskReplacement struct {
	Pool string
	// Healthy is a whole bootable disk of the pool whose partition
	// table is copied, preferably a /dev/disk/by-id path.
	Healthy string
	// Old is the failed device as zpool status names it: its ZFS
	// partition, its path, or its GUID when it is missing.
	Old string
	// New is the whole replacement disk. It must carry no partition
	// table unless Force.
	New string
	// ZFSPartition and ESPPartition are the partition numbers of the
	// pool's device and the EFI system partition; zero means the
	// installer's 3 and 2.
	ZFSPartition int
	ESPPartition int
	// Mode is how the host boots; BootAuto detects it.
	Mode BootMode
	// Boot manages the ESPs; nil means boot.New with the client's Root.
	Boot *boot.Manager
	// Force overwrites a partition table on New and a file system left
	// on its new ESP partition.
	Force bool
	// Wait follows the resilver to its end, polling every Interval
	// (zero means 5 s) and calling Progress, when set, with each state.
	Wait     bool
	Interval time.Duration
	Progress func(*Scan)
}

// BootDiskResult says what ReplaceBootDisk did.
type BootDiskResult struct {
	// Table is the partition table written to the new disk.
	Table *disk.Table `json:"table"`
	// Device is the new disk's ZFS partition, now in the pool.
	Device string `json:"device"`
	// ESP is the new disk's EFI system partition and ESPUUID the UUID
	// of the file system written to it; both empty with BootPlainGRUB.
	ESP     string `json:"esp,omitempty"`
	ESPUUID string `json:"esp_uuid,omitempty"`
	// Mode is the boot mode used.
	Mode BootMode         `json:"mode"`
	Init *boot.InitResult `json:"init,omitempty"`
	// Status is the pool's status after the resilver (with Wait) or
	// right after the replace.
	Status *PoolStatus `json:"status,omitempty"`
	// Steps are the admin guide's commands that the replacement did, in
	// order, such as "sgdisk /dev/sda -R /dev/sdc".
	Steps []string `json:"steps"`
}

// ReplaceBootDisk replaces a failed disk of a bootable pool with a new
// disk, as the admin guide's "Changing a failed bootable device" does:
//
//  1. copy the partition table of a healthy bootable disk to the new
//     disk and give it new GUIDs (sgdisk HEALTHY -R NEW; sgdisk -G NEW),
//  2. replace the failed device with the new disk's ZFS partition
//     (zpool replace -f POOL OLD NEW-part3), which starts a resilver,
//  3. make the new disk bootable in the host's mode: format its ESP and
//     add it to proxmox-boot-tool's list with systemd-boot or GRUB
//     (proxmox-boot-tool format NEW-part2; proxmox-boot-tool init
//     NEW-part2 [grub]), or run grub-install NEW on a plain GRUB host.
//
// Before writing anything it checks that the pool has both the healthy
// disk's ZFS partition and the old device, and that the new disk is not
// in the pool and is blank. It returns the result so far with an error
// when a step fails; Steps tells which were done. The failed disk's ESP
// stays in /etc/kernel/proxmox-boot-uuids until it is pulled and
// boot.Manager.Clean runs.
func (c *Client) ReplaceBootDisk(ctx context.Context, r *BootDiskReplacement) (*BootDiskResult, error) {
	if r == nil {
		return nil, invalidf("no replacement")
	}
	if err := ValidatePoolName(r.Pool); err != nil {
		return nil, err
	}
	for _, d := range []string{r.Healthy, r.Old, r.New} {
		if d == "" || strings.HasPrefix(d, "-") || strings.ContainsAny(d, "\n\x00") {
			return nil, invalidf("invalid device %q", d)
		}
	}
	if !strings.HasPrefix(r.Healthy, "/") || !strings.HasPrefix(r.New, "/") {
		return nil, invalidf("the healthy and the new disk must be device paths, got %s and %s", r.Healthy, r.New)
	}
	zfsPart, espPart := cmp.Or(r.ZFSPartition, InstallerZFSPartition), cmp.Or(r.ESPPartition, InstallerESPPartition)
	if zfsPart == espPart || zfsPart < 1 || espPart < 1 {
		return nil, invalidf("partitions %d (ZFS) and %d (ESP)", zfsPart, espPart)
	}
	if sameFile(r.Healthy, r.New) {
		return nil, invalidf("the healthy and the new disk are both %s", r.New)
	}
	switch r.Mode {
	case BootAuto, BootSystemdBoot, BootGRUB, BootPlainGRUB:
	default:
		return nil, invalidf("unknown boot mode %q", r.Mode)
	}

	st, err := c.Status(ctx, r.Pool)
	if err != nil {
		return nil, err
	}
	healthy := disk.PartitionDevice(r.Healthy, zfsPart)
	if v := findDevice(st, healthy); v == nil || v.State != StateOnline {
		return nil, fmt.Errorf("zfs: %s: %s is not an online device of the pool: %w", r.Pool, healthy, ErrInvalid)
	}
	if findDevice(st, r.Old) == nil {
		return nil, fmt.Errorf("zfs: %s: no device %s: %w", r.Pool, r.Old, ErrNotFound)
	}
	newPart := disk.PartitionDevice(r.New, zfsPart)
	if findDevice(st, r.New) != nil || findDevice(st, newPart) != nil {
		return nil, invalidf("%s is already in pool %s", r.New, r.Pool)
	}
	if !r.Force {
		if t, err := disk.Read(r.New); err == nil && len(t.Partitions) > 0 {
			return nil, invalidf("%s has %d partitions: a replacement disk must be blank (or use Force)", r.New, len(t.Partitions))
		} else if err != nil && !errors.Is(err, disk.ErrNoTable) {
			return nil, fmt.Errorf("zfs: %w", err)
		}
	}

	m := r.Boot
	if m == nil && r.Mode != BootPlainGRUB {
		if m, err = boot.New(&boot.Config{Root: c.root}); err != nil {
			return nil, fmt.Errorf("zfs: %w", err)
		}
		defer m.Close()
	}
	res := &BootDiskResult{Mode: r.Mode}
	if res.Mode == BootAuto {
		if res.Mode, err = detectBootMode(ctx, m); err != nil {
			return nil, err
		}
	}

	// 1. The partition table, with new GUIDs.
	if res.Table, err = disk.CopyTable(ctx, r.Healthy, r.New); err != nil {
		return res, fmt.Errorf("zfs: copy the partition table of %s to %s: %w", r.Healthy, r.New, err)
	}
	res.Steps = append(res.Steps, "sgdisk "+r.Healthy+" -R "+r.New, "sgdisk -G "+r.New)
	parts := []string{newPart}
	if res.Mode != BootPlainGRUB {
		res.ESP = disk.PartitionDevice(r.New, espPart)
		parts = append(parts, res.ESP)
	}
	if err := waitDevices(ctx, parts...); err != nil {
		return res, err
	}

	// 2. The pool's device.
	if err := c.ReplaceDevice(ctx, r.Pool, r.Old, newPart, true); err != nil {
		return res, err
	}
	res.Device = newPart
	res.Steps = append(res.Steps, "zpool replace -f "+r.Pool+" "+r.Old+" "+newPart)

	// 3. The boot loader.
	switch res.Mode {
	case BootPlainGRUB:
		if _, err := c.run.Run(ctx, runner.Cmd{Args: []string{"grub-install", r.New}}); err != nil {
			return res, fmt.Errorf("zfs: %w", err)
		}
		res.Steps = append(res.Steps, "grub-install "+r.New)
	default:
		if res.ESPUUID, err = m.Format(ctx, res.ESP, &boot.FormatOptions{Force: r.Force}); err != nil {
			return res, fmt.Errorf("zfs: format the ESP %s: %w", res.ESP, err)
		}
		res.Steps = append(res.Steps, "proxmox-boot-tool format "+res.ESP)
		mode, step := boot.InitSystemdBoot, "proxmox-boot-tool init "+res.ESP
		if res.Mode == BootGRUB {
			mode, step = boot.InitGRUB, step+" grub"
		}
		res.Init, err = m.Init(ctx, res.ESP, mode)
		if err != nil {
			return res, fmt.Errorf("zfs: init the ESP %s: %w", res.ESP, err)
		}
		res.Steps = append(res.Steps, step)
	}

	if r.Wait {
		res.Status, err = c.WaitResilver(ctx, r.Pool, r.Interval, r.Progress)
	} else {
		res.Status, err = c.Status(ctx, r.Pool)
	}
	return res, err
}

// detectBootMode tells how the host boots: without an ESP list, plain
// GRUB; with one, GRUB when an ESP is set up for it (the admin guide:
// pass grub to init "if proxmox-boot-tool status indicates your current
// disks are using GRUB"), systemd-boot when they are set up for UEFI,
// and the detected boot loader when no ESP can be read.
func detectBootMode(ctx context.Context, m *boot.Manager) (BootMode, error) {
	st, err := m.Status(ctx, true)
	if err != nil {
		return "", fmt.Errorf("zfs: boot status: %w", err)
	}
	if !st.Configured {
		return BootPlainGRUB, nil
	}
	uefi := false
	for _, e := range st.ESPs {
		if strings.Contains(e.Mode, "grub") {
			return BootGRUB, nil
		}
		uefi = uefi || e.Mode == "uefi"
	}
	if uefi || st.Detection == nil || !st.Detection.Loader.IsGRUB() {
		return BootSystemdBoot, nil
	}
	return BootGRUB, nil
}

// findDevice returns the leaf vdev of a device given as zpool status
// names it (a name, a path or a GUID) or as any path of the same device
// node.
func findDevice(st *PoolStatus, dev string) *Vdev {
	if v := st.Find(dev); v != nil {
		return v
	}
	var found *Vdev
	st.Root.Walk(func(v *Vdev, _ int) {
		if found != nil || len(v.Children) > 0 || v.Type == "root" {
			return
		}
		for _, p := range devicePaths(v.Name) {
			if p == dev || sameFile(p, dev) {
				found = v
				return
			}
		}
	})
	return found
}

// devicePaths returns where a device named as zpool status shows it may
// be: zpool strips /dev/ and the /dev/disk/by-* directories.
func devicePaths(name string) []string {
	if strings.HasPrefix(name, "/") {
		return []string{name}
	}
	out := []string{"/dev/" + name}
	for _, d := range []string{"by-id", "by-path", "by-vdev", "by-partuuid", "by-uuid"} {
		out = append(out, "/dev/disk/"+d+"/"+name)
	}
	return out
}

// sameFile reports whether two paths name the same device.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// waitDevices waits up to 30 s for udev to create the device nodes of
// new partitions.
func waitDevices(ctx context.Context, paths ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, p := range paths {
		for {
			if _, err := os.Stat(p); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("zfs: waiting for %s: %w", p, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
