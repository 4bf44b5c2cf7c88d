package lvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
)

func newTestClient(t *testing.T, root string) (*Client, *runnertest.Fake) {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fake := runnertest.New(t)
	c.run = fake
	return c, fake
}

func report(cmd string, extra ...string) []string {
	return append(append([]string{cmd}, reportFlags...), extra...)
}

func TestReportsThroughRunner(t *testing.T) {
	ctx := context.Background()
	c, fake := newTestClient(t, "")
	fake.Expect(report("pvs", "-o", pvColumns)...).Stdout(string(readTestdata(t, "pvs-recorded.json")))
	fake.Expect(report("vgs", "-o", vgColumns)...).Stdout(string(readTestdata(t, "vgs-recorded.json")))
	fake.Expect(append([]string{"lvs", "-a"}, append(reportFlags, "-o", lvColumns, "pve")...)...).Stdout(string(readTestdata(t, "lvs-pve.json")))
	fake.Expect("lvm", "fullreport", "-a", "--reportformat", "json", "--units", "b", "--nosuffix").Stdout(string(readTestdata(t, "fullreport-recorded.json")))
	pvs, err := c.PVs(ctx)
	if err != nil || len(pvs) != 1 || pvs[0].VGName != "pve" {
		t.Fatalf("PVs = %+v, %v", pvs, err)
	}
	vgs, err := c.VGs(ctx)
	if err != nil || len(vgs) != 1 || vgs[0].Free != 960495616 {
		t.Fatalf("VGs = %+v, %v", vgs, err)
	}
	lvs, err := c.LVs(ctx, "pve")
	if err != nil || len(lvs) != 9 {
		t.Fatalf("LVs: %d, %v", len(lvs), err)
	}
	if _, err := c.FullReport(ctx); err != nil {
		t.Fatal(err)
	}

	// Missing objects become typed errors.
	fake.Expect(report("vgs", "-o", vgColumns, "vmdata")...).Stderr(`  Volume group "vmdata" not found
  Cannot process volume group vmdata`).Exit(5)
	if _, err := c.VG(ctx, "vmdata"); !errors.Is(err, ErrVGNotFound) {
		t.Errorf("VG(vmdata): %v, want ErrVGNotFound", err)
	}
	fake.Expect(report("lvs", "-o", lvColumns, "pve/nope")...).Stderr(`  Failed to find logical volume "pve/nope"`).Exit(5)
	_, err = c.LV(ctx, "pve", "nope")
	var ee *runner.ExitError
	if !errors.Is(err, ErrLVNotFound) || !errors.As(err, &ee) || ee.ExitCode != 5 {
		t.Errorf("LV(pve/nope): %v, want ErrLVNotFound wrapping the exit error", err)
	}
	if _, err := c.LV(ctx, "pve", "bad name"); !errors.Is(err, ErrInvalid) {
		t.Errorf("LV with a bad name: %v", err)
	}
}

func TestOperationsArgv(t *testing.T) {
	ctx := context.Background()
	c, fake := newTestClient(t, "")
	fake.Expect("pvcreate", "--metadatasize", "250k", "-y", "-ff", "/dev/sdb1")
	fake.Expect("vgcreate", "vmdata", "/dev/sdb1")
	fake.Expect("lvcreate", "-y", "-L", "85899345920b", "--poolmetadatasize", "1073741824b", "-T", "-n", "vmstore", "vmdata")
	fake.Expect("lvcreate", "-n", "vm-100-disk-0", "-V", "34359738368b", "vmdata/vmstore")
	fake.Expect("lvcreate", "-s", "-n", "snap_vm-100-disk-0_a", "vmdata/vm-100-disk-0")
	fake.Expect("lvcreate", "-y", "-L", "1879048192b", "-n", "root", "vmdata")
	fake.Expect("lvcreate", "-s", "-n", "rootsnap", "-L", "1073741824b", "vmdata/root")
	fake.Expect("lvresize", "--size", "+10737418240b", "--poolmetadatasize", "+107374182b", "vmdata/vmstore")
	fake.Expect("lvremove", "-y", "vmdata/vm-100-disk-0")
	fake.Expect("vgremove", "vmdata")
	fake.Expect("pvremove", "-y", "/dev/sdb1")
	steps := []error{
		c.CreatePV(ctx, "/dev/sdb1"),
		c.CreateVG(ctx, "vmdata", "/dev/sdb1"),
		c.CreateThinPool(ctx, "vmdata", "vmstore", 80*gib, nil),
		c.CreateThinVolume(ctx, "vmdata", "vmstore", "vm-100-disk-0", 32*gib),
		c.Snapshot(ctx, "vmdata", "vm-100-disk-0", "snap_vm-100-disk-0_a", nil),
		c.CreateVolume(ctx, "vmdata", "root", 1879048192),
		c.Snapshot(ctx, "vmdata", "root", "rootsnap", &SnapshotOptions{Size: gib}),
		c.ExtendThinPool(ctx, "vmdata", "vmstore", 10*gib, MetadataGrowth(80*gib, gib, 10*gib)),
		c.RemoveLV(ctx, "vmdata", "vm-100-disk-0"),
		c.RemoveVG(ctx, "vmdata"),
		c.RemovePV(ctx, "/dev/sdb1"),
	}
	for i, err := range steps {
		if err != nil {
			t.Errorf("step %d: %v", i, err)
		}
	}
}

func TestOperationErrors(t *testing.T) {
	ctx := context.Background()
	c, fake := newTestClient(t, "")
	cases := []struct {
		name   string
		argv   []string
		stderr string
		run    func() error
		want   error
	}{
		{"vg exists", []string{"vgcreate", "pve", "/dev/sdb1"}, "  A volume group called pve already exists.", func() error { return c.CreateVG(ctx, "pve", "/dev/sdb1") }, ErrExists},
		{"lv exists", []string{"lvcreate", "-n", "vz", "-V", "1073741824b", "pve/data"}, `  Logical Volume "vz" already exists in volume group "pve"`, func() error { return c.CreateThinVolume(ctx, "pve", "data", "vz", gib) }, ErrExists},
		{"no space", []string{"lvcreate", "-y", "-L", "107374182400b", "--poolmetadatasize", "1073741824b", "-T", "-n", "big", "pve"},
			`  Volume group "pve" has insufficient free space (229 extents): 25600 required.`, func() error { return c.CreateThinPool(ctx, "pve", "big", 100*gib, nil) }, ErrNoSpace},
		{"vg missing", []string{"lvcreate", "-n", "x", "-V", "1073741824b", "nope/data"}, `  Volume group "nope" not found`, func() error { return c.CreateThinVolume(ctx, "nope", "data", "x", gib) }, ErrVGNotFound},
		{"in use", []string{"lvremove", "-y", "pve/root"}, "  Logical volume pve/root contains a filesystem in use.", func() error { return c.RemoveLV(ctx, "pve", "root") }, ErrInUse},
		{"device busy", []string{"pvcreate", "--metadatasize", "250k", "-y", "-ff", "/dev/sda3"}, "  Can't open /dev/sda3 exclusively.  Mounted filesystem?", func() error { return c.CreatePV(ctx, "/dev/sda3") }, ErrInUse},
		{"pv in vg", []string{"pvcreate", "--metadatasize", "250k", "-y", "-ff", "/dev/sdc"}, `  Can't initialize physical volume "/dev/sdc" of volume group "pve" without -ff
  /dev/sdc: physical volume not initialized.`, func() error { return c.CreatePV(ctx, "/dev/sdc") }, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fake.Expect(tt.argv...).Stderr(tt.stderr).Exit(5)
			err := tt.run()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("%v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), strings.TrimSpace(strings.Split(tt.stderr, "\n")[0])) {
				t.Errorf("error %q lacks the tool's message", err)
			}
		})
	}
	// Refused before running anything.
	for name, err := range map[string]error{
		"data without metadata": c.ExtendThinPool(ctx, "pve", "data", gib, 0),
		"nothing":               c.ExtendThinPool(ctx, "pve", "data", 0, 0),
		"reserved name":         c.CreateThinVolume(ctx, "pve", "data", "x_tmeta", gib),
		"snapshot prefix":       c.CreateVolume(ctx, "pve", "snapshot1", gib),
		"dash":                  c.CreateVG(ctx, "-vg", "/dev/sdb"),
		"relative device":       c.CreatePV(ctx, "sdb"),
		"no pvs":                c.CreateVG(ctx, "vg"),
		"zero size":             c.CreateThinPool(ctx, "pve", "data", 0, nil),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestThinPoolRules(t *testing.T) {
	for _, tt := range []struct{ pool, want uint64 }{
		{4 * gib, gib},         // 1 % is 41 MiB: at least 1 GiB
		{80 * gib, gib},        // 819 MiB: at least 1 GiB
		{500 * gib, 5 * gib},   // 1 %
		{3 << 40, 16 * gib},    // 30 GiB: at most 16 GiB
		{1600 * gib, 16 * gib}, // exactly 16 GiB
		{1500 * gib, 15 * gib}, // 1 %
		{0, gib},
	} {
		if got := ThinPoolMetadataSize(tt.pool); got != tt.want {
			t.Errorf("ThinPoolMetadataSize(%d GiB) = %d MiB, want %d MiB", tt.pool/gib, got>>20, tt.want>>20)
		}
	}
	for _, tt := range []struct{ pool, meta, data, want uint64 }{
		{500 * gib, 5 * gib, 100 * gib, gib},      // 1 % of the new 600 GiB
		{80 * gib, gib, 10 * gib, 10 * gib / 100}, // the floor holds: 1 % of the growth
		{2000 * gib, 16 * gib, 100 * gib, 0},      // at the maximum already
		{1500 * gib, 15 * gib, 1000 * gib, gib},   // clamped to 16 GiB
	} {
		if got := MetadataGrowth(tt.pool, tt.meta, tt.data); got != tt.want {
			t.Errorf("MetadataGrowth(%d, %d, %d) = %d, want %d", tt.pool, tt.meta, tt.data, got, tt.want)
		}
	}
}

func TestCreateVolumeWithFS(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	fstabText := "# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/pve/root / ext4 errors=remount-ro 0 1\n"
	os.WriteFile(filepath.Join(root, "etc/fstab"), []byte(fstabText), 0o644)
	os.MkdirAll(filepath.Join(root, "var/lib/vz/template/iso"), 0o755)
	c, fake := newTestClient(t, root)

	// Refused before any command when asked to.
	_, err := c.CreateVolumeWithFS(ctx, VolumeOptions{Size: 10 * gib, RefuseNonEmpty: true})
	if !errors.Is(err, ErrMountPointNotEmpty) {
		t.Fatalf("non-empty mount point: %v", err)
	}

	fake.Expect("lvcreate", "-n", "vz", "-V", "10737418240b", "pve/data")
	fake.Expect("mkfs.ext4", "/dev/pve/vz")
	res, err := c.CreateVolumeWithFS(ctx, VolumeOptions{Size: 10 * gib})
	if err != nil {
		t.Fatal(err)
	}
	want := &VolumeResult{
		Device:   "/dev/pve/vz",
		Entry:    "/dev/pve/vz /var/lib/vz ext4 defaults 0 2",
		Warnings: []string{"/var/lib/vz is not empty: move its files onto the new volume before mounting it, or they will be hidden"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
	got, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
	if string(got) != fstabText+"/dev/pve/vz\t/var/lib/vz\text4\tdefaults\t0\t2\n" {
		t.Errorf("fstab:\n%s", got)
	}
	for _, o := range []VolumeOptions{{Size: gib, FSType: "../../bin/sh"}, {Size: gib, MountPoint: "relative"}, {Size: 0}} {
		if _, err := c.CreateVolumeWithFS(ctx, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateVolumeWithFS(%+v): %v, want ErrInvalid", o, err)
		}
	}
	// A second run finds the entry and changes nothing.
	if _, err := c.CreateVolumeWithFS(ctx, VolumeOptions{Size: 10 * gib}); !errors.Is(err, ErrExists) {
		t.Errorf("second run: %v, want ErrExists", err)
	}
}
