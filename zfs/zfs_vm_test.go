//go:build vmtest

package zfs_test

import (
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs/internal/ztest"
)

func TestCLIBackendVM(t *testing.T) {
	testenv.RequireVM(t)
	ztest.Run(t, ztest.NewClient(t, nil))
}

// BenchmarkListSnapshotsCLI lists 10,000 snapshots with properties
// through the command-line backend, against the zfs list it runs.
func BenchmarkListSnapshotsCLI(b *testing.B) {
	testenv.RequireVM(b)
	ztest.BenchListSnapshots(b, ztest.NewClient(b, nil))
}
