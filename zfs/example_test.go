package zfs_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostadm/hostadm/zfs"
)

func ExampleLayout_Plan() {
	disks := []string{
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0001",
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0002",
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0003",
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0004",
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0005",
		"/dev/disk/by-id/ata-ST4000NM0035_ZC1A0006",
	}
	sizes := map[string]uint64{}
	for _, d := range disks {
		sizes[d] = 4 * zfs.TiB
	}
	p, err := (&zfs.Layout{Pool: "tank", Level: zfs.RAIDZ2, Disks: disks, Compression: zfs.CompressionLZ4, Sizes: sizes}).Plan()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(p.Argv[:9], " "), "...")
	fmt.Printf("%v survives %d failed disks; %s usable of %s\n", p.Level, p.Redundancy, zfs.HumanSize(p.Capacity.Usable), zfs.HumanSize(p.Capacity.Raw))
	// Output:
	// zpool create -f -o ashift=12 -O compression=lz4 tank raidz2 ...
	// RAIDZ-2 survives 2 failed disks; 16.0T usable of 24.0T
}

func ExampleLayout_Plan_tooFewDisks() {
	_, err := (&zfs.Layout{Pool: "tank", Level: zfs.RAIDZ3, Disks: []string{"/dev/disk/by-id/a", "/dev/disk/by-id/b"}}).Plan()
	fmt.Println(err)
	// Output:
	// invalid argument: RAIDZ-3 requires at least 5 disks, got 2
}

func ExampleRAIDZAllocation() {
	// The admin guide: an 8K block on RAIDZ-2 with ashift 12 writes 16K.
	a, err := zfs.RAIDZAllocation(8*zfs.KiB, 12, 6, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("written %s, allocated %s, %.0f%% data\n", zfs.FormatSize(a.Written), zfs.FormatSize(a.Allocated), a.Efficiency()*100)
	// Output:
	// written 16K, allocated 24K, 33% data
}

func ExampleRecommendedARC() {
	fmt.Println(zfs.FormatSize(zfs.RecommendedARC(8 * zfs.TiB)))
	// Output:
	// 10G
}

func ExampleParseStatus() {
	text := `  pool: rpool
 state: DEGRADED
status: One or more devices could not be used because the label is missing or
	invalid.  Sufficient replicas exist for the pool to continue
	functioning in a degraded state.
action: Replace the device using 'zpool replace'.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-4J
  scan: resilvered 2.05M in 00:00:01 with 0 errors on Wed Nov 26 00:30:12 2026
config:

	NAME                      STATE     READ WRITE CKSUM
	rpool                     DEGRADED     0     0     0
	  mirror-0                DEGRADED     0     0     0
	    sda3                  ONLINE       0     0     0
	    13893371574421946234  UNAVAIL      0     0     0  was /dev/sdb3

errors: No known data errors
`
	pools, err := zfs.ParseStatus("zpool status", strings.NewReader(text))
	if err != nil {
		log.Fatal(err)
	}
	st := pools[0]
	st.Root.Walk(func(v *zfs.Vdev, depth int) {
		fmt.Println(strings.TrimRight(fmt.Sprintf("%s%s %s %s", strings.Repeat("  ", depth), v.Name, v.State, v.Note), " "))
	})
	fmt.Println(st.Scan.Function, st.Scan.State, zfs.FormatSize(st.Scan.Processed), "redundancy", zfs.Redundancy(st, zfs.ClassNormal))
	// Output:
	// rpool DEGRADED
	//   mirror-0 DEGRADED
	//     sda3 ONLINE
	//     13893371574421946234 UNAVAIL was /dev/sdb3
	// resilver finished 2149580 redundancy 1
}

func ExampleZEDConfig_Set() {
	z, err := zfs.ParseZED(zfs.ZEDFile, []byte("# Email address of the zpool administrator.\n#ZED_EMAIL_ADDR=\"root\"\n\n#ZED_NOTIFY_VERBOSE=0\n"))
	if err != nil {
		log.Fatal(err)
	}
	if err := z.Set("ZED_EMAIL_ADDR", "ops@example.com"); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(z.Format()))
	// Output:
	// # Email address of the zpool administrator.
	// #ZED_EMAIL_ADDR="root"
	// ZED_EMAIL_ADDR="ops@example.com"
	//
	// #ZED_NOTIFY_VERBOSE=0
}

func ExampleModprobeConf_SetOption() {
	m, err := zfs.ParseModprobe(zfs.ModprobeFile, []byte("# ARC limits\noptions zfs zfs_arc_max=8589934592\n"))
	if err != nil {
		log.Fatal(err)
	}
	m.SetOption("zfs", "zfs_arc_max", "10737418240")
	m.SetOption("zfs", "zfs_arc_min", "1073741824")
	fmt.Print(string(m.Format()))
	// Output:
	// # ARC limits
	// options zfs zfs_arc_max=10737418240 zfs_arc_min=1073741824
}

func ExampleClient_SetSwappiness() {
	// A system tree with the kernel's parameter and Debian's
	// /etc/sysctl.conf, read through /etc/sysctl.d/99-sysctl.conf.
	root, _ := os.MkdirTemp("", "swappiness")
	defer os.RemoveAll(root)
	os.MkdirAll(filepath.Join(root, "proc/sys/vm"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc/sysctl.d"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/sys/vm/swappiness"), []byte("60\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/sysctl.conf"), []byte("# local settings\n"), 0o644)
	os.Symlink("../sysctl.conf", filepath.Join(root, "etc/sysctl.d/99-sysctl.conf"))

	c, err := zfs.New(&zfs.Config{Root: root})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.SetSwappiness(ctx, zfs.SwappinessSettings{Value: zfs.RecommendedSwappiness, Runtime: true, Persistent: true}); err != nil {
		log.Fatal(err)
	}
	st, _ := c.Swappiness(ctx)
	fmt.Printf("now %d, at boot %d from %s:%d\n%s\n", st.Runtime, st.Boot, st.File, st.Line, st.Strategy)
	conf, _ := os.ReadFile(filepath.Join(root, "etc/sysctl.conf"))
	fmt.Print(string(conf))
	// Output:
	// now 10, at boot 10 from /etc/sysctl.d/99-sysctl.conf:2
	// This value is sometimes recommended to improve performance when sufficient memory exists in a system.
	// # local settings
	// vm.swappiness = 10
}

// The admin guide's replacement of a failed bootable disk, in the mode
// the host boots with.
func ExampleClient_ReplaceBootDisk() {
	c, err := zfs.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.ReplaceBootDisk(context.Background(), &zfs.BootDiskReplacement{
		Pool:    "rpool",
		Healthy: "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R612345K",
		Old:     "ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R698765W-part3",
		New:     "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R600001A",
		Wait:    true,
		Progress: func(s *zfs.Scan) {
			log.Printf("resilver %.1f%% done", s.Percent)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range res.Steps {
		fmt.Println(step)
	}
}
