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
