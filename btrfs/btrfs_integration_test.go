//go:build integration

package btrfs

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/fstab"
)

var record = flag.Bool("record", false, "record usage inputs and oracle output under testdata/")

// oracle runs the btrfs CLI and returns its output.
func oracle(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			tb.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		tb.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func TestIntegrationSubvolumes(t *testing.T) {
	mnt, _, _ := newFS(t, 1, 1<<30, MkfsPlan{Label: "subvols"}, "")
	c := newClient(t)
	p := func(s string) string { return filepath.Join(mnt, s) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateSubvolume(p("a")))
	must(os.WriteFile(p("a/file"), []byte("data"), 0o644))
	must(os.MkdirAll(p("a/dir/sub"), 0o755))
	must(c.CreateSubvolume(p("a/nested")))
	must(c.CreateSubvolume(p("a/dir/deep")))
	must(os.WriteFile(p("a/nested/f"), []byte("x"), 0o644))
	must(os.MkdirAll(p("var/lib/pve"), 0o755))
	must(c.CreateSubvolume(p("var/lib/pve/local-btrfs")))
	must(c.Snapshot(p("a"), p("snap-ro"), &SnapshotOptions{ReadOnly: true}))
	must(c.Snapshot(p("a"), p("snap-rw"), nil))

	if err := c.CreateSubvolume(p("a")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("creating a taken name: %v, want fs.ErrExist", err)
	}
	if _, err := c.Subvolume(p("a/dir")); !errors.Is(err, ErrNotSubvolume) {
		t.Errorf("Subvolume(plain dir): %v, want ErrNotSubvolume", err)
	}
	if _, err := c.Info("/proc"); !errors.Is(err, ErrNotBtrfs) {
		t.Errorf("Info(/proc): %v, want ErrNotBtrfs", err)
	}
	if err := os.WriteFile(p("snap-ro/new"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Errorf("write into a read-only snapshot: %v, want EROFS", err)
	}
	if _, err := os.Stat(p("snap-rw/file")); err != nil {
		t.Errorf("snapshot lacks the source's file: %v", err)
	}

	compareList := func() []Subvolume {
		t.Helper()
		got, err := c.Subvolumes(mnt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := parseSubvolumeList(oracle(t, "btrfs", "subvolume", "list", "-c", "-u", "-q", mnt))
		if err != nil {
			t.Fatal(err)
		}
		opt := cmpopts.IgnoreFields(Subvolume{}, "ReadOnly", "ReceivedUUID", "Created")
		if diff := cmp.Diff(want, got, opt); diff != "" {
			t.Errorf("Subvolumes mismatch with btrfs subvolume list (-want +got):\n%s", diff)
		}
		return got
	}
	subs := compareList()
	if len(subs) != 6 {
		t.Errorf("%d subvolumes, want 6", len(subs))
	}
	for _, s := range append(subs, Subvolume{Path: ""}) {
		got, err := c.Subvolume(p(s.Path))
		if err != nil {
			t.Fatalf("Subvolume(%s): %v", s.Path, err)
		}
		want, err := parseSubvolumeShow(oracle(t, "btrfs", "subvolume", "show", p(s.Path)))
		if err != nil {
			t.Fatal(err)
		}
		opt := cmpopts.IgnoreFields(Subvolume{}, "Path", "ReceivedUUID", "Created")
		if s.Path == "" {
			// show prints the top level's fields differently; compare the id.
			if got.ID != TopLevelID || want.ID != TopLevelID {
				t.Errorf("top level: got id %d, show says %d", got.ID, want.ID)
			}
			continue
		}
		if diff := cmp.Diff(want, got, opt); diff != "" {
			t.Errorf("Subvolume(%s) mismatch with btrfs subvolume show (-want +got):\n%s", s.Path, diff)
		}
		if got.Path != s.Path || got.Created.IsZero() {
			t.Errorf("Subvolume(%s): path %q, created %v", s.Path, got.Path, got.Created)
		}
	}

	// Read-only flag, both ways, against `btrfs property get -ts`.
	for _, tt := range []struct {
		path string
		set  bool
	}{{"snap-ro", false}, {"snap-ro", true}, {"snap-rw", true}, {"snap-rw", false}} {
		must(c.SetReadOnly(p(tt.path), tt.set))
		ro, err := c.ReadOnly(p(tt.path))
		must(err)
		prop := strings.TrimSpace(oracle(t, "btrfs", "property", "get", "-ts", p(tt.path), "ro"))
		if ro != tt.set || prop != fmt.Sprintf("ro=%v", tt.set) {
			t.Errorf("%s: ReadOnly %v, property %q, want %v", tt.path, ro, prop, tt.set)
		}
	}

	// Default subvolume.
	id := subs[slices.IndexFunc(subs, func(s Subvolume) bool { return s.Path == "var/lib/pve/local-btrfs" })].ID
	must(c.SetDefaultSubvolume(mnt, id))
	got, err := c.DefaultSubvolume(mnt)
	must(err)
	if out := oracle(t, "btrfs", "subvolume", "get-default", mnt); got != id || !strings.HasPrefix(out, fmt.Sprintf("ID %d ", id)) {
		t.Errorf("DefaultSubvolume = %d, want %d; get-default says %q", got, id, out)
	}
	must(c.SetDefaultSubvolume(mnt, TopLevelID))
	if got, _ := c.DefaultSubvolume(mnt); got != TopLevelID {
		t.Errorf("DefaultSubvolume after reset = %d", got)
	}

	// Deletion: non-empty works, nested subvolumes need Recursive.
	must(c.DeleteSubvolume(p("snap-rw"), nil))
	if err := c.DeleteSubvolume(p("a"), nil); !errors.Is(err, unix.ENOTEMPTY) {
		t.Errorf("deleting a subvolume with nested ones: %v, want ENOTEMPTY", err)
	}
	must(c.DeleteSubvolume(p("a"), &DeleteOptions{Recursive: true}))
	roID := subs[slices.IndexFunc(subs, func(s Subvolume) bool { return s.Path == "snap-ro" })].ID
	must(c.DeleteSubvolumeID(mnt, roID))
	if _, err := os.Stat(p("a")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a still exists: %v", err)
	}
	if subs := compareList(); len(subs) != 1 || subs[0].Path != "var/lib/pve/local-btrfs" {
		t.Errorf("after deletion: %+v", subs)
	}
}

func TestIntegrationInfoAndUsage(t *testing.T) {
	tests := []struct {
		name string
		n    int
		plan MkfsPlan
		opts string
	}{
		{"single", 1, MkfsPlan{Label: "My-Storage", Data: Single, Metadata: Single}, ""},
		{"default", 1, MkfsPlan{}, ""},
		{"raid1", 2, MkfsPlan{Label: "My-Storage", Data: RAID1, Metadata: RAID1}, ""},
		{"raid0", 2, MkfsPlan{Data: RAID0, Metadata: RAID1}, "compress=zstd"},
		{"raid10", 4, MkfsPlan{Data: RAID10, Metadata: RAID10}, ""},
		{"raid5", 3, MkfsPlan{Data: RAID5, Metadata: RAID1, AllowRAID56: true}, ""},
		{"raid6", 4, MkfsPlan{Data: RAID6, Metadata: RAID6, AllowRAID56: true}, ""},
		{"mixed", 1, MkfsPlan{Mixed: true, Data: Single, Metadata: Single}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mnt, devs, uuid := newFS(t, tt.n, 1<<30, tt.plan, tt.opts)
			// Some data, so that used figures are not zero.
			buf := make([]byte, 1<<20)
			for i := range buf {
				buf[i] = byte(i * 7)
			}
			f, err := os.Create(filepath.Join(mnt, "data"))
			if err != nil {
				t.Fatal(err)
			}
			for range 40 {
				f.Write(buf)
			}
			f.Close()
			unix.Sync()
			c := newClient(t)

			info, err := c.Info(mnt)
			if err != nil {
				t.Fatal(err)
			}
			if info.UUID != uuid || info.Label != tt.plan.Label || len(info.Devices) != tt.n {
				t.Errorf("Info: uuid %s (mkfs said %s), label %q, %d devices", info.UUID, uuid, info.Label, len(info.Devices))
			}
			show := oracle(t, "btrfs", "filesystem", "show", "--raw", mnt)
			if !strings.Contains(show, "uuid: "+uuid.String()) {
				t.Errorf("filesystem show lacks uuid %s:\n%s", uuid, show)
			}
			if label := strings.TrimSpace(oracle(t, "btrfs", "filesystem", "label", mnt)); label != tt.plan.Label {
				t.Errorf("filesystem label says %q, Info %q", label, info.Label)
			}
			for i, d := range info.Devices {
				line := fmt.Sprintf("devid %4d size %d used %d path %s", d.ID, d.Size, d.Used, d.Path)
				if !strings.Contains(show, line) {
					t.Errorf("filesystem show lacks %q:\n%s", line, show)
				}
				if d.Path != devs[i] || d.DeviceSize != 1<<30 {
					t.Errorf("device %d: path %s size %d, want %s", d.ID, d.Path, d.DeviceSize, devs[i])
				}
			}

			got, err := c.Usage(mnt)
			if err != nil {
				t.Fatal(err)
			}
			out := oracle(t, "btrfs", "filesystem", "usage", "-b", mnt)
			want, err := parseUsageOutput(out)
			if err != nil {
				t.Fatal(err)
			}
			compareUsage(t, want, got)
			if *record {
				spaces, _ := ioctlSpaceInfoPath(t, mnt)
				var chunks []chunkInfo
				if tt.name == "raid5" || tt.name == "raid6" {
					chunks = chunksPath(t, mnt)
				}
				rec := usageRecord{Spaces: spaces, Devices: info.Devices, Chunks: chunks, Oracle: out}
				b, _ := json.MarshalIndent(rec, "", "  ")
				os.WriteFile(filepath.Join("testdata", "usage-"+tt.name+".json"), b, 0o644)
			}
		})
	}
}

func ioctlSpaceInfoPath(tb testing.TB, path string) ([]spaceInfo, error) {
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer unix.Close(fd)
	return ioctlSpaceInfo(fd)
}

func chunksPath(tb testing.TB, path string) []chunkInfo {
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer unix.Close(fd)
	ch, err := loadChunks(fd)
	if err != nil {
		tb.Fatal(err)
	}
	return ch
}

func TestIntegrationCompression(t *testing.T) {
	mnt, devs, uuid := newFS(t, 1, 512<<20, MkfsPlan{}, "")
	c := newClient(t)
	sub := filepath.Join(mnt, "sub")
	if err := c.CreateSubvolume(sub); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sub, "file")
	os.WriteFile(file, nil, 0o644)
	for _, path := range []string{sub, file} {
		for _, alg := range []string{"zstd", "lzo", "zlib", "none", ""} {
			if err := c.SetCompression(path, alg); err != nil {
				t.Fatalf("SetCompression(%s, %q): %v", path, alg, err)
			}
			got, err := c.Compression(path)
			if err != nil {
				t.Fatal(err)
			}
			prop := strings.TrimSpace(oracle(t, "btrfs", "property", "get", path, "compression"))
			want := ""
			if alg != "" {
				want = "compression=" + alg
			}
			if got != alg || prop != want {
				t.Errorf("%s: set %q, Compression %q, property %q", path, alg, got, prop)
			}
		}
	}
	if err := c.SetCompression(sub, "zstd:3"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a level in the property: %v, want ErrInvalid", err)
	}

	// The fstab option, written the admin guide's way, is one the kernel
	// mounts with.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/fstab"), []byte("UUID="+uuid.String()+" /my-storage btrfs defaults 0 0\n"), 0o644)
	rc, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := rc.SetMountCompression(context.Background(), "/my-storage", Compression{Algorithm: "zstd", Level: 3}); err != nil {
		t.Fatal(err)
	}
	tab, _ := fstab.New(&fstab.Config{Root: root})
	f, err := tab.Read()
	if err != nil {
		t.Fatal(err)
	}
	e := f.Lookup("/my-storage")
	if e.Options.String() != "defaults,compress=zstd:3" {
		t.Fatalf("options %q", e.Options)
	}
	unix.Unmount(mnt, 0)
	opts, _ := e.Options.Get("compress")
	mnt2 := mountFS(t, devs, "compress="+opts)
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if !strings.Contains(string(mi), mnt2) || !strings.Contains(string(mi), "compress=zstd:3") {
		t.Errorf("mounted without compress=zstd:3")
	}
}

// compareUsage compares the Usage with the oracle's, to the byte.
func compareUsage(t *testing.T, want, got *Usage) {
	t.Helper()
	if math.Abs(want.DataRatio-got.DataRatio) > 0.005 || math.Abs(want.MetadataRatio-got.MetadataRatio) > 0.005 {
		t.Errorf("ratios: data %.2f metadata %.2f, want %.2f %.2f", got.DataRatio, got.MetadataRatio, want.DataRatio, want.MetadataRatio)
	}
	opt := cmp.Options{
		cmpopts.IgnoreFields(Usage{}, "DataRatio", "MetadataRatio", "MultipleProfiles", "Mixed"),
		cmpopts.IgnoreFields(Space{}, "Flags"),
	}
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("Usage mismatch with btrfs filesystem usage -b (-want +got):\n%s", diff)
	}
}
