package disk

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestProbe makes file systems with their own mkfs tools and compares
// Probe with `blkid -p` as the oracle.
func TestProbe(t *testing.T) {
	tests := []struct {
		fstype string
		mkfs   []string
	}{
		{"vfat", []string{"mkfs.vfat", "-F", "32", "-n", "ESP"}},
		{"ext4", []string{"mkfs.ext4", "-q", "-F", "-L", "root"}},
		{"swap", []string{"mkswap", "-L", "swap"}},
		{"btrfs", []string{"mkfs.btrfs", "-q", "-f", "-L", "data"}},
		{"xfs", []string{"mkfs.xfs", "-q", "-f", "-L", "xfsdata"}},
	}
	for _, tt := range tests {
		t.Run(tt.fstype, func(t *testing.T) {
			testenv.RequireTool(t, tt.mkfs[0], "blkid")
			img := filepath.Join(t.TempDir(), "fs.img")
			f, _ := os.Create(img)
			f.Truncate(512 << 20)
			f.Close()
			if out, err := exec.Command(tt.mkfs[0], append(tt.mkfs[1:], img)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tt.mkfs[0], err, out)
			}
			out, err := exec.Command("blkid", "-p", "-o", "export", img).Output()
			if err != nil {
				t.Fatal(err)
			}
			want := FS{}
			for _, l := range strings.Split(string(out), "\n") {
				k, v, _ := strings.Cut(l, "=")
				switch k {
				case "TYPE":
					want.Type = v
				case "UUID":
					want.UUID = v
				case "LABEL":
					want.Label = v
				}
			}
			f, _ = os.Open(img)
			defer f.Close()
			got, err := Probe(f, 512<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Probe = %+v, blkid says %+v", got, want)
			}
		})
	}
	f, _ := os.CreateTemp(t.TempDir(), "blank")
	f.Truncate(1 << 20)
	if _, err := Probe(f, 1<<20); err != ErrUnknownFS {
		t.Errorf("blank: err = %v", err)
	}
}

func FuzzProbe(f *testing.F) {
	f.Add(make([]byte, 4096))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := strings.NewReader(string(b))
		Probe(r, int64(len(b)))
	})
}
