package ztest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs"
)

// BenchSnapshots is how many snapshots the listing benchmark reads, of
// benchDatasets file systems.
const (
	BenchSnapshots = 10000
	benchDatasets  = 100
)

// BenchListSnapshots lists BenchSnapshots snapshots with their creation
// time, GUID, written and userrefs properties through c's backend
// ("hostadm") and with zfs list -Hp -t snapshot -o ..., the command the
// CLI backend runs, without parsing its output ("vs=zfs-list").
func BenchListSnapshots(b *testing.B, c *zfs.Client) {
	disk := testenv.VMDisks(b, 1)[0]
	ctx := context.Background()
	zpool(b, "create", "-f", "zbench", disk)
	b.Cleanup(func() { exec.Command("zpool", "destroy", "-f", "zbench").Run() })
	// ZFS takes one snapshot of a dataset per transaction group: 100
	// datasets get 100 recursive snapshots each.
	for i := 1; i < benchDatasets; i++ {
		run(b, "zfs", "create", fmt.Sprintf("zbench/vm-%d-disk-0", 100+i))
	}
	for i := 0; i < BenchSnapshots/benchDatasets; i++ {
		run(b, "zfs", "snapshot", "-r", fmt.Sprintf("zbench@auto-%03d", i))
	}
	opts := &zfs.ListOptions{Root: "zbench", Recursive: true, Types: []zfs.DatasetType{zfs.Snapshot},
		Properties: []string{"creation", "guid", "written", "userrefs"}}
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			ds, err := c.Datasets(ctx, opts)
			if err != nil || len(ds) != BenchSnapshots {
				b.Fatalf("%d snapshots, %v", len(ds), err)
			}
		}
	})
	b.Run("vs=zfs-list", func(b *testing.B) {
		argv := zfs.DatasetListArgs(opts)
		for b.Loop() {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			if out, err := cmd.Output(); err != nil || len(out) == 0 {
				b.Fatalf("%v: %v", argv, err)
			}
		}
	})
}
