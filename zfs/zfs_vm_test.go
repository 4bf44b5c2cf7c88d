//go:build vmtest

package zfs_test

import (
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs"
	"github.com/hostadm/hostadm/zfs/internal/ztest"
)

func TestCLIBackendVM(t *testing.T) {
	testenv.RequireVM(t)
	c, err := zfs.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ztest.Run(t, c)
}

// BenchmarkListSnapshotsCLI lists 10,000 snapshots with properties
// through the command-line backend, against the zfs list it runs.
func BenchmarkListSnapshotsCLI(b *testing.B) {
	testenv.RequireVM(b)
	c, err := zfs.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ztest.BenchListSnapshots(b, c)
}
