package btrfs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/fstab"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

func TestMkfsPlan(t *testing.T) {
	tests := []struct {
		name     string
		plan     MkfsPlan
		argv     string
		warnings int
		err      string
	}{
		{"guide single", MkfsPlan{Devices: []string{"/dev/sdb"}, Data: Single, Metadata: Single, Label: "My-Storage"},
			"mkfs.btrfs -m single -d single -L My-Storage /dev/sdb", 0, ""},
		{"guide raid1", MkfsPlan{Devices: []string{"/dev/sdb1", "/dev/sdc1"}, Data: RAID1, Metadata: RAID1, Label: "My-Storage"},
			"mkfs.btrfs -m raid1 -d raid1 -L My-Storage /dev/sdb1 /dev/sdc1", 0, ""},
		{"raid10 four", MkfsPlan{Devices: []string{"/dev/a", "/dev/b", "/dev/c", "/dev/d"}, Data: RAID10, Metadata: RAID10, Force: true},
			"mkfs.btrfs -f -m raid10 -d raid10 /dev/a /dev/b /dev/c /dev/d", 0, ""},
		{"raid0 warns", MkfsPlan{Devices: []string{"/dev/a", "/dev/b"}, Data: RAID0, Metadata: RAID1},
			"mkfs.btrfs -m raid1 -d raid0 /dev/a /dev/b", 1, ""},
		{"raid5 allowed", MkfsPlan{Devices: []string{"/dev/a", "/dev/b", "/dev/c"}, Data: RAID5, Metadata: RAID1, AllowRAID56: true},
			"mkfs.btrfs -m raid1 -d raid5 /dev/a /dev/b /dev/c", 1, ""},
		{"mixed", MkfsPlan{Devices: []string{"/dev/a"}, Data: DUP, Metadata: DUP, Mixed: true}, "mkfs.btrfs --mixed -m dup -d dup /dev/a", 0, ""},
		{"mixed unequal", MkfsPlan{Devices: []string{"/dev/a"}, Data: Single, Mixed: true}, "", 0, "same data and metadata profile"},
		{"raid10 three", MkfsPlan{Devices: []string{"/dev/a", "/dev/b", "/dev/c"}, Data: RAID10}, "", 0, "raid10 needs at least 4 devices, have 3"},
		{"raid1 one", MkfsPlan{Devices: []string{"/dev/a"}, Metadata: RAID1}, "", 0, "metadata profile raid1 needs at least 2 devices"},
		{"raid6 refused", MkfsPlan{Devices: []string{"/dev/a", "/dev/b", "/dev/c", "/dev/d"}, Data: RAID6}, "", 0, "experimental and dangerous"},
		{"bad profile", MkfsPlan{Devices: []string{"/dev/a"}, Data: "raid7"}, "", 0, `data profile "raid7"`},
		{"no devices", MkfsPlan{}, "", 0, "no devices"},
		{"twice", MkfsPlan{Devices: []string{"/dev/a", "/dev/a"}}, "", 0, "given twice"},
		{"option as device", MkfsPlan{Devices: []string{"-f"}}, "", 0, `device "-f"`},
		{"long label", MkfsPlan{Devices: []string{"/dev/a"}, Label: strings.Repeat("x", 256)}, "", 0, "label of 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.plan.Validate()
			if tt.err != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Validate: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(w) != tt.warnings {
				t.Errorf("warnings %q, want %d", w, tt.warnings)
			}
			argv, err := tt.plan.Argv()
			if err != nil || strings.Join(argv, " ") != tt.argv {
				t.Errorf("Argv = %q, %v; want %q", argv, err, tt.argv)
			}
		})
	}
}

const mkfsOutput = `btrfs-progs v6.2
See http://btrfs.wiki.kernel.org for more information.

NOTE: several default settings have changed in version 5.15, please make sure
      this does not affect your deployments:
      - DUP for metadata (-m dup)
      - enabled no-holes (-O no-holes)
      - enabled free-space-tree (-R free-space-tree)

Label:              My-Storage
UUID:               e2c0c3ff-2114-4f54-b767-3a203e49f6f3
Node size:          16384
Sector size:        4096
Filesystem size:    1.00GiB
`

func TestMkfsRuns(t *testing.T) {
	c, _ := New(&Config{Root: t.TempDir()})
	fake := runnertest.New(t)
	c.run = fake
	fake.Expect("mkfs.btrfs", "-m", "single", "-d", "single", "-L", "My-Storage", "/dev/sdb").Stdout(mkfsOutput)
	uuid, err := c.Mkfs(context.Background(), &MkfsPlan{Devices: []string{"/dev/sdb"}, Data: Single, Metadata: Single, Label: "My-Storage"})
	if err != nil || uuid.String() != "e2c0c3ff-2114-4f54-b767-3a203e49f6f3" {
		t.Errorf("Mkfs = %s, %v", uuid, err)
	}
	fake.Expect("mkfs.btrfs", "/dev/sdc").Stderr("ERROR: /dev/sdc appears to contain an existing filesystem").Exit(1)
	if _, err := c.Mkfs(context.Background(), &MkfsPlan{Devices: []string{"/dev/sdc"}}); err == nil || !strings.Contains(err.Error(), "existing filesystem") {
		t.Errorf("failed mkfs: %v", err)
	}
}

func TestCompressionOption(t *testing.T) {
	tests := []struct {
		name, in string
		set      Compression
		want     string
		err      bool
	}{
		{"guide zstd", "defaults", Compression{Algorithm: "zstd"}, "defaults,compress=zstd", false},
		{"level", "defaults,compress=lzo,noatime", Compression{Algorithm: "zlib", Level: 9}, "defaults,compress=zlib:9,noatime", false},
		{"force replaces in place", "noatime,compress-force=zstd:1,ssd", Compression{Algorithm: "zstd", Level: 3}, "noatime,compress=zstd:3,ssd", false},
		{"to force", "defaults,compress=zstd", Compression{Algorithm: "zstd", Force: true}, "defaults,compress-force=zstd", false},
		{"remove", "defaults,compress=zstd,compress-force=lzo", Compression{}, "defaults", false},
		{"bad level", "defaults", Compression{Algorithm: "zstd", Level: 16}, "", true},
		{"lzo level", "defaults", Compression{Algorithm: "lzo", Level: 1}, "", true},
		{"bad alg", "defaults", Compression{Algorithm: "gzip"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := fstab.ParseOptions(tt.in)
			e := &fstab.Entry{Source: fstab.SourceUUID("x"), MountPoint: "/", Type: "btrfs", Options: opts}
			err := SetEntryCompression(e, tt.set)
			if tt.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || e.Options.String() != tt.want {
				t.Fatalf("options %q, %v; want %q", e.Options, err, tt.want)
			}
			got, ok, err := EntryCompression(e)
			if err != nil || ok != (tt.set != Compression{}) || got != tt.set {
				t.Errorf("EntryCompression = %+v, %v, %v; want %+v", got, ok, err, tt.set)
			}
		})
	}
	e := &fstab.Entry{Source: fstab.SourceUUID("x"), MountPoint: "/", Type: "ext4"}
	if err := SetEntryCompression(e, Compression{Algorithm: "zstd"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ext4 entry: %v", err)
	}
	if c, err := ParseCompression("yes"); err != nil || c.Algorithm != "zlib" {
		t.Errorf("compress=yes: %+v %v", c, err)
	}
}

const installerStorage = `dir: local
        path /var/lib/vz
        content iso,vztmpl,backup
        disable

btrfs: local-btrfs
        path /var/lib/pve/local-btrfs
        content iso,vztmpl,backup,images,rootdir
`

func TestStorageEntries(t *testing.T) {
	f, err := sectioncfg.Parse("storage.cfg", []byte("dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := useInstallerLayout(f); err != nil {
		t.Fatal(err)
	}
	want := "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\tdisable\n\n" +
		"btrfs: local-btrfs\n\tpath /var/lib/pve/local-btrfs\n\tcontent iso,vztmpl,backup,images,rootdir\n"
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("installer layout mismatch (-want +got):\n%s", diff)
	}
	// Applying it again changes nothing.
	if err := useInstallerLayout(f); err != nil || string(f.Format()) != want {
		t.Errorf("second application changed the file: %v", err)
	}

	g, _ := sectioncfg.Parse("storage.cfg", []byte(installerStorage))
	got := storagesOf(g)
	wantS := []Storage{{ID: "local-btrfs", Path: "/var/lib/pve/local-btrfs", Content: []string{"iso", "vztmpl", "backup", "images", "rootdir"}, Line: 6}}
	if diff := cmp.Diff(wantS, got); diff != "" {
		t.Errorf("storages mismatch (-want +got):\n%s", diff)
	}
	if err := addStorage(g, Storage{ID: "my-storage", Path: "/my-storage"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(g.Format()), "\nbtrfs: my-storage\n        path /my-storage\n") {
		t.Errorf("pvesm add btrfs my-storage --path /my-storage wrote:\n%s", g.Format())
	}
	for _, s := range []Storage{
		{ID: "my-storage", Path: "/x"},
		{ID: "1bad", Path: "/x"},
		{ID: "ok", Path: "relative"},
		{ID: "ok", Path: "/x", Content: []string{"disks"}},
	} {
		if err := addStorage(g, s); err == nil {
			t.Errorf("addStorage(%+v): no error", s)
		}
	}
}

// FuzzParseCompression: a compress= value that parses formats back to
// a value that parses to the same compression.
func FuzzParseCompression(f *testing.F) {
	for _, s := range []string{"zstd", "zstd:3", "zlib:9", "lzo", "yes", "", "zstd:-1", "no"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCompression(s)
		if err != nil {
			return
		}
		again, err := ParseCompression(c.String())
		if err != nil || again != c {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, c, c.String(), again, err)
		}
		opts, _ := fstab.ParseOptions("defaults")
		e := &fstab.Entry{Source: fstab.SourceUUID("x"), MountPoint: "/", Type: "btrfs", Options: opts}
		if err := SetEntryCompression(e, c); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := EntryCompression(e); err != nil || !ok || got != c {
			t.Fatalf("fstab round trip of %+v: %+v %v %v", c, got, ok, err)
		}
	})
}
