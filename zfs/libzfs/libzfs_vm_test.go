//go:build vmtest && libzfs && linux && cgo

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
