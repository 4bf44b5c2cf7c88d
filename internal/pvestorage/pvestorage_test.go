package pvestorage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

func TestEdit(t *testing.T) {
	dir := t.TempDir()
	f, err := rootfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	cfg, err := Read(f)
	if err != nil || len(cfg.Sections()) != 0 {
		t.Fatalf("missing file: %v", err)
	}
	add := func(c *sectioncfg.File) error {
		s, err := c.Add("dir", "local")
		if err != nil {
			return err
		}
		return s.Set("path", "/var/lib/vz")
	}
	if err := Edit(ctx, f, add); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, Path))
	if string(got) != "dir: local\n\tpath /var/lib/vz\n" {
		t.Errorf("storage.cfg = %q", got)
	}
	if err := Edit(ctx, f, add); !errors.Is(err, sectioncfg.ErrExists) {
		t.Errorf("second add: %v", err)
	}
	err = Edit(ctx, f, func(c *sectioncfg.File) error {
		os.WriteFile(filepath.Join(dir, Path), []byte("# changed\n"), 0o640)
		c.Lookup("local").SetFlag("disable")
		return nil
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("concurrent edit: %v, want ErrConflict", err)
	}
}

func TestValidIDAndList(t *testing.T) {
	for id, ok := range map[string]bool{"local-lvm": true, "my.store_1": true, "1x": false, "a": false, "x-": false, "": false} {
		if err := ValidID(id); (err == nil) != ok {
			t.Errorf("ValidID(%q) = %v", id, err)
		}
	}
	if got := List("images,rootdir"); len(got) != 2 || got[1] != "rootdir" {
		t.Errorf("List = %q", got)
	}
	if List("") != nil {
		t.Error("List(\"\") is not nil")
	}
}
