//go:build vmtest

package vmtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
	"golang.org/x/sys/unix"
)

// These tests prove the guest the tier boots: each uses the kernel
// feature and the oracle tool that the packages' VM tests rely on.
// testdata/vm.json asks for every kind of device.

func run(t *testing.T, args ...string) []byte {
	t.Helper()
	res, err := runner.Default.Run(context.Background(), runner.Cmd{Args: args, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("%v", err)
	}
	return res.Stdout
}

func TestGuest(t *testing.T) {
	testenv.RequireVM(t)
	if !testenv.CI() {
		t.Error("CI is not true in the guest")
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	if !strings.HasPrefix(release, "6.1.") || !strings.HasSuffix(release, "-amd64") {
		t.Errorf("kernel release %q, want Debian 12's 6.1 amd64 kernel", release)
	}
	for _, tool := range []string{"ip", "lvm", "mkfs.vfat", "fsck.vfat", "btrfs", "smartctl", "efibootmgr", "sgdisk", "zpool", "zfs", "modprobe", "sh"} {
		testenv.RequireTool(t, tool)
	}
	if got := len(testenv.VMDisks(t, 4)); got != 4 {
		t.Errorf("%d disks, want 4", got)
	}
	for _, dev := range append(testenv.VMDisks(t, 4), testenv.VMSATADisk(t), testenv.VMNVMeDisk(t)) {
		fi, err := os.Stat(dev)
		if err != nil || fi.Mode()&os.ModeDevice == 0 {
			t.Errorf("%s: not a block device: %v", dev, err)
		}
	}
	if diff := cmp.Diff([]string{"eth1", "eth2"}, testenv.VMNICs(t, 2)); diff != "" {
		t.Errorf("NICs mismatch (-want +got):\n%s", diff)
	}
}

// TestBondVLAN creates a bond of the two NICs and a VLAN on it through
// netlink, and reads them back with ip -j.
func TestBondVLAN(t *testing.T) {
	testenv.RequireVM(t)
	nics := testenv.VMNICs(t, 2)
	c, err := rtnetlink.Dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	index := func(name string) uint32 {
		t.Helper()
		i, err := net.InterfaceByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return uint32(i.Index)
	}
	miimon := uint32(100)
	if err := c.Link.New(&rtnetlink.LinkMessage{
		Family: unix.AF_UNSPEC,
		Attributes: &rtnetlink.LinkAttributes{
			Name: "bond0",
			Info: &rtnetlink.LinkInfo{Kind: "bond", Data: &driver.Bond{Mode: driver.BondModeActiveBackup, Miimon: &miimon}},
		},
	}); err != nil {
		t.Fatalf("create bond0: %v", err)
	}
	bond := index("bond0")
	t.Cleanup(func() { _ = c.Link.Delete(bond) })
	for _, n := range nics {
		if err := c.Link.Set(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: index(n), Attributes: &rtnetlink.LinkAttributes{Master: &bond}}); err != nil {
			t.Fatalf("enslave %s: %v", n, err)
		}
	}
	if err := c.Link.Set(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: bond, Flags: unix.IFF_UP, Change: unix.IFF_UP}); err != nil {
		t.Fatalf("bond0 up: %v", err)
	}
	id := uint16(100)
	if err := c.Link.New(&rtnetlink.LinkMessage{
		Family: unix.AF_UNSPEC,
		Attributes: &rtnetlink.LinkAttributes{
			Name: "bond0.100",
			Type: bond,
			Info: &rtnetlink.LinkInfo{Kind: "vlan", Data: &driver.Vlan{ID: &id}},
		},
	}); err != nil {
		t.Fatalf("create bond0.100: %v", err)
	}

	type link struct {
		Ifname   string `json:"ifname"`
		Master   string `json:"master"`
		Link     string `json:"link"`
		LinkInfo struct {
			InfoKind string `json:"info_kind"`
			InfoData struct {
				Mode     string `json:"mode"`
				Miimon   int    `json:"miimon"`
				ID       int    `json:"id"`
				Protocol string `json:"protocol"`
			} `json:"info_data"`
			InfoSlaveKind string `json:"info_slave_kind"`
		} `json:"linkinfo"`
	}
	var links []link
	if err := json.Unmarshal(run(t, "ip", "-j", "-d", "link", "show"), &links); err != nil {
		t.Fatal(err)
	}
	got := map[string]link{}
	for _, l := range links {
		got[l.Ifname] = l
	}
	b := got["bond0"].LinkInfo
	if b.InfoKind != "bond" || b.InfoData.Mode != "active-backup" || b.InfoData.Miimon != 100 {
		t.Errorf("bond0: kind %q mode %q miimon %d; want bond active-backup 100", b.InfoKind, b.InfoData.Mode, b.InfoData.Miimon)
	}
	for _, n := range nics {
		if l := got[n]; l.Master != "bond0" || l.LinkInfo.InfoSlaveKind != "bond" {
			t.Errorf("%s: master %q slave kind %q; want bond0, bond", n, l.Master, l.LinkInfo.InfoSlaveKind)
		}
	}
	v := got["bond0.100"]
	if v.LinkInfo.InfoKind != "vlan" || v.LinkInfo.InfoData.ID != 100 || v.Link != "bond0" || v.LinkInfo.InfoData.Protocol != "802.1Q" {
		t.Errorf("bond0.100: kind %q id %d link %q protocol %q; want vlan 100 on bond0, 802.1Q", v.LinkInfo.InfoKind, v.LinkInfo.InfoData.ID, v.Link, v.LinkInfo.InfoData.Protocol)
	}
}

// TestLVMThinPool makes a thin pool and a thin volume on a virtual disk.
func TestLVMThinPool(t *testing.T) {
	testenv.RequireVM(t)
	disk := testenv.VMDisks(t, 4)[0]
	run(t, "pvcreate", "-y", disk)
	run(t, "vgcreate", "vmtest", disk)
	t.Cleanup(func() {
		runner.Default.Run(context.Background(), runner.Cmd{Args: []string{"vgremove", "-f", "vmtest"}})
		runner.Default.Run(context.Background(), runner.Cmd{Args: []string{"pvremove", "-y", disk}})
	})
	run(t, "lvcreate", "--type", "thin-pool", "-L", "256M", "-n", "data", "vmtest")
	run(t, "lvcreate", "-V", "1G", "-T", "vmtest/data", "-n", "vm-100-disk-0")

	var rep struct {
		Report []struct {
			LV []struct {
				Name    string `json:"lv_name"`
				Segtype string `json:"segtype"`
				Pool    string `json:"pool_lv"`
				Size    string `json:"lv_size"`
			} `json:"lv"`
		} `json:"report"`
	}
	out := run(t, "lvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", "lv_name,segtype,pool_lv,lv_size", "vmtest")
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Report) != 1 {
		t.Fatalf("lvs: %v: %s", err, out)
	}
	type lv struct{ Name, Segtype, Pool, Size string }
	var got []lv
	for _, l := range rep.Report[0].LV {
		got = append(got, lv{l.Name, l.Segtype, l.Pool, l.Size})
	}
	want := []lv{{"data", "thin-pool", "", "268435456"}, {"vm-100-disk-0", "thin", "data", "1073741824"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lvs mismatch (-want +got):\n%s", diff)
	}
	if st := run(t, "dmsetup", "status", "vmtest-data-tpool"); !bytes.Contains(st, []byte(" thin-pool ")) {
		t.Errorf("dmsetup status: %s", st)
	}
	if _, err := os.Stat("/dev/vmtest/vm-100-disk-0"); err != nil {
		t.Error(err)
	}
}

// waitFor waits for a device node the kernel creates.
func waitFor(t *testing.T, dev string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(dev); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", dev)
}

// TestVFATESP partitions a disk with an EFI system partition, makes a
// vfat file system on it, mounts it, writes and checks it.
func TestVFATESP(t *testing.T) {
	testenv.RequireVM(t)
	disk := testenv.VMDisks(t, 4)[1]
	run(t, "sgdisk", "--zap-all", disk)
	run(t, "sgdisk", "-n", "1:1M:+260M", "-t", "1:ef00", "-c", "1:EFI system partition", disk)
	part := disk + "1"
	waitFor(t, part)
	run(t, "mkfs.vfat", "-F", "32", "-n", "ESP", part)
	dir := t.TempDir()
	if err := unix.Mount(part, dir, "vfat", 0, "codepage=437,iocharset=iso8859-1"); err != nil {
		t.Fatalf("mount %s: %v", part, err)
	}
	mounted := true
	defer func() {
		if mounted {
			unix.Unmount(dir, 0)
		}
	}()
	want := []byte("title Proxmox VE\nlinux /EFI/proxmox/6.1/vmlinuz\n")
	p := filepath.Join(dir, "loader", "entries", "proxmox.conf")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unmount(dir, 0); err != nil {
		t.Fatal(err)
	}
	mounted = false
	run(t, "fsck.vfat", "-n", part)
	if got := strings.TrimSpace(string(run(t, "blkid", "-o", "value", "-s", "TYPE", part))); got != "vfat" {
		t.Errorf("blkid TYPE = %q, want vfat", got)
	}
	if err := unix.Mount(part, dir, "vfat", unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(dir, 0)
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("read back %q, %v; want %q", got, err, want)
	}
}

// TestZpool creates a mirrored pool with the DKMS-built module.
func TestZpool(t *testing.T) {
	testenv.RequireVM(t)
	disks := testenv.VMDisks(t, 4)[2:4]
	run(t, "modprobe", "zfs")
	ver, err := os.ReadFile("/sys/module/zfs/version")
	if err != nil || !strings.HasPrefix(string(ver), "2.1.") {
		t.Fatalf("zfs module version %q, %v; want 2.1.x", ver, err)
	}
	run(t, append([]string{"zpool", "create", "-f", "-o", "ashift=12", "-O", "mountpoint=/vmtestpool", "vmtestpool", "mirror"}, disks...)...)
	t.Cleanup(func() {
		runner.Default.Run(context.Background(), runner.Cmd{Args: []string{"zpool", "destroy", "-f", "vmtestpool"}})
	})
	run(t, "zfs", "create", "-o", "compression=lz4", "vmtestpool/data")
	if err := os.WriteFile("/vmtestpool/data/hello", []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(run(t, "zpool", "list", "-H", "-o", "name,health")))
	if diff := cmp.Diff([]string{"vmtestpool", "ONLINE"}, got); diff != "" {
		t.Errorf("zpool list mismatch (-want +got):\n%s", diff)
	}
	if st := run(t, "zpool", "status", "-P", "vmtestpool"); !bytes.Contains(st, []byte("mirror-0")) {
		t.Errorf("zpool status: %s", st)
	}
	if got := strings.TrimSpace(string(run(t, "zfs", "get", "-H", "-o", "value", "compression", "vmtestpool/data"))); got != "lz4" {
		t.Errorf("compression = %q, want lz4", got)
	}
}

// TestEFIVars reads EFI variables through efivarfs under OVMF.
func TestEFIVars(t *testing.T) {
	testenv.RequireVMEFI(t)
	const dir = "/sys/firmware/efi/efivars"
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.EFIVARFS_MAGIC {
		t.Fatalf("%s: file system type %#x, want efivarfs", dir, st.Type)
	}
	// BootCurrent and the global variables OVMF sets at every boot.
	for _, name := range []string{"BootOrder", "SecureBoot", "OsIndicationsSupported"} {
		b, err := os.ReadFile(filepath.Join(dir, name+"-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) < 5 {
			t.Errorf("%s: %d bytes, want attributes and data", name, len(b))
		}
	}
	out := run(t, "efibootmgr", "-v")
	if !bytes.Contains(out, []byte("BootOrder:")) {
		t.Errorf("efibootmgr -v: %s", out)
	}
}

// TestSMART reads SMART data of the emulated SATA disk with smartctl -j,
// and the NVMe health log.
func TestSMART(t *testing.T) {
	testenv.RequireVM(t)
	type report struct {
		Device struct {
			Protocol string `json:"protocol"`
		} `json:"device"`
		SmartStatus struct {
			Passed bool `json:"passed"`
		} `json:"smart_status"`
		ATASmartAttributes struct {
			Table []struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
			} `json:"table"`
		} `json:"ata_smart_attributes"`
		NVMeHealth *struct {
			Temperature int `json:"temperature"`
		} `json:"nvme_smart_health_information_log"`
	}
	smart := func(dev string) report {
		t.Helper()
		// smartctl's exit status is a bit mask of findings; the JSON
		// holds the answer.
		res, err := runner.Default.Run(context.Background(), runner.Cmd{Args: []string{"smartctl", "-j", "-a", dev}, Timeout: time.Minute})
		var r report
		if jerr := json.Unmarshal(res.Stdout, &r); jerr != nil {
			t.Fatalf("smartctl -j -a %s: %v (%v)", dev, jerr, err)
		}
		return r
	}
	sata := smart(testenv.VMSATADisk(t))
	if sata.Device.Protocol != "ATA" || !sata.SmartStatus.Passed || len(sata.ATASmartAttributes.Table) == 0 {
		t.Errorf("SATA disk: protocol %q, passed %v, %d attributes; want ATA, true, some", sata.Device.Protocol, sata.SmartStatus.Passed, len(sata.ATASmartAttributes.Table))
	}
	nvme := smart(strings.TrimSuffix(testenv.VMNVMeDisk(t), "n1"))
	if nvme.Device.Protocol != "NVMe" || nvme.NVMeHealth == nil || nvme.NVMeHealth.Temperature == 0 {
		t.Errorf("NVMe disk: protocol %q, health log %+v; want NVMe with a temperature", nvme.Device.Protocol, nvme.NVMeHealth)
	}
}

// TestBtrfs makes and mounts a btrfs file system on the NVMe disk, which
// the other tests leave alone.
func TestBtrfs(t *testing.T) {
	testenv.RequireVM(t)
	dev := testenv.VMNVMeDisk(t)
	run(t, "mkfs.btrfs", "-f", "-L", "vmtest", dev)
	dir := t.TempDir()
	if err := unix.Mount(dev, dir, "btrfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(dir, 0)
	run(t, "btrfs", "subvolume", "create", filepath.Join(dir, "sub"))
	out := run(t, "btrfs", "subvolume", "list", dir)
	if !bytes.Contains(out, []byte("path sub")) {
		t.Errorf("btrfs subvolume list: %s", out)
	}
}

// BenchmarkLinkList lists the guest's links through netlink and, as the
// anchor, with ip -j; it proves the tier's benchmark path (make vmbench).
func BenchmarkLinkList(b *testing.B) {
	testenv.RequireVM(b)
	b.Run("hostadm", func(b *testing.B) {
		c, err := rtnetlink.Dial(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			if _, err := c.Link.List(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vs=ip-json", func(b *testing.B) {
		testenv.RequireTool(b, "ip")
		for b.Loop() {
			res, err := runner.Default.Run(context.Background(), runner.Cmd{Args: []string{"ip", "-j", "link", "show"}})
			if err != nil || len(res.Stdout) == 0 {
				b.Fatal(err)
			}
		}
	})
}
