package ztest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/boot"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/zfs"
)

// bootRoot is a system tree with one kernel and systemd-boot, managed by
// proxmox-boot-tool; the guest's /sys, /proc and /dev are its SysRoot.
func bootRoot(t testing.TB) string {
	root := t.TempDir()
	const v = "6.8.12-4-pve"
	files := map[string]string{
		"etc/kernel/cmdline":                           "root=ZFS=zboot/ROOT/pve-1 boot=zfs\n",
		"proc/sys/kernel/osrelease":                    v + "\n",
		"var/lib/dpkg/status":                          "Package: proxmox-kernel-" + v + "-signed\nStatus: install ok installed\nVersion: 6.8.12-4\n\n",
		"boot/vmlinuz-" + v:                            strings.Repeat("vmlinuz "+v+";", 1<<14),
		"boot/initrd.img-" + v:                         strings.Repeat("initrd "+v+";", 1<<15),
		"usr/lib/systemd/boot/efi/systemd-bootx64.efi": "MZ systemd-boot stand-in",
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// installerDisk partitions a disk as the Proxmox VE installer does for
// ZFS: BIOS boot, a 512 MiB ESP, and the pool's partition 3.
func installerDisk(t testing.TB, dev string) {
	t.Helper()
	sectors, ss, err := disk.Geometry(dev)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := disk.InstallerLayout(sectors, ss, &disk.LayoutOptions{DataType: disk.TypeZFS})
	if err != nil {
		t.Fatal(err)
	}
	if err := disk.Write(context.Background(), dev, tb); err != nil {
		t.Fatal(err)
	}
	exec.Command("udevadm", "settle").Run()
}

// replaceBootDisk runs the admin guide's replacement of a failed
// bootable disk: a pool mirrored on partition 3 of two installer disks
// whose ESPs proxmox-boot-tool keeps in sync loses one disk to a blank
// one, which gets the partition table, the pool's partition and a
// formatted, initialized ESP.
func replaceBootDisk(t *testing.T, c *zfs.Client, disks []string) {
	ctx := context.Background()
	healthy, failed, blank := disks[0], disks[1], disks[2]
	// A blank disk, even when an earlier run used it.
	for _, args := range [][]string{{"sgdisk", "--zap-all", blank}, {"dd", "if=/dev/zero", "of=" + blank, "bs=1M", "count=8", "conv=fsync"}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	root := bootRoot(t)
	m, err := boot.New(&boot.Config{Root: root, SysRoot: "/", Firmware: boot.FirmwareUEFI})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, d := range []string{healthy, failed} {
		installerDisk(t, d)
		esp := disk.PartitionDevice(d, zfs.InstallerESPPartition)
		if _, err := m.Format(ctx, esp, &boot.FormatOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Init(ctx, esp, boot.InitSystemdBoot); err != nil {
			t.Fatal(err)
		}
	}
	createPool(t, c, &zfs.Layout{Pool: "zboot", Level: zfs.RAID1, Disks: []string{
		disk.PartitionDevice(healthy, zfs.InstallerZFSPartition), disk.PartitionDevice(failed, zfs.InstallerZFSPartition)}})
	writeRandom(t, "/zboot/payload", 4<<20)

	if _, err := c.ReplaceBootDisk(ctx, &zfs.BootDiskReplacement{Pool: "zboot", Healthy: healthy, Old: disk.PartitionDevice(failed, 3), New: healthy, Boot: m}); err == nil {
		t.Fatal("replacing onto the healthy disk accepted")
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	res, err := c.ReplaceBootDisk(wctx, &zfs.BootDiskReplacement{
		Pool: "zboot", Healthy: healthy, Old: disk.PartitionDevice(failed, zfs.InstallerZFSPartition), New: blank,
		Boot: m, Wait: true, Interval: time.Second,
	})
	if err != nil {
		t.Fatalf("%v (steps done: %q)", err, res.Steps)
	}
	newPart, newESP := disk.PartitionDevice(blank, 3), disk.PartitionDevice(blank, 2)
	want := []string{
		"sgdisk " + healthy + " -R " + blank, "sgdisk -G " + blank,
		"zpool replace -f zboot " + disk.PartitionDevice(failed, 3) + " " + newPart,
		"proxmox-boot-tool format " + newESP, "proxmox-boot-tool init " + newESP,
	}
	if !slices.Equal(res.Steps, want) || res.Mode != zfs.BootSystemdBoot {
		t.Errorf("steps %q in mode %s, want %q in systemd-boot", res.Steps, res.Mode, want)
	}

	// The new table is the healthy one with new GUIDs.
	src, err := disk.Read(healthy)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := disk.Read(blank)
	if err != nil {
		t.Fatal(err)
	}
	if dst.GUID == src.GUID || len(dst.Partitions) != len(src.Partitions) {
		t.Errorf("table: %+v from %+v", dst, src)
	}
	for i, p := range dst.Partitions {
		s := src.Partitions[i]
		if p.Type != s.Type || p.Start != s.Start || p.End != s.End || p.GUID == s.GUID {
			t.Errorf("partition %d: %+v from %+v", p.Number, p, s)
		}
	}

	// The pool resilvered onto partition 3 of the new disk.
	st := res.Status
	if st == nil || st.State != zfs.StateOnline || st.Find("replacing-1") != nil || st.Scan == nil || st.Scan.State != "finished" {
		t.Errorf("pool after the replacement: %+v", st)
	} else if names := leafNames(st); !slices.Contains(names, filepath.Base(newPart)) || slices.Contains(names, filepath.Base(disk.PartitionDevice(failed, 3))) {
		t.Errorf("devices after the replacement: %q", names)
	}

	// The new ESP is formatted, listed for proxmox-boot-tool and holds
	// the kernel.
	uuids, err := os.ReadFile(filepath.Join(root, boot.ESPListFile))
	if err != nil || res.ESPUUID == "" || !strings.Contains(string(uuids), res.ESPUUID) {
		t.Errorf("%s: %q (%v), new ESP %q", boot.ESPListFile, uuids, err, res.ESPUUID)
	}
	if out, err := exec.Command("fsck.vfat", "-n", newESP).CombinedOutput(); err != nil {
		t.Errorf("fsck.vfat -n %s: %v\n%s", newESP, err, out)
	}
	bst, err := m.Status(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range bst.ESPs {
		if e.UUID == res.ESPUUID {
			found = e.Mode == "uefi" && slices.Contains(e.Versions, "6.8.12-4-pve")
		}
	}
	if !found {
		t.Errorf("new ESP in proxmox-boot-tool status: %+v", bst.ESPs)
	}
}

func leafNames(st *zfs.PoolStatus) []string {
	var out []string
	for _, v := range st.Root.Leaves() {
		out = append(out, filepath.Base(v.Name))
	}
	return out
}
