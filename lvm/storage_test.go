package lvm

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStorage(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	orig, err := os.ReadFile("../testdata/pve8/etc/pve/storage.cfg")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "etc/pve/storage.cfg")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, orig, 0o640)
	c, _ := newTestClient(t, root)

	got, err := c.Storages()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Storages = %+v", got)
	}
	want := Storage{Type: StorageLVMThin, ID: "local-lvm", VG: "pve", ThinPool: "data", Content: []string{"rootdir", "images"}, Line: 5}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("local-lvm mismatch (-want +got):\n%s", diff)
	}

	if err := c.AddStorage(ctx, Storage{Type: StorageLVMThin, ID: "vmstore", VG: "vmdata", ThinPool: "vmstore", Content: []string{"images", "rootdir"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddStorage(ctx, Storage{Type: StorageLVM, ID: "san", VG: "sanvg", Shared: true, Content: []string{"images"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	wantText := string(orig) + "\nlvmthin: vmstore\n\tthinpool vmstore\n\tvgname vmdata\n\tcontent images,rootdir\n" +
		"\nlvm: san\n\tvgname sanvg\n\tcontent images\n\tshared\n"
	if diff := cmp.Diff(wantText, string(b)); diff != "" {
		t.Errorf("storage.cfg mismatch (-want +got):\n%s", diff)
	}
	if err := c.AddStorage(ctx, Storage{Type: StorageLVMThin, ID: "vmstore", VG: "x", ThinPool: "y"}); !errors.Is(err, ErrStorageExists) {
		t.Errorf("taken ID: %v", err)
	}
	for _, s := range []Storage{
		{Type: "zfspool", ID: "z", VG: "x"},
		{Type: StorageLVMThin, ID: "t1", VG: "x"},
		{Type: StorageLVM, ID: "l1", VG: "x", ThinPool: "p"},
		{Type: StorageLVMThin, ID: "t2", VG: "x", ThinPool: "p", Shared: true},
		{Type: StorageLVM, ID: "l2", VG: "x", Content: []string{"iso"}},
		{Type: StorageLVM, ID: "-x", VG: "x"},
	} {
		if err := c.AddStorage(ctx, s); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddStorage(%+v): %v, want ErrInvalid", s, err)
		}
	}
	if err := c.RemoveStorage(ctx, "san"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveStorage(ctx, "local"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removing a dir storage: %v", err)
	}
	if err := c.RemoveStorage(ctx, "vmstore"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(orig) {
		t.Errorf("after removing what was added:\n%s", b)
	}
}
