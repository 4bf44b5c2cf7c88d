package zfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanArgv(t *testing.T) {
	d := byID("1", "2", "3", "4", "5", "6")
	for _, tc := range []struct {
		name   string
		layout Layout
		want   string
	}{
		{"raid0 single", Layout{Pool: "tank", Level: RAID0, Disks: d[:1]}, "zpool create -f -o ashift=12 tank D1"},
		{"raid0", Layout{Pool: "tank", Level: RAID0, Disks: d[:2]}, "zpool create -f -o ashift=12 tank D1 D2"},
		{"raid1", Layout{Pool: "tank", Level: RAID1, Disks: d[:2]}, "zpool create -f -o ashift=12 tank mirror D1 D2"},
		{"raid10", Layout{Pool: "tank", Level: RAID10, Disks: d[:4]}, "zpool create -f -o ashift=12 tank mirror D1 D2 mirror D3 D4"},
		{"raidz1", Layout{Pool: "tank", Level: RAIDZ1, Disks: d[:3]}, "zpool create -f -o ashift=12 tank raidz1 D1 D2 D3"},
		{"raidz2", Layout{Pool: "tank", Level: RAIDZ2, Disks: d[:4]}, "zpool create -f -o ashift=12 tank raidz2 D1 D2 D3 D4"},
		{"raidz3", Layout{Pool: "tank", Level: RAIDZ3, Disks: d[:5]}, "zpool create -f -o ashift=12 tank raidz3 D1 D2 D3 D4 D5"},
		{"draid", Layout{Pool: "tank", Level: DRAID1, Disks: d[:2]}, "zpool create -f -o ashift=12 tank draid1:1d:2c D1 D2"},
		{"draid2 spare", Layout{Pool: "tank", Level: DRAID2, Disks: d[:6], DRAIDSpares: 1, DRAIDData: 2}, "zpool create -f -o ashift=12 tank draid2:2d:6c:1s D1 D2 D3 D4 D5 D6"},
		{"cache", Layout{Pool: "tank", Level: RAID0, Disks: d[:1], Cache: d[1:2]}, "zpool create -f -o ashift=12 tank D1 cache D2"},
		{"log", Layout{Pool: "tank", Level: RAID0, Disks: d[:1], Log: d[1:2]}, "zpool create -f -o ashift=12 tank D1 log D2"},
		{"special mirror", Layout{Pool: "tank", Level: RAID1, Disks: d[:2], Special: d[2:4], SpecialMirror: true},
			"zpool create -f -o ashift=12 tank mirror D1 D2 special mirror D3 D4"},
		{"everything", Layout{Pool: "tank", Level: RAID1, Disks: d[:2], Log: d[2:4], LogMirror: true, Cache: d[4:5], Spares: d[5:6], Ashift: 13, Compression: "lz4", Options: map[string]string{"autotrim": "on"}},
			"zpool create -f -o ashift=13 -o autotrim=on -O compression=lz4 tank mirror D1 D2 log mirror D3 D4 cache D5 spare D6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.layout.Plan()
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(p.Argv, " ")
			got = strings.ReplaceAll(got, "/dev/disk/by-id/ata-DISK_", "D")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("argv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanMinimumDisks(t *testing.T) {
	for _, lv := range Levels() {
		n := lv.MinDisks()
		if _, err := (&Layout{Pool: "tank", Level: lv, Disks: byID(strings.Split("abcdefgh", "")[:n]...)}).Plan(); err != nil {
			t.Errorf("%v with %d disks: %v", lv, n, err)
		}
		_, err := (&Layout{Pool: "tank", Level: lv, Disks: byID(strings.Split("abcdefgh", "")[:n-1]...)}).Plan()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%v with %d disks: err = %v, want ErrInvalid", lv, n-1, err)
		}
	}
	want := map[Level]int{RAID0: 1, RAID1: 2, RAID10: 4, RAIDZ1: 3, RAIDZ2: 4, RAIDZ3: 5, DRAID1: 2, DRAID2: 3, DRAID3: 4}
	for lv, n := range want {
		if lv.MinDisks() != n {
			t.Errorf("%v.MinDisks() = %d, want %d (admin guide)", lv, lv.MinDisks(), n)
		}
	}
}

func TestPlanErrorsAndWarnings(t *testing.T) {
	d := byID("1", "2", "3", "4", "5", "6")
	for _, tc := range []struct {
		name    string
		layout  Layout
		err     bool
		warning string
	}{
		{"bad name", Layout{Pool: "mirror1", Level: RAID0, Disks: d[:1]}, true, ""},
		{"ashift", Layout{Pool: "tank", Level: RAID0, Disks: d[:1], Ashift: 17}, true, ""},
		{"duplicate", Layout{Pool: "tank", Level: RAID1, Disks: []string{d[0], d[0]}}, true, ""},
		{"raid10 odd", Layout{Pool: "tank", Level: RAID10, Disks: d[:5]}, true, ""},
		{"draid data too high", Layout{Pool: "tank", Level: DRAID1, Disks: d[:4], DRAIDData: 4}, true, ""},
		{"draid spares leave nothing", Layout{Pool: "tank", Level: DRAID1, Disks: d[:2], DRAIDSpares: 1}, true, ""},
		{"bad compression", Layout{Pool: "tank", Level: RAID0, Disks: d[:1], Compression: "gzip-10"}, true, ""},
		{"special weaker", Layout{Pool: "tank", Level: RAID1, Disks: d[:2], Special: d[2:3]}, false, "point of failure"},
		{"raidz2 of 4", Layout{Pool: "tank", Level: RAIDZ2, Disks: d[:4]}, false, "two mirror vdevs"},
		{"ashift 9", Layout{Pool: "tank", Level: RAID0, Disks: d[:1], Ashift: 9}, false, "ashift=9"},
		{"sdX names", Layout{Pool: "tank", Level: RAID1, Disks: []string{"/dev/sda", "/dev/sdb"}}, false, "by-id"},
		{"small draid", Layout{Pool: "tank", Level: DRAID1, Disks: d[:3], DRAIDSpares: 1}, false, "more than 10-15 disks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.layout.Plan()
			if tc.err {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(p.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", p.Warnings, tc.warning)
			}
		})
	}
}

func TestPoolNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"rpool": true, "tank": true, "my pool": true, "a.b:c_d-e": true, "Z9": true,
		"": false, "1tank": false, "_x": false, "mirror": false, "mirrored": false, "raidz2x": false,
		"draid": false, "spares": false, "log": false, "logs": true, "tank/x": false, "tank@x": false, "tänk": false,
	} {
		if err := ValidatePoolName(name); (err == nil) != ok {
			t.Errorf("ValidatePoolName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	for name, ok := range map[string]bool{
		"rpool/data": true, "rpool/data/vm-100-disk-0": true, "rpool/data@snap": true, "tank/fs#bm": true,
		"rpool/": false, "rpool//x": false, "rpool/../x": false, "rpool/a@": false, "rpool/a@b@c": false, "mirror/x": false,
	} {
		if err := ValidateDatasetName(name); (err == nil) != ok {
			t.Errorf("ValidateDatasetName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestCapacity(t *testing.T) {
	d := byID("1", "2", "3", "4", "5", "6")
	sizes := map[string]uint64{}
	for _, x := range d {
		sizes[x] = 4 * TiB
	}
	for _, tc := range []struct {
		name   string
		layout Layout
		usable uint64
	}{
		{"raid0", Layout{Level: RAID0, Disks: d[:2]}, 8 * TiB},
		{"raid1 3-way", Layout{Level: RAID1, Disks: d[:3]}, 4 * TiB},
		{"raid10", Layout{Level: RAID10, Disks: d[:4]}, 8 * TiB},
		{"raidz1", Layout{Level: RAIDZ1, Disks: d[:4]}, 12 * TiB},
		{"raidz2", Layout{Level: RAIDZ2, Disks: d[:6]}, 16 * TiB},
		{"raidz3", Layout{Level: RAIDZ3, Disks: d[:6]}, 12 * TiB},
		{"draid2 4d 1s", Layout{Level: DRAID2, Disks: d[:6], DRAIDData: 3, DRAIDSpares: 1}, 12 * TiB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.layout
			l.Pool, l.Sizes = "tank", sizes
			p, err := l.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if p.Capacity == nil || p.Capacity.Usable != tc.usable {
				t.Errorf("capacity %+v, want usable %s", p.Capacity, HumanSize(tc.usable))
			}
		})
	}
	p, _ := (&Layout{Pool: "tank", Level: RAID0, Disks: d[:1]}).Plan()
	if p.Capacity != nil {
		t.Errorf("capacity without sizes: %+v", p.Capacity)
	}
}

func TestRAIDZAllocation(t *testing.T) {
	// The admin guide: an 8K block on RAIDZ-2 with ashift 12 writes
	// 8K + 4K + 4K = 16K.
	a, err := RAIDZAllocation(8*KiB, 12, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Allocation{BlockSize: 8192, SectorSize: 4096, DataSectors: 2, ParitySectors: 2, PadSectors: 2, Written: 16384, Allocated: 24576}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("allocation mismatch (-want +got):\n%s", diff)
	}
	// A larger volblocksize improves the data to parity ratio.
	b, _ := RAIDZAllocation(64*KiB, 12, 6, 2)
	if b.Efficiency() <= a.Efficiency() {
		t.Errorf("64K efficiency %.2f not better than 8K %.2f", b.Efficiency(), a.Efficiency())
	}
	// ashift 9 removes most of the overhead.
	c, _ := RAIDZAllocation(8*KiB, 9, 4, 2)
	if c.Efficiency() <= a.Efficiency() {
		t.Errorf("ashift 9 efficiency %.2f not better than ashift 12 %.2f", c.Efficiency(), a.Efficiency())
	}
	if _, err := RAIDZAllocation(8*KiB, 12, 2, 2); !errors.Is(err, ErrInvalid) {
		t.Errorf("2 disks RAIDZ-2: err = %v", err)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]uint64{"512": 512, "4K": 4096, "4k": 4096, "1M": MiB, "1.5G": 3 * GiB / 2, "8GiB": 8 * GiB, "10GB": 10 * GiB, "0": 0, "128K": 128 * KiB} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "K", "x", "-1", "99999999999E"} {
		if _, err := ParseSize(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSize(%q): err = %v", bad, err)
		}
	}
	if FormatSize(4096) != "4K" || FormatSize(8*GiB) != "8G" || FormatSize(1000) != "1000" {
		t.Errorf("FormatSize: %s %s %s", FormatSize(4096), FormatSize(8*GiB), FormatSize(1000))
	}
}

func TestSpecialSmallBlocksAndCompression(t *testing.T) {
	for _, tc := range []struct {
		size, rs uint64
		ok, warn bool
	}{{0, 0, true, false}, {512, 0, true, false}, {4096, 0, true, false}, {128 * KiB, 0, true, true}, {64 * KiB, 64 * KiB, true, true}, {MiB, 0, true, true}, {256, 0, false, false}, {3000, 0, false, false}, {2 * MiB, 0, false, false}} {
		w, err := CheckSpecialSmallBlocks(tc.size, tc.rs)
		if (err == nil) != tc.ok || (w != "") != tc.warn {
			t.Errorf("CheckSpecialSmallBlocks(%d, %d) = %q, %v", tc.size, tc.rs, w, err)
		}
	}
	for _, v := range []string{"lz4", "lzjb", "gzip", "gzip-1", "gzip-9", "zstd", "zstd-19", "zstd-fast-1000", "off", "on", "zle"} {
		if err := ValidateCompression(v); err != nil {
			t.Errorf("ValidateCompression(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"gzip-0", "gzip-10", "zstd-20", "lz5", "", "gzip-+1", "zstd-fast-11"} {
		if err := ValidateCompression(v); err == nil {
			t.Errorf("ValidateCompression(%q) accepted", v)
		}
	}
}

func FuzzTableRoundTrip(f *testing.F) {
	for _, name := range []string{"list/zpool-list.txt", "list/zfs-list-snapshots.txt"} {
		f.Add(readTestdata(f, name), 11)
	}
	f.Fuzz(func(t *testing.T, in []byte, cols int) {
		if cols < 1 || cols > 64 {
			return
		}
		tab, err := ParseTable("fuzz", in, cols)
		if err != nil {
			return
		}
		out := tab.Format()
		if len(tab.Rows) > 0 && string(out) != string(in) && string(out) != string(in)+"\n" {
			t.Fatalf("round trip changed the table:\n%q\n%q", in, out)
		}
		row := make([]string, cols)
		for i := range row {
			row[i] = "x"
		}
		tab.Rows = append(tab.Rows, row)
		again, err := ParseTable("fuzz", tab.Format(), cols)
		if err != nil || len(again.Rows) != len(tab.Rows) {
			t.Fatalf("edited table does not parse back: %v", err)
		}
	})
}
