package pvestorage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

func TestRemove(t *testing.T) {
	const cfg = "dir: local\n\tpath /var/lib/vz\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\nbtrfs: store\n\tpath /mnt/store\n"
	tests := []struct {
		name    string
		id      string
		types   []string
		wantErr string // "" for success
		want    string
	}{
		{"entry of the type", "local-lvm", []string{"lvm", "lvmthin"}, "", "dir: local\n\tpath /var/lib/vz\n\nbtrfs: store\n\tpath /mnt/store\n"},
		{"entry of another type", "local", []string{"lvm", "lvmthin"}, "storage local: no lvm or lvmthin entry", cfg},
		{"no entry", "gone", []string{"btrfs"}, "storage gone: no btrfs entry", cfg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := rootfs.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.WriteFile(Path, []byte(cfg), nil); err != nil {
				t.Fatal(err)
			}
			err = Remove(context.Background(), f, tt.id, tt.types...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (!errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Fatalf("Remove: got %v, want %q matching fs.ErrNotExist", err, tt.wantErr)
			}
			got, _ := f.ReadFile(Path)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("storage.cfg mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
