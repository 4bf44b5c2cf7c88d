//go:build vmtest

package lvm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestVMThinPoolLifeCycle walks the admin guide's LVM sections on blank
// virtual disks: a VG on a partitioned disk, a thin pool with Proxmox VE's
// metadata rule, thin volumes and snapshots, the pool's extension, the
// extra volume for /var/lib/vz, the typed errors users hit, and removal.
func TestVMThinPoolLifeCycle(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireTool(t, "lvm", "mkfs.ext4")
	ctx := context.Background()
	disks := testenv.VMDisks(t, 2)
	c, err := New(&Config{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Creating a Volume Group: sgdisk -N 1, pvcreate, vgcreate.
	part, err := c.CreateVGOnDisk(ctx, disks[0], "vmdata")
	must(err)
	t.Cleanup(func() {
		exec.Command("vgremove", "-f", "vmdata").Run()
		exec.Command("pvremove", "-y", part).Run()
	})
	pvs, err := c.PVs(ctx)
	must(err)
	var pv *PV
	for i := range pvs {
		if pvs[i].Name == part {
			pv = &pvs[i]
		}
	}
	if pv == nil || pv.VGName != "vmdata" || !pv.Attr.Allocatable || pv.Format != "lvm2" {
		t.Fatalf("PV on %s: %+v", part, pv)
	}
	vg, err := c.VG(ctx, "vmdata")
	must(err)
	if !vg.Attr.Writeable || !vg.Attr.Resizeable || vg.Attr.AllocationPolicy != "normal" || vg.PVCount != 1 || vg.Free != vg.Size {
		t.Errorf("new VG: %+v", vg)
	}

	// The default metadata (1 GiB) for a 5 GiB pool does not fit with its
	// spare: a typed error.
	err = c.CreateThinPool(ctx, "vmdata", "vmstore", 5*gib, nil)
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("oversized pool: %v, want ErrNoSpace", err)
	}
	// 3 GiB of data, 1 GiB of metadata (the rule's minimum), 1 GiB spare.
	must(c.CreateThinPool(ctx, "vmdata", "vmstore", 3*gib, nil))
	pool, err := c.LV(ctx, "vmdata", "vmstore")
	must(err)
	if !pool.IsThinPool() || !pool.Attr.Active() || pool.Size != 3*gib || pool.MetadataSize != ThinPoolMetadataSize(3*gib) {
		t.Errorf("pool: %+v", pool)
	}
	if pool.DataPercent == nil || *pool.DataPercent != 0 || pool.MetadataPercent == nil {
		t.Errorf("pool usage: data %v metadata %v", pool.DataPercent, pool.MetadataPercent)
	}
	if err := c.CreateThinPool(ctx, "vmdata", "vmstore", gib, &ThinPoolOptions{MetadataSize: 8 << 20}); !errors.Is(err, ErrExists) {
		t.Errorf("second pool of the same name: %v, want ErrExists", err)
	}

	// Thin volumes, data written, a snapshot.
	must(c.CreateThinVolume(ctx, "vmdata", "vmstore", "vm-100-disk-0", 8*gib))
	dev := "/dev/vmdata/vm-100-disk-0"
	f, err := os.OpenFile(dev, os.O_WRONLY, 0)
	must(err)
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	for range 64 {
		f.Write(buf)
	}
	must(f.Sync())
	f.Close()
	must(c.Snapshot(ctx, "vmdata", "vm-100-disk-0", "snap_vm-100-disk-0_before", nil))
	lvs, err := c.LVs(ctx, "vmdata")
	must(err)
	byName := map[string]LV{}
	for _, l := range lvs {
		byName[l.Name] = l
	}
	thin := byName["vm-100-disk-0"]
	if !thin.IsThinVolume() || thin.Pool != "vmstore" || thin.Size != 8*gib || thin.DataPercent == nil || *thin.DataPercent <= 0 {
		t.Errorf("thin volume: %+v", thin)
	}
	snap := byName["snap_vm-100-disk-0_before"]
	if snap.Origin != "vm-100-disk-0" || !snap.Attr.SkipActivation || snap.Attr.Active() {
		t.Errorf("snapshot: %+v", snap)
	}
	for _, hidden := range []string{"vmstore_tdata", "vmstore_tmeta", "lvol0_pmspare"} {
		if l, ok := byName[hidden]; !ok || !l.Hidden {
			t.Errorf("hidden %s: %+v", hidden, l)
		}
	}
	if p := byName["vmstore"]; p.DataPercent == nil || *p.DataPercent <= 0 {
		t.Errorf("pool data use after writing: %v", p.DataPercent)
	}
	if err := c.CreateThinVolume(ctx, "vmdata", "vmstore", "vm-100-disk-0", gib); !errors.Is(err, ErrExists) {
		t.Errorf("taken LV name: %v, want ErrExists", err)
	}

	// Resizing the thin pool: data and metadata together.
	if err := c.ExtendThinPool(ctx, "vmdata", "vmstore", 256<<20, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("data without metadata: %v", err)
	}
	must(c.ExtendThinPool(ctx, "vmdata", "vmstore", 256<<20, 64<<20))
	pool, err = c.LV(ctx, "vmdata", "vmstore")
	must(err)
	if pool.Size != 3*gib+256<<20 || pool.MetadataSize != gib+64<<20 {
		t.Errorf("extended pool: size %d metadata %d", pool.Size, pool.MetadataSize)
	}

	// The extra volume with a file system and its fstab entry.
	root := c.fs.Dir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/fstab"), []byte("proc /proc proc defaults 0 0\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "var/lib/vz/dump"), 0o755)
	res, err := c.CreateVolumeWithFS(ctx, VolumeOptions{VG: "vmdata", Pool: "vmstore", Size: gib})
	must(err)
	if len(res.Warnings) != 1 || res.Entry != "/dev/vmdata/vz /var/lib/vz ext4 defaults 0 2" {
		t.Errorf("volume with fs: %+v", res)
	}
	if out, err := exec.Command("blkid", "-o", "value", "-s", "TYPE", "/dev/vmdata/vz").Output(); err != nil || strings.TrimSpace(string(out)) != "ext4" {
		t.Errorf("blkid of /dev/vmdata/vz: %q %v", out, err)
	}

	// A mounted volume cannot be removed.
	mnt := t.TempDir()
	must(unix.Mount("/dev/vmdata/vz", mnt, "ext4", 0, ""))
	err = c.RemoveLV(ctx, "vmdata", "vz")
	unix.Unmount(mnt, 0)
	if !errors.Is(err, ErrInUse) {
		t.Errorf("removing a mounted volume: %v, want ErrInUse", err)
	}

	// Lookups of what is not there.
	if _, err := c.VG(ctx, "nope"); !errors.Is(err, ErrVGNotFound) {
		t.Errorf("VG(nope): %v", err)
	}
	if _, err := c.LV(ctx, "vmdata", "nope"); !errors.Is(err, ErrLVNotFound) {
		t.Errorf("LV(vmdata/nope): %v", err)
	}
	if err := c.CreateThinVolume(ctx, "nope", "vmstore", "x", gib); !errors.Is(err, ErrVGNotFound) {
		t.Errorf("thin volume in a missing VG: %v", err)
	}

	// The full report agrees with the separate ones.
	rep, err := c.FullReport(ctx)
	must(err)
	var found bool
	for _, rv := range rep.VGs {
		if rv.VG.Name == "vmdata" {
			found = true
			if len(rv.LVs) != len(lvs)+1 || len(rv.PVs) != 1 || rv.PVs[0].Name != part {
				t.Errorf("fullreport of vmdata: %d LVs (lvs: %d + vz), PVs %+v", len(rv.LVs), len(lvs), rv.PVs)
			}
		}
	}
	if !found {
		t.Error("fullreport lacks vmdata")
	}

	// A whole-disk PV, a VG on it, then removal of everything.
	must(c.CreatePV(ctx, disks[1]))
	must(c.CreateVG(ctx, "spare", disks[1]))
	if err := c.CreateVG(ctx, "spare", disks[1]); !errors.Is(err, ErrExists) {
		t.Errorf("taken VG name: %v", err)
	}
	must(c.RemoveVG(ctx, "spare"))
	must(c.RemovePV(ctx, disks[1]))
	for _, lv := range []string{"vz", "snap_vm-100-disk-0_before", "vm-100-disk-0", "vmstore"} {
		must(c.RemoveLV(ctx, "vmdata", lv))
	}
	must(c.RemoveVG(ctx, "vmdata"))
	must(c.RemovePV(ctx, part))
	if _, err := c.VG(ctx, "vmdata"); !errors.Is(err, ErrVGNotFound) {
		t.Errorf("after removal: %v", err)
	}
}
