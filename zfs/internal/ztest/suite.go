// Package ztest is the test suite both ZFS backends pass in the VM tier,
// on the VM's blank disks: every RAID level, special, log and cache
// devices, encryption, snapshots, clones and rollback, listings against
// zfs list, a lost disk replaced with a resilver, scrubs, data errors,
// import options, the replacement of a bootable disk and the ARC; and
// the snapshot listing benchmark. Every state the suite reaches is also
// read with the zpool command, the oracle, and compared.
package ztest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs"
)

// Disks is how many blank disks the suite needs (testdata/vm.json).
const Disks = 9

// Run runs the suite against a client using the backend under test.
func Run(t *testing.T, c *zfs.Client) {
	disks := testenv.VMDisks(t, Disks)
	ctx := context.Background()
	t.Run("levels", func(t *testing.T) {
		for _, lv := range zfs.Levels() {
			t.Run(lv.String(), func(t *testing.T) {
				n := lv.MinDisks()
				p, err := (&zfs.Layout{Pool: "ztest", Level: lv, Disks: disks[:n]}).Plan()
				if err != nil {
					t.Fatal(err)
				}
				if err := c.CreatePool(ctx, p); err != nil {
					t.Fatal(err)
				}
				defer destroy(t, c, "ztest")
				st, err := c.Status(ctx, "ztest")
				if err != nil {
					t.Fatal(err)
				}
				if st.State != zfs.StateOnline || len(st.Root.Leaves()) != n {
					t.Errorf("%v: state %s, %d leaves", lv, st.State, len(st.Root.Leaves()))
				}
				if got := zfs.Redundancy(st, zfs.ClassNormal); got != p.Redundancy {
					t.Errorf("%v: redundancy %d, plan %d", lv, got, p.Redundancy)
				}
			})
		}
	})
	t.Run("special-log-cache", func(t *testing.T) {
		p, err := (&zfs.Layout{Pool: "ztest", Level: zfs.RAID1, Disks: disks[:2], Special: disks[2:4], SpecialMirror: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CreatePool(ctx, p); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, c, "ztest")
		if _, err := c.AddDevices(ctx, "ztest", &zfs.Layout{Log: disks[4:5], Cache: disks[5:6]}, true); err != nil {
			t.Fatal(err)
		}
		st, err := c.Status(ctx, "ztest")
		if err != nil {
			t.Fatal(err)
		}
		for class, n := range map[string]int{zfs.ClassSpecial: 1, zfs.ClassLog: 1, zfs.ClassCache: 1} {
			if len(st.Class(class)) != n {
				t.Errorf("class %s: %d vdevs", class, len(st.Class(class)))
			}
		}
		if _, err := c.SetSpecialSmallBlocks(ctx, "ztest", 4096); err != nil {
			t.Error(err)
		}
		if w, err := c.SetSpecialSmallBlocks(ctx, "ztest", 128*zfs.KiB); err != nil || w == "" {
			t.Errorf("special_small_blocks=128K: warning %q, %v", w, err)
		}
	})
	t.Run("datasets-encryption", func(t *testing.T) {
		p, _ := (&zfs.Layout{Pool: "ztest", Level: zfs.RAID0, Disks: disks[:1], Compression: "lz4"}).Plan()
		if err := c.CreatePool(ctx, p); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, c, "ztest")
		pass := []byte("correct horse battery staple")
		if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/enc", Encryption: &zfs.Encryption{Key: pass, PBKDF2Iters: 100000}}); err != nil {
			t.Fatal(err)
		}
		ks, err := c.KeyStatus(ctx, "ztest/enc")
		if err != nil || !ks.Available || ks.Root != "ztest/enc" || ks.Location != "prompt" {
			t.Fatalf("key status %+v, %v", ks, err)
		}
		if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/enc/vm-100-disk-0", Type: zfs.Volume, Volsize: 64 * zfs.MiB, Volblocksize: 16 * zfs.KiB, Sparse: true}); err != nil {
			t.Fatal(err)
		}
		if ks, _ := c.KeyStatus(ctx, "ztest/enc/vm-100-disk-0"); ks.Root != "ztest/enc" {
			t.Errorf("zvol encryptionroot %q", ks.Root)
		}
		if err := c.Unmount(ctx, "ztest/enc"); err != nil {
			t.Fatal(err)
		}
		// udev probes the new zvol; its key stays busy until then.
		run(t, "udevadm", "settle")
		if err := c.UnloadKey(ctx, "ztest/enc"); err != nil {
			t.Fatal(err)
		}
		if err := c.MountWithKey(ctx, "ztest/enc", []byte("wrong passphrase")); err == nil {
			t.Error("wrong passphrase accepted")
		}
		if err := c.MountWithKey(ctx, "ztest/enc", pass); err != nil {
			t.Fatal(err)
		}
		raw := []byte(strings.Repeat("k", 32))
		if err := c.ChangeKey(ctx, "ztest/enc", &zfs.Encryption{Format: zfs.RawKey, Key: raw}); err != nil {
			t.Fatal(err)
		}
		if err := c.Snapshot(ctx, "ztest/enc@one", true); err != nil {
			t.Fatal(err)
		}
		if err := c.Snapshot(ctx, "ztest/enc@two", false); err != nil {
			t.Fatal(err)
		}
		if err := c.Rollback(ctx, "ztest/enc@one", false); err == nil {
			t.Error("rollback past a newer snapshot accepted")
		}
		if err := c.Rollback(ctx, "ztest/enc@one", true); err != nil {
			t.Fatal(err)
		}
		if err := c.Clone(ctx, "ztest/enc@one", "ztest/enc/clone", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/enc/clone", Parents: true}); err != nil {
			t.Errorf("zfs create -p of an existing file system: %v", err)
		}
		if err := c.SetCompression(ctx, "ztest/enc/clone", "zstd"); err != nil {
			t.Fatal(err)
		}
		snaps, err := c.Datasets(ctx, &zfs.ListOptions{Root: "ztest", Recursive: true, Types: []zfs.DatasetType{zfs.Snapshot}})
		if err != nil || len(snaps) != 2 {
			t.Errorf("snapshots %+v, %v", snaps, err)
		}
		// Both backends list as zfs list does: by name, snapshots after
		// their dataset in creation order, with the same properties.
		for _, fs := range []string{"ztest/b", "ztest/a", "ztest/a/z", "ztest/a-1"} {
			if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: fs}); err != nil {
				t.Fatal(err)
			}
		}
		for _, snap := range []string{"ztest@y", "ztest@x", "ztest/a@2", "ztest/a@1"} {
			if err := c.Snapshot(ctx, snap, false); err != nil {
				t.Fatal(err)
			}
		}
		all := &zfs.ListOptions{Root: "ztest", Recursive: true, Types: []zfs.DatasetType{zfs.Filesystem, zfs.Volume, zfs.Snapshot},
			Properties: []string{"encryptionroot", "keystatus", "compression", "volblocksize", "origin"}}
		got, err := c.Datasets(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.CLI().Datasets(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s listing against zfs list (-zfs list +%[1]s):\n%s", c.Backend().Name(), diff)
		}
		if err := c.DestroyDataset(ctx, "ztest/enc/clone", false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("replace-resilver", func(t *testing.T) {
		p, _ := (&zfs.Layout{Pool: "ztest", Level: zfs.RAID1, Disks: disks[:2]}).Plan()
		if err := c.CreatePool(ctx, p); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, c, "ztest")
		if err := c.CreateDataset(ctx, &zfs.CreateOptions{Name: "ztest/data", Type: zfs.Volume, Volsize: 128 * zfs.MiB}); err != nil {
			t.Fatal(err)
		}
		if err := c.ReplaceDevice(ctx, "ztest", disks[1], disks[2], true); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		st, err := c.WaitResilver(ctx, "ztest", time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Find(disks[2]) == nil && st.Find(strings.TrimPrefix(disks[2], "/dev/")) == nil || st.Scan.Function != "resilver" || st.Scan.State != "finished" {
			t.Errorf("after replace: %s", st.Format())
		}
	})
	t.Run("degraded-resilver-scrub", func(t *testing.T) { degradedResilverScrub(t, c, disks[:3]) })
	t.Run("data-errors", func(t *testing.T) { dataErrors(t, c, disks[3]) })
	t.Run("import-options", func(t *testing.T) { importOptions(t, c, disks[4]) })
	t.Run("replace-bootdisk", func(t *testing.T) { replaceBootDisk(t, c, disks[6:9]) })
	t.Run("arc", func(t *testing.T) {
		a, err := c.ARC(ctx)
		if err != nil || !a.Loaded {
			t.Fatalf("ARC %+v, %v", a, err)
		}
		target := a.Min / 2 // below the minimum: min must go first
		target -= target % zfs.MiB
		ch, err := c.SetARC(ctx, zfs.ARCSettings{Max: max(target, 64*zfs.MiB), Runtime: true})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := c.ARC(ctx)
		if after.Max != max(target, 64*zfs.MiB) {
			t.Errorf("c_max %d after %v", after.Max, ch.Steps)
		}
		c.SetARC(ctx, zfs.ARCSettings{Max: a.Max, Min: a.Min, Runtime: true})
	})
}

// Name returns a unique name for benchmark pools.
func Name(prefix string) string { return fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%100000) }

// NewClient returns a client on backend b (nil for the commands), closed
// when the test ends.
func NewClient(tb testing.TB, b zfs.Backend) *zfs.Client {
	tb.Helper()
	c, err := zfs.New(&zfs.Config{Backend: b})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
