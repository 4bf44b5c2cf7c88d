//go:build vmtest

package libzfs

import (
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs"
	"github.com/hostadm/hostadm/zfs/internal/ztest"
)

// newClient is a client on the libzfs backend; the test binary must be
// built with the libzfs tag (testdata/vm.json asks for it).
func newClient(tb testing.TB) *zfs.Client {
	tb.Helper()
	testenv.RequireVM(tb)
	b, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	return ztest.NewClient(tb, b)
}

func TestLibzfsBackendVM(t *testing.T) {
	ztest.Run(t, newClient(t))
}

// BenchmarkListSnapshotsLibzfs lists 10,000 snapshots with properties
// through libzfs, against zfs list -Hp.
func BenchmarkListSnapshotsLibzfs(b *testing.B) {
	ztest.BenchListSnapshots(b, newClient(b))
}
