package lvm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata("pve.vg", readTestdata(t, "pve.vg"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pve.vg", m)
	vg := m.VG
	if vg.Name != "pve" || vg.ExtentSize != 4<<20 || len(vg.PVs) != 1 || vg.PVs[0].Device != "/dev/sda3" {
		t.Errorf("VG: %+v", vg)
	}
	// What vgs printed for this metadata: VSize <127.00g, VFree <13.75g.
	if vg.Size() != 32511*4<<20 || vg.Free() != 3519*4<<20 {
		t.Errorf("size %d free %d", vg.Size(), vg.Free())
	}
	want := []ThinPool{{Name: "data", Size: 71.5 * gib, MetadataSize: gib, Volumes: []string{"vm-100-disk-0", "vm-101-disk-0"}, VirtualSize: 40 * gib}}
	if diff := cmp.Diff(want, vg.ThinPools()); diff != "" {
		t.Errorf("ThinPools mismatch (-want +got):\n%s", diff)
	}
	if lv := vg.LV("data_tmeta"); lv == nil || lv.Visible {
		t.Errorf("data_tmeta: %+v", lv)
	}
	small, err := ParseMetadata("small.vg", readTestdata(t, "small.vg"))
	if err != nil {
		t.Fatal(err)
	}
	if p := small.VG.ThinPools(); len(p) != 1 || len(p[0].Volumes) != 3 || small.VG.LV("snap_vm-100-disk-0_before").Segments[0].Origin != "vm-100-disk-0" {
		t.Errorf("small.vg pools: %+v", p)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	good := string(readTestdata(t, "small.vg"))
	for _, tt := range []struct{ name, in, msg string }{
		{"not lvm", "contents = \"something\"\n", `contents "something" is not LVM volume group metadata`},
		{"unterminated", "contents = \"Text Format Volume Group\"\npve {\n\tid = \"x\n", "unterminated string"},
		{"missing brace", "contents = \"Text Format Volume Group\"\npve {\n\tseqno = 1\n", `missing } for section "pve"`},
		{"stray brace", "}\n", "1:1: unexpected }"},
		{"bad token", "contents = \"Text Format Volume Group\"\npve {\n\tseqno = @\n}\n", `3:10: unexpected '@' in value`},
		{"no equals", "x y\n", `want = or { after "x"`},
		{"bad list", "contents = [\"a\" \"b\"]\n", "want , or ] in list"},
		{"missing extent_size", "contents = \"Text Format Volume Group\"\npve {\n\tseqno = 1\n}\n", "pve: missing extent_size"},
		{"string for number", strings.Replace(good, "seqno = 7", "seqno = \"7\"", 1), "seqno: want a non-negative number"},
		{"missing segment", strings.Replace(good, "segment_count = 1", "segment_count = 2", 1), "missing segment2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMetadata("vg", []byte(tt.in))
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want %q", err, tt.msg)
			}
		})
	}
}

func TestMetadataBackups(t *testing.T) {
	c, _ := newTestClient(t, "../testdata/pve8")
	ms, err := c.MetadataBackups()
	if err != nil || len(ms) != 1 || ms[0].VG.Name != "pve" {
		t.Fatalf("MetadataBackups = %v, %v", ms, err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc/lvm/backup"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/lvm/backup/broken"), []byte("broken {"), 0o600)
	c2, _ := newTestClient(t, dir)
	if _, err := c2.MetadataBackups(); !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "/etc/lvm/backup/broken:1:") {
		t.Errorf("broken backup: %v", err)
	}
}

// FuzzParseMetadata: no input panics the parser, and parsing is
// deterministic (a parsed file gives the same result twice).
func FuzzParseMetadata(f *testing.F) {
	f.Add(readTestdata(f, "pve.vg"))
	f.Add(readTestdata(f, "small.vg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata("fuzz", data)
		if err != nil {
			return
		}
		again, err := ParseMetadata("fuzz", data)
		if err != nil || !cmp.Equal(m, again) {
			t.Fatalf("second parse differs: %v", err)
		}
		m.VG.Free()
		m.VG.ThinPools()
	})
}
