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

// BenchSnapshots is how many snapshots the listing benchmark reads.
const BenchSnapshots = 10000

// BenchListSnapshots lists BenchSnapshots snapshots with their creation
// time, GUID, written and userrefs properties through c's backend
// ("hostadm") and with zfs list -Hp -t snapshot -o ..., the command the
// CLI backend runs, without parsing its output ("vs=zfs-list").
func BenchListSnapshots(b *testing.B, c *zfs.Client) {
	disk := testenv.VMDisks(b, 1)[0]
	ctx := context.Background()
	zpool(b, "create", "-f", "zbench", disk)
	b.Cleanup(func() { exec.Command("zpool", "destroy", "-f", "zbench").Run() })
	run(b, "zfs", "create", "zbench/fs")
	for i := 0; i < BenchSnapshots; i += 1000 {
		args := []string{"snapshot"}
		for j := i; j < i+1000 && j < BenchSnapshots; j++ {
			args = append(args, fmt.Sprintf("zbench/fs@auto-%05d", j))
		}
		run(b, "zfs", args...)
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
