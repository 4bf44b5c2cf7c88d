//go:build integration

package rootfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

func TestWriteFileKeepsOwner(t *testing.T) {
	testenv.RequireRoot(t)
	f, dir := newTree(t)
	p := filepath.Join(dir, "etc/owned")
	os.WriteFile(p, []byte("a"), 0o644)
	if err := os.Chown(p, 33, 44); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFile("/etc/owned", []byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 33 || st.Gid != 44 {
		t.Errorf("owner = %d:%d, want 33:44", st.Uid, st.Gid)
	}
}
