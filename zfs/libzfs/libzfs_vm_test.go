//go:build vmtest

package libzfs

import (
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/zfs"
	"github.com/hostadm/hostadm/zfs/internal/ztest"
)

func TestLibzfsBackendVM(t *testing.T) {
	testenv.RequireVM(t)
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := zfs.New(&zfs.Config{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ztest.Run(t, c)
}

// BenchmarkListSnapshotsLibzfs lists 10,000 snapshots with properties
// through libzfs, against zfs list -Hp.
func BenchmarkListSnapshotsLibzfs(b *testing.B) {
	testenv.RequireVM(b)
	be, err := New()
	if err != nil {
		b.Fatal(err)
	}
	c, err := zfs.New(&zfs.Config{Backend: be})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ztest.BenchListSnapshots(b, c)
}
