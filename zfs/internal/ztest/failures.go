package ztest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/zfs"
)

// wholeDiskLeaf is the device a pool made on a whole disk uses: the
// partition 1 that zpool labels (both backends label whole disks).
func wholeDiskLeaf(t testing.TB, dev string) string {
	t.Helper()
	p := disk.PartitionDevice(dev, 1)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s was not labelled as zpool labels whole disks: %v", dev, err)
	}
	return p
}

func writeRandom(t testing.TB, path string, size int) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// degradedResilverScrub fails a disk of a mirror, replaces it while the
// resilver is held, then scrubs a corrupted copy: the states whose real
// zpool status outputs the parser's golden inputs are.
func degradedResilverScrub(t *testing.T, c *zfs.Client, disks []string) {
	ctx := context.Background()
	createPool(t, c, &zfs.Layout{Pool: "ztest", Level: zfs.RAID1, Disks: disks[:2]})
	if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/data"}); err != nil {
		t.Fatal(err)
	}
	writeRandom(t, "/ztest/data/blob", 2<<20)
	recordStatus(t, c, "online", "ztest")

	// The second disk fails: its labels are gone at the next import.
	if err := c.ExportPool(ctx, "ztest", false); err != nil {
		t.Fatal(err)
	}
	zpool(t, "labelclear", "-f", wholeDiskLeaf(t, disks[1]))
	if err := c.ImportPool(ctx, "ztest", nil); err != nil {
		t.Fatal(err)
	}
	st := recordStatus(t, c, "degraded", "ztest")
	var failed *zfs.Vdev
	for _, v := range st.Root.Leaves() {
		if v.State != zfs.StateOnline {
			failed = v
		}
	}
	if st.State != zfs.StateDegraded || failed == nil || failed.State != zfs.StateUnavail || !strings.HasPrefix(failed.Note, "was ") {
		t.Fatalf("after losing a disk: %s", st.Format())
	}

	// The replacement resilvers; progress is held to see it running.
	setParam(t, "zfs_scan_suspend_progress", "1")
	if err := c.ReplaceDevice(ctx, "ztest", failed.Name, disks[2], true); err != nil {
		t.Fatal(err)
	}
	st = recordStatus(t, c, "resilver", "ztest")
	if st.Scan == nil || st.Scan.Function != "resilver" || st.Scan.State != "scanning" || st.Find("replacing-1") == nil {
		t.Errorf("replace under way: %s", st.Format())
	}
	setParam(t, "zfs_scan_suspend_progress", "0")
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if st, err := c.WaitResilver(wctx, "ztest", time.Second, nil); err != nil || st.State != zfs.StateOnline || st.Find("replacing-1") != nil {
		t.Fatalf("after the resilver (%v): %s", err, st.Format())
	}
	recordStatus(t, c, "resilvered", "ztest")

	// A corrupted copy is found and repaired by a scrub.
	corruptFile(t, "ztest/data", "/ztest/data/blob", wholeDiskLeaf(t, disks[0]))
	if err := c.Scrub(ctx, "ztest", zfs.ScrubStart); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitScrub(wctx, "ztest", time.Second, nil); err != nil {
		t.Fatal(err)
	}
	st = recordStatus(t, c, "scrub-repaired", "ztest")
	if st.Scan.Function != "scrub" || st.Scan.State != "finished" || st.Scan.Processed == 0 || st.Root.Leaves()[0].Checksum == 0 {
		t.Errorf("after the scrub: %+v\n%s", st.Scan, st.Format())
	}

	// A scrub paused, then canceled.
	setParam(t, "zfs_scan_suspend_progress", "1")
	if err := c.Scrub(ctx, "ztest", zfs.ScrubStart); err != nil {
		t.Fatal(err)
	}
	if err := c.Scrub(ctx, "ztest", zfs.ScrubPause); err != nil {
		t.Fatal(err)
	}
	if st := recordStatus(t, c, "scrub-paused", "ztest"); st.Scan.State != "paused" {
		t.Errorf("paused scrub: %+v", st.Scan)
	}
	if err := c.Scrub(ctx, "ztest", zfs.ScrubStop); err != nil {
		t.Fatal(err)
	}
	if st := recordStatus(t, c, "scrub-canceled", "ztest"); st.Scan.State != "canceled" {
		t.Errorf("canceled scrub: %+v", st.Scan)
	}
}

// dataErrors damages a file on a pool without redundancy: reading it
// fails, and the status lists it (zpool status -v).
func dataErrors(t *testing.T, c *zfs.Client, disk string) {
	ctx := context.Background()
	createPool(t, c, &zfs.Layout{Pool: "ztest", Level: zfs.RAID0, Disks: []string{disk}})
	if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/vm"}); err != nil {
		t.Fatal(err)
	}
	writeRandom(t, "/ztest/vm/disk.raw", 1<<20)
	corruptFile(t, "ztest/vm", "/ztest/vm/disk.raw", wholeDiskLeaf(t, disk))
	// Export and import drop the cached blocks.
	if err := c.ExportPool(ctx, "ztest", false); err != nil {
		t.Fatal(err)
	}
	if err := c.ImportPool(ctx, "ztest", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile("/ztest/vm/disk.raw"); err == nil {
		t.Fatal("reading a corrupted file without redundancy succeeded")
	}
	st := recordStatus(t, c, "data-errors", "ztest")
	if st.DataErrors == 0 || len(st.ErrorFiles) != 1 || st.ErrorFiles[0] != "/ztest/vm/disk.raw" {
		t.Errorf("data errors %d, files %q", st.DataErrors, st.ErrorFiles)
	}
}

// importOptions exports a pool and imports it under another name,
// unmounted, below an alternate root (which sets cachefile=none).
func importOptions(t *testing.T, c *zfs.Client, disk string) {
	ctx := context.Background()
	p, _ := (&zfs.Layout{Pool: "ztest", Level: zfs.RAID0, Disks: []string{disk}}).Plan()
	if err := c.CreatePool(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.ExportPool(ctx, "ztest", false); err != nil {
		t.Fatal(err)
	}
	alt := t.TempDir()
	if err := c.ImportPool(ctx, "ztest", &zfs.ImportOptions{NewName: "zrenamed", NoMount: true, Altroot: alt, Dirs: []string{"/dev"}}); err != nil {
		t.Fatal(err)
	}
	defer destroy(t, c, "zrenamed")
	props, err := c.PoolProperties(ctx, "zrenamed", "altroot", "cachefile")
	if err != nil || len(props) != 2 || props[0].Value != alt || props[1].Value != "none" {
		t.Errorf("altroot and cachefile: %+v, %v", props, err)
	}
	if ds, _ := c.DatasetProperties(ctx, "zrenamed", "mounted"); len(ds) != 1 || ds[0].Value != "no" {
		t.Errorf("imported with NoMount: %+v", ds)
	}
	if err := c.ImportPool(ctx, "zmissing", nil); !errors.Is(err, zfs.ErrNotFound) {
		t.Errorf("import of a missing pool: %v", err)
	}
}

// createPool creates the pool of a layout, destroyed when the test ends.
func createPool(t *testing.T, c *zfs.Client, l *zfs.Layout) *zfs.Plan {
	t.Helper()
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePool(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { destroy(t, c, l.Pool) })
	return p
}

func destroy(t *testing.T, c *zfs.Client, pool string) {
	t.Helper()
	if err := c.DestroyPool(context.Background(), pool, true); err != nil {
		t.Errorf("destroy %s: %v", pool, err)
	}
}
