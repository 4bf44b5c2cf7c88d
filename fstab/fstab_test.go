package fstab

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.fstab")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, _ := os.ReadFile(name)
			f, err := Parse(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(data), string(f.Format())); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEntries(t *testing.T) {
	f, err := Parse("odd.fstab", readTestdata(t, "odd.fstab"))
	if err != nil {
		t.Fatal(err)
	}
	var got []Entry
	for _, e := range f.Entries() {
		got = append(got, *e)
	}
	want := []Entry{
		{Source: Source{Kind: Label, Value: `My Disk`, Quoted: true}, MountPoint: "/mnt/my disk", Type: "ext4",
			Options: Options{"noatime", `context="system_u:object_r:etc_t:s0,c1"`}, Line: 2},
		{Source: Source{Kind: Path, Value: "/dev/sdb1"}, MountPoint: "/srv", Type: "xfs", Line: 3},
		{Source: Source{Kind: PartUUID, Value: "0e8b6c2d-01"}, MountPoint: "/data", Type: "ext4", Options: Options{"defaults"}, Line: 4},
		{Source: Source{Kind: PartLabel, Value: "scratch"}, MountPoint: "/scratch", Type: "ext4", Options: Options{"defaults", "nofail"}, PassNo: 2, Line: 5},
		{Source: Source{Kind: Other, Value: "host:/export"}, MountPoint: "/mnt/nfs", Type: "nfs4", Options: Options{"_netdev", "vers=4.2"}, Line: 6},
		{Source: Source{Kind: Other, Value: "//server/share"}, MountPoint: "/mnt/smb", Type: "cifs", Options: Options{"credentials=/root/.smb"}, Line: 7},
		{Source: Source{Kind: Other, Value: "tmpfs"}, MountPoint: "/tmp", Type: "tmpfs", Options: Options{"mode=1777", "size=2g"}, Line: 8},
		{Source: Source{Kind: Path, Value: "/swapfile"}, MountPoint: "none", Type: "swap", Options: Options{"sw"}, Line: 9},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Entry{})); diff != "" {
		t.Errorf("entries mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"two fields", "# c\n/dev/sda1 /\n", "fstab:2:11: want at least 3 fields"},
		{"seven fields", "/dev/sda1 / ext4 defaults 0 1 # root\n", "fstab:1:31: unexpected seventh field \"#\""},
		{"bad dump", "/dev/sda1 / ext4 defaults x 1\n", "fstab:1:27: dump field \"x\" is not a number"},
		{"bad pass", "/dev/sda1 / ext4 defaults 0 -1\n", "fstab:1:29: pass field \"-1\" is not a number"},
		{"quote", "/dev/sda1 / ext4 context=\"a,b 0 1\n", "fstab:1:18: options: unterminated double quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("fstab", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want prefix %q", err, tt.want)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not match ErrSyntax", err)
			}
		})
	}
}

// TestEdits checks that edits rewrite only their lines, keep aligned
// columns, and that the result matches the golden file.
func TestEdits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(t *testing.T, f *File)
	}{
		{"debian-compress", "debian.fstab", func(t *testing.T, f *File) {
			e := f.Lookup("/")
			e.Options.Set("compress", "zstd")
			f.Lookup("/boot/efi/").PassNo = 2
		}},
		{"pve-lvm-add-vz", "pve-lvm.fstab", func(t *testing.T, f *File) {
			if _, err := f.Add(Entry{Source: SourcePath("/dev/pve/vz"), MountPoint: "/var/lib/vz", Type: "ext4", Options: Options{"defaults"}, PassNo: 2}); err != nil {
				t.Fatal(err)
			}
		}},
		{"pve-btrfs-add-storage", "pve-btrfs.fstab", func(t *testing.T, f *File) {
			f.AddComment("using the UUID from the mkfs.btrfs output is highly recommended")
			if _, err := f.Add(Entry{Source: SourceUUID("E2C0C3FF-2114-4F54-B767-3A203E49F6F4"), MountPoint: "/my-storage", Type: "btrfs"}); err != nil {
				t.Fatal(err)
			}
			f.Lookup("/").Options.Set("compress", "zstd")
		}},
		{"odd-remove-and-change", "odd.fstab", func(t *testing.T, f *File) {
			if !f.Remove(f.Lookup("/mnt/nfs")) {
				t.Fatal("Remove: not found")
			}
			e := f.Lookup("/srv")
			e.Source = SourceUUID("11111111-2222-3333-4444-555555555555")
			e.PassNo = 2
			f.Lookup("/mnt/my disk").Options.Delete("noatime")
			f.Lookup("/data").Freq = 1
			if _, err := f.Add(Entry{Source: SourcePath("/dev/vg/my lv"), MountPoint: "/mnt/with space", Type: "ext4", Options: Options{"defaults"}}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := readTestdata(t, tt.in)
			f, err := Parse(tt.in, in)
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(t, f)
			got := f.Format()
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				os.WriteFile(golden, got, 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
			// The edited file parses to the same entries.
			g, err := Parse(tt.name, got)
			if err != nil {
				t.Fatalf("reparse: %v", err)
			}
			if diff := cmp.Diff(entryValues(f), entryValues(g)); diff != "" {
				t.Errorf("reparse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func entryValues(f *File) []string {
	var out []string
	for _, e := range f.Entries() {
		opts := e.Options.String()
		if opts == "" {
			opts = "defaults" // what an empty list is written as
		}
		out = append(out, e.Source.Kind.String()+"|"+e.Source.Value+"|"+e.MountPoint+"|"+e.Type+"|"+opts+"|"+
			strconv.Itoa(e.Freq)+"|"+strconv.Itoa(e.PassNo))
	}
	return out
}

func TestAddRefusesDuplicates(t *testing.T) {
	f, _ := Parse("fstab", readTestdata(t, "pve-lvm.fstab"))
	_, err := f.Add(Entry{Source: SourcePath("/dev/sdb1"), MountPoint: "/", Type: "ext4"})
	if !errors.Is(err, ErrExists) {
		t.Errorf("duplicate mount point: %v, want ErrExists", err)
	}
	if _, err := f.Add(Entry{Source: SourcePath("/dev/sdb2"), MountPoint: "none", Type: "swap", Options: Options{"sw"}}); err != nil {
		t.Errorf("second swap: %v", err)
	}
	for _, e := range []Entry{
		{MountPoint: "/x", Type: "ext4"},
		{Source: SourcePath("/dev/x"), Type: "ext4"},
		{Source: SourcePath("/dev/x"), MountPoint: "/x"},
		{Source: SourcePath("/dev/x"), MountPoint: "/x", Type: "ext4", PassNo: -1},
		{Source: SourcePath("/dev/x"), MountPoint: "/x\n", Type: "ext4"},
		{Source: SourcePath("/dev/x"), MountPoint: "/x", Type: "ext4", Options: Options{"a b"}},
	} {
		if _, err := f.Add(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%+v) = %v, want ErrInvalid", e, err)
		}
	}
}

func TestOptions(t *testing.T) {
	o, err := ParseOptions("defaults,compress=zlib:3,noatime,compress=lzo")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := o.Get("compress"); v != "lzo" {
		t.Errorf("Get(compress) = %q, want the last one, lzo", v)
	}
	o.Set("compress", "zstd:3")
	if got, want := o.String(), "defaults,compress=zstd:3,noatime"; got != want {
		t.Errorf("after Set: %q, want %q", got, want)
	}
	o.SetFlag("nofail")
	if !o.Delete("noatime") || o.Delete("noatime") {
		t.Error("Delete reported wrongly")
	}
	if got, want := o.String(), "defaults,compress=zstd:3,nofail"; got != want {
		t.Errorf("after Delete: %q, want %q", got, want)
	}
	if o.Has("atime") || !o.Has("nofail") {
		t.Error("Has is wrong")
	}
}

func TestSourceKernelName(t *testing.T) {
	for s, want := range map[string]bool{
		"/dev/sdb1": true, "/dev/nvme0n1p2": true, "/dev/vda3": true, "/dev/mmcblk0p1": true,
		"/dev/pve/root": false, "/dev/mapper/pve-root": false, "/dev/disk/by-id/ata-X": false,
		"UUID=1234": false, "proc": false, "/swapfile": false, "/dev/md0": false,
	} {
		if got := ParseSource(s).KernelName(); got != want {
			t.Errorf("KernelName(%s) = %v, want %v", s, got, want)
		}
	}
	if got := ParseSource("LABEL=a b/c").DevicePath(); got != `/dev/disk/by-label/a\x20b\x2fc` {
		t.Errorf("DevicePath = %q", got)
	}
}

// FuzzRoundTrip checks that any parsable input formats byte for byte,
// and that an edited file parses back to the edited entries.
func FuzzRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.fstab")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		if got := file.Format(); string(got) != string(data) {
			t.Fatalf("untouched file changed:\n%q\n%q", data, got)
		}
		for _, e := range file.Entries() {
			e.Options.Set("compress", "zstd")
			e.PassNo++
			e.MountPoint += " x"
		}
		if _, err := file.Add(Entry{Source: SourceUUID("abcd"), MountPoint: "/new", Type: "btrfs"}); err != nil && !errors.Is(err, ErrExists) {
			t.Fatal(err)
		}
		out := file.Format()
		again, err := Parse("fuzz2", out)
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, out)
		}
		if diff := cmp.Diff(entryValues(file), entryValues(again)); diff != "" {
			t.Fatalf("edited entries mismatch (-want +got):\n%s\n%q", diff, out)
		}
		if string(again.Format()) != string(out) {
			t.Fatal("second format differs")
		}
	})
}
