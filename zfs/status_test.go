package zfs

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatusGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/status/*.txt")
	if len(files) < 4 {
		t.Fatalf("only %d status samples", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			pools, err := ParseStatus(f, bytes.NewReader(readTestdata(t, "status/"+name+".txt")))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "status/"+name+".golden", pools)
		})
	}
}

func TestParseStatusSpecExample(t *testing.T) {
	pools, err := ParseStatus("spec", bytes.NewReader(readTestdata(t, "status/spec.txt")))
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 1 {
		t.Fatalf("got %d pools", len(pools))
	}
	p := pools[0]
	var got []string
	p.Root.Walk(func(v *Vdev, depth int) {
		got = append(got, strings.Repeat("  ", depth)+v.Name+" "+v.Type+" "+string(v.State))
	})
	want := []string{
		"rpool root ONLINE",
		"  mirror-0 mirror ONLINE",
		"    sda2 disk ONLINE",
		"    sdb2 disk ONLINE",
		"  mirror-1 mirror ONLINE",
		"    sdc disk ONLINE",
		"    sdd disk ONLINE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree mismatch (-want +got):\n%s", diff)
	}
	if p.Scan.State != "none" || p.Errors != "No known data errors" {
		t.Errorf("scan %+v errors %q", p.Scan, p.Errors)
	}
}

func TestParseStatusResilver(t *testing.T) {
	pools, err := ParseStatus("resilver", bytes.NewReader(readTestdata(t, "status/resilver.txt")))
	if err != nil {
		t.Fatal(err)
	}
	p := pools[0]
	sc := p.Scan
	want := Scan{Function: "resilver", State: "scanning",
		Start:   time.Date(2024, 10, 15, 10, 12, 1, 0, time.Local),
		Scanned: gib(18.4), Issued: gib(9.21), Total: gib(37.9), Processed: gib(9.19), Percent: 24.29, Remaining: 56 * time.Second, Text: sc.Text}
	if diff := cmp.Diff(want, *sc); diff != "" {
		t.Errorf("scan mismatch (-want +got):\n%s", diff)
	}
	r := p.Find("ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R600001A-part3")
	if r == nil || !r.Resilvering() {
		t.Errorf("new disk not resilvering: %+v", r)
	}
	if old := p.Find("1839127383947239201"); old == nil || old.State != StateUnavail || !strings.HasPrefix(old.Note, "was /dev/disk/by-id/") {
		t.Errorf("old disk: %+v", old)
	}
	if rep := p.Find("replacing-1"); rep == nil || rep.Type != "replacing" || len(rep.Children) != 2 {
		t.Errorf("replacing vdev: %+v", rep)
	}
	for class, n := range map[string]int{ClassNormal: 1, ClassSpecial: 1, ClassLog: 1, ClassCache: 1, ClassSpare: 1} {
		if got := len(p.Class(class)); got != n {
			t.Errorf("class %q: %d vdevs, want %d", class, got, n)
		}
	}
	if s := p.Class(ClassSpare)[0]; s.State != StateAvail || s.Type != "disk" {
		t.Errorf("spare %+v", s)
	}
}

func TestParseStatusErrors(t *testing.T) {
	pools, err := ParseStatus("errors", bytes.NewReader(readTestdata(t, "status/errors.txt")))
	if err != nil {
		t.Fatal(err)
	}
	p := pools[0]
	sdc := p.Find("sdc")
	if sdc.Read != 1228 || sdc.Write != 14 || sdc.Note != "too many errors" || sdc.State != StateFaulted {
		t.Errorf("sdc = %+v", sdc)
	}
	if p.Scan.Errors != 3 || p.Scan.Processed != 1572864 || p.Scan.Duration != 42*time.Minute+10*time.Second {
		t.Errorf("scan = %+v", p.Scan)
	}
	wantFiles := []string{"/tank/vm/images/101/vm-101-disk-0.qcow2", "tank/subvol-102-disk-0@autosnap:<0x1a2b>"}
	if diff := cmp.Diff(wantFiles, p.ErrorFiles); diff != "" {
		t.Errorf("error files mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(p.See, "https://openzfs.github.io/") || !strings.HasSuffix(p.Action, "mark the device\nrepaired.") {
		t.Errorf("see %q action %q", p.See, p.Action)
	}
}

func TestStatusFormatIsZpoolLayout(t *testing.T) {
	for _, name := range []string{"resilver", "multi"} {
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, "status/"+name+".txt")
			pools, err := ParseStatus(name, bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			var out [][]byte
			for _, p := range pools {
				out = append(out, p.Format())
			}
			if diff := cmp.Diff(string(in), string(bytes.Join(out, []byte("\n")))); diff != "" {
				t.Errorf("format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatusBad(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"text before pool", "hello\n"},
		{"bad pool name", "  pool: 1tank\n"},
		{"no header", "  pool: tank\n state: ONLINE\nconfig:\n\n\ttank ONLINE 0 0 0\n"},
		{"indented first", "  pool: tank\nconfig:\n\n\tNAME        STATE     READ WRITE CKSUM\n\t  tank      ONLINE       0     0     0\n"},
		{"bad counter", "  pool: tank\nconfig:\n\n\tNAME        STATE     READ WRITE CKSUM\n\ttank        ONLINE       x     0     0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseStatus("in", strings.NewReader(tc.in))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) || pe.Line == 0 {
				t.Errorf("err = %v, want a *ParseError with a line", err)
			}
		})
	}
}

func FuzzStatusRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/status/*.txt")
	for _, file := range files {
		f.Add(readTestdata(f, "status/"+filepath.Base(file)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pools, err := ParseStatus("fuzz", bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range pools {
			out := p.Format()
			again, err := ParseStatus("formatted", bytes.NewReader(out))
			if err != nil {
				t.Fatalf("formatted status does not parse: %v\n%s", err, out)
			}
			if len(again) != 1 {
				t.Fatalf("formatted status has %d pools:\n%s", len(again), out)
			}
			if diff := cmp.Diff(p.Format(), again[0].Format()); diff != "" {
				t.Fatalf("format not stable (-first +second):\n%s", diff)
			}
		}
	})
}

func gib(f float64) uint64 { return uint64(f * float64(GiB)) }

// TestParseStatusReal reads zpool status outputs recorded in the test VM
// (ZFS 2.1.11): a disk lost, a replacement resilvering, scrubs and data
// errors without redundancy.
func TestParseStatusReal(t *testing.T) {
	tests := []struct {
		file  string
		check func(st *PoolStatus) bool
	}{
		{"real-degraded", func(st *PoolStatus) bool {
			v := st.Find("8732832632823243757")
			return st.State == StateDegraded && v != nil && v.State == StateUnavail && v.Note == "was /dev/vdb1" &&
				strings.HasSuffix(st.See, "ZFS-8000-4J") && Redundancy(st, ClassNormal) == 1
		}},
		{"real-resilver", func(st *PoolStatus) bool {
			r := st.Find("replacing-1")
			return r != nil && r.Type == "replacing" && len(r.Children) == 2 && st.Scan.Function == "resilver" &&
				st.Scan.State == "scanning" && st.Scan.Total == 2663383 && st.Scan.Remaining == 0
		}},
		{"real-resilvered", func(st *PoolStatus) bool {
			return st.State == StateOnline && st.Scan.State == "finished" && st.Scan.Processed == 3093299 &&
				st.Scan.Duration == 2*time.Second && st.Find("vdc") != nil
		}},
		{"real-scrub-repaired", func(st *PoolStatus) bool {
			return st.Scan.Function == "scrub" && st.Scan.State == "finished" && st.Scan.Processed == 2*MiB &&
				st.Find("vda").Checksum == 16 && strings.HasSuffix(st.See, "ZFS-8000-9P")
		}},
		{"real-scrub-paused", func(st *PoolStatus) bool {
			return st.Scan.Function == "scrub" && st.Scan.State == "paused" && !st.Scan.Start.IsZero() && st.Scan.Total > 0
		}},
		{"real-scrub-canceled", func(st *PoolStatus) bool {
			return st.Scan.Function == "scrub" && st.Scan.State == "canceled" && !st.Scan.End.IsZero()
		}},
		{"real-data-errors", func(st *PoolStatus) bool {
			return st.DataErrors == 1 && len(st.ErrorFiles) == 0 && st.Find("vdd").Checksum == 16
		}},
		{"real-data-errors-v", func(st *PoolStatus) bool {
			return st.DataErrors == 1 && len(st.ErrorFiles) == 1 && st.ErrorFiles[0] == "/ztest/vm/disk.raw"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pools, err := ParseStatus(tt.file, bytes.NewReader(readTestdata(t, "status/"+tt.file+".txt")))
			if err != nil {
				t.Fatal(err)
			}
			if len(pools) != 1 || !tt.check(pools[0]) {
				t.Errorf("%s parsed as:\n%s\nscan %+v", tt.file, pools[0].Format(), pools[0].Scan)
			}
		})
	}
}
