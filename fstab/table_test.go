package fstab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/internal/rootfs"
)

func newRoot(t *testing.T, fstab string) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if fstab != "" {
		if err := os.WriteFile(filepath.Join(root, "etc/fstab"), readTestdata(t, fstab), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestTableEdit(t *testing.T) {
	root := newRoot(t, "pve-lvm.fstab")
	tab, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	err = tab.Edit(context.Background(), func(f *File) error {
		_, err := f.Add(Entry{Source: SourcePath("/dev/pve/vz"), MountPoint: "/var/lib/vz", Type: "ext4", Options: Options{"defaults"}, PassNo: 2})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
	want := string(readTestdata(t, "pve-lvm.fstab")) + "/dev/pve/vz\t/var/lib/vz\text4\tdefaults\t0\t2\n"
	if string(got) != want {
		t.Errorf("fstab after Edit:\n%s\nwant:\n%s", got, want)
	}
	f, err := tab.Read()
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Lookup("/var/lib/vz"); e == nil || e.Line != 6 {
		t.Errorf("Lookup after Edit: %+v", e)
	}

	// A concurrent writer that changes the file between read and write
	// makes the edit fail instead of being overwritten.
	err = tab.Edit(context.Background(), func(f *File) error {
		os.WriteFile(filepath.Join(root, "etc/fstab"), []byte("# someone else\n"), 0o644)
		f.Lookup("/").Options.SetFlag("noatime")
		return nil
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("concurrent edit: %v, want ErrConflict", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/fstab")); string(b) != "# someone else\n" {
		t.Errorf("concurrent edit was overwritten: %q", b)
	}
}

func TestTableMissingFileAndErrors(t *testing.T) {
	root := newRoot(t, "")
	tab, _ := New(&Config{Root: root})
	defer tab.Close()
	f, err := tab.Read()
	if err != nil || len(f.Entries()) != 0 {
		t.Fatalf("missing fstab: %v, %d entries", err, len(f.Entries()))
	}
	os.WriteFile(filepath.Join(root, "etc/fstab"), []byte("/dev/sda1 / ext4 defaults 0 1\n/dev/sdb1\n"), 0o644)
	_, err = tab.Read()
	if !errors.Is(err, ErrSyntax) || err.Error() != "/etc/fstab:2:1: want at least 3 fields (device, mount point, type), have 1" {
		t.Errorf("bad fstab: %v", err)
	}
	if err := tab.Edit(context.Background(), func(*File) error { return nil }); !errors.Is(err, ErrSyntax) {
		t.Errorf("Edit of a bad file: %v", err)
	}
}

func TestUUIDOfAndMountPointEmpty(t *testing.T) {
	root := newRoot(t, "")
	os.MkdirAll(filepath.Join(root, "dev/disk/by-uuid"), 0o755)
	os.MkdirAll(filepath.Join(root, "dev/pve"), 0o755)
	os.WriteFile(filepath.Join(root, "dev/dm-3"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "dev/sdb1"), nil, 0o644)
	os.Symlink("../dm-3", filepath.Join(root, "dev/pve/vz"))
	os.Symlink("../../dm-3", filepath.Join(root, "dev/disk/by-uuid/0D4C1F7A-8B0C-4A55-9E1C-7F6B5A4D3C2B"))
	tab, _ := New(&Config{Root: root})
	defer tab.Close()
	got, err := tab.UUIDOf("/dev/pve/vz")
	if err != nil || got != "0d4c1f7a-8b0c-4a55-9e1c-7f6b5a4d3c2b" {
		t.Errorf("UUIDOf(/dev/pve/vz) = %q, %v", got, err)
	}
	os.WriteFile(filepath.Join(root, "dev/sda2"), nil, 0o644)
	os.Symlink("../../sda2", filepath.Join(root, "dev/disk/by-uuid/7A3C-1F2E"))
	if got, err := tab.UUIDOf("/dev/sda2"); err != nil || got != "7A3C-1F2E" {
		t.Errorf("UUIDOf(FAT ESP) = %q, %v; want the volume ID in upper case", got, err)
	}
	if s := SourceUUID("7A3C-1F2E").String(); s != "UUID=7A3C-1F2E" {
		t.Errorf("SourceUUID of a FAT volume ID = %s", s)
	}
	if _, err := tab.UUIDOf("/dev/sdb1"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("UUIDOf(/dev/sdb1) = %v, want ErrNotExist", err)
	}

	os.MkdirAll(filepath.Join(root, "var/lib/vz/template"), 0o755)
	os.MkdirAll(filepath.Join(root, "mnt/empty"), 0o755)
	for dir, want := range map[string]bool{"/var/lib/vz": false, "/mnt/empty": true, "/mnt/missing": true} {
		if got, err := tab.MountPointEmpty(dir); err != nil || got != want {
			t.Errorf("MountPointEmpty(%s) = %v, %v; want %v", dir, got, err, want)
		}
	}
}
