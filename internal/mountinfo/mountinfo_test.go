package mountinfo

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	in := `22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
31 22 0:33 /@home /home rw,relatime shared:12 master:3 - btrfs /dev/sda2 rw,subvol=/@home
32 22 0:33 /my\040vols/x /mnt/my\040mount rw - btrfs /dev/sda2 rw
33 22 0:34 / /home rw - tmpfs tmpfs
bad line
x 1 0:1 / / rw - ext4 /dev/sda1 rw
`
	got := Parse([]byte(in))
	want := []Mount{
		{ID: 22, Parent: 1, MajMin: "0:21", Root: "/", MountPoint: "/", Options: "rw,relatime", FSType: "ext4", Source: "/dev/sda1", SuperOptions: "rw"},
		{ID: 31, Parent: 22, MajMin: "0:33", Root: "/@home", MountPoint: "/home", Options: "rw,relatime", FSType: "btrfs", Source: "/dev/sda2", SuperOptions: "rw,subvol=/@home"},
		{ID: 32, Parent: 22, MajMin: "0:33", Root: "/my vols/x", MountPoint: "/mnt/my mount", Options: "rw", FSType: "btrfs", Source: "/dev/sda2", SuperOptions: "rw"},
		{ID: 33, Parent: 22, MajMin: "0:34", Root: "/", MountPoint: "/home", Options: "rw", FSType: "tmpfs", Source: "tmpfs"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	// The last mount on a point hides the earlier ones.
	if m, ok := Find(got, "/home"); !ok || m.ID != 33 {
		t.Errorf("Find /home = %+v, %v", m, ok)
	}
	if _, ok := Find(got, "/srv"); ok {
		t.Error("Find /srv found a mount")
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`a\040b`: "a b", `a\\b`: `a\\b`, `tail\04`: `tail\04`, `x\134y`: `x\y`, `t\011\012`: "t\t\n"} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// escape is what the kernel does to a mountinfo field.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzParse checks that every mount Parse returns comes back the same
// from a line written the way the kernel writes it.
func FuzzParse(f *testing.F) {
	// A Proxmox VE host's mount table (the project's fixture), and ZFS
	// and btrfs mounts with escapes.
	b, err := os.ReadFile("../../testdata/pve8/proc/self/mountinfo")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("26 1 0:24 / / rw,relatime shared:1 - zfs rpool/ROOT/pve-1 rw,xattr,posixacl,casesensitive\n" +
		"27 26 0:25 / /rpool rw,noatime shared:14 - zfs rpool rw,xattr,noacl,casesensitive\n"))
	f.Add([]byte(`32 22 0:33 /my\040vols/x /mnt/my\040mount rw - btrfs /dev/sda2 rw,space_cache=v2,subvolid=257,subvol=/my\040vols/x` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range Parse(b) {
			if m.MajMin == "" || m.Options == "" || m.FSType == "" || strings.ContainsAny(m.MajMin+m.Options+m.FSType+m.SuperOptions, " \t\n") {
				t.Fatalf("bad fields: %+v", m)
			}
			line := fmt.Sprintf("%d %d %s %s %s %s - %s %s %s", m.ID, m.Parent, m.MajMin, escape(m.Root), escape(m.MountPoint), m.Options, m.FSType, escape(m.Source), m.SuperOptions)
			again := Parse([]byte(line))
			if len(again) != 1 || again[0] != m {
				t.Fatalf("%+v\nwritten as %q\nparses as %+v", m, line, again)
			}
		}
	})
}
