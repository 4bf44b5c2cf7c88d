package smart

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sysDisk creates a disk's sysfs directory under devices and the
// /sys/block link to it.
func sysDisk(t *testing.T, root, devpath, name string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(root, "sys/devices", devpath, "block", name)
	for f, v := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "device"), 0o755)
	os.MkdirAll(filepath.Join(root, "sys/block"), 0o755)
	if err := os.Symlink("../devices/"+devpath+"/block/"+name, filepath.Join(root, "sys/block", name)); err != nil {
		t.Fatal(err)
	}
}

func scsiHost(t *testing.T, root, host, driver string) {
	p := filepath.Join(root, "sys/class/scsi_host", host, "proc_name")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte(driver+"\n"), 0o644)
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	sysDisk(t, root, "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "sda",
		map[string]string{"size": "1953525168", "queue/rotational": "0", "removable": "0", "device/vendor": "ATA", "device/model": "Samsung SSD 870"})
	scsiHost(t, root, "host0", "ahci")
	sysDisk(t, root, "pci0000:00/0000:00:1c.0/0000:02:00.0/host1/target1:2:0/1:2:0:0", "sdb",
		map[string]string{"size": "7812939776", "queue/rotational": "1", "device/vendor": "AVAGO", "device/model": "MR9361-8i"})
	scsiHost(t, root, "host1", "megaraid_sas")
	sysDisk(t, root, "pci0000:00/0000:00:1d.0/0000:03:00.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0", "sdc",
		map[string]string{"size": "781422768", "queue/rotational": "0", "device/vendor": "HGST", "device/model": "HUSMM3240ASS204"})
	scsiHost(t, root, "host2", "mpt3sas")
	sysDisk(t, root, "pci0000:00/0000:00:1d.0/0000:03:00.0/host2/target2:1:0/2:1:0:0", "sdd",
		map[string]string{"size": "781422768", "device/vendor": "LSI", "device/model": "Logical Volume"})
	sysDisk(t, root, "pci0000:00/0000:5e:00.0/nvme/nvme0", "nvme0n1",
		map[string]string{"size": "3907029168", "queue/rotational": "0", "device/model": "SAMSUNG MZQL22T0HBLB-00A07"})
	sysDisk(t, root, "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0", "sde",
		map[string]string{"size": "31260672", "removable": "1", "device/vendor": "SanDisk", "device/model": "Ultra"})
	sysDisk(t, root, "platform/host3/session1/target3:0:0/3:0:0:0", "sdf", map[string]string{"size": "1"})
	sysDisk(t, root, "pci0000:00/0000:00:04.0/virtio1", "vda", map[string]string{"size": "67108864", "queue/rotational": "1"})
	sysDisk(t, root, "virtual", "loop0", map[string]string{"size": "0"})
	sysDisk(t, root, "virtual", "zram0", map[string]string{"size": "0"})

	disks, err := newTestClient(t, root).Discover()
	if err != nil {
		t.Fatal(err)
	}
	want := []Disk{
		{Name: "nvme0n1", Path: "/dev/nvme0n1", Transport: NVMe, Model: "SAMSUNG MZQL22T0HBLB-00A07", Size: 3907029168 * 512},
		{Name: "sda", Path: "/dev/sda", Transport: ATA, Vendor: "ATA", Model: "Samsung SSD 870", Size: 1953525168 * 512, HostDriver: "ahci"},
		{Name: "sdb", Path: "/dev/sdb", Transport: SCSI, Vendor: "AVAGO", Model: "MR9361-8i", Size: 7812939776 * 512, Rotational: true, HostDriver: "megaraid_sas", RAID: true},
		{Name: "sdc", Path: "/dev/sdc", Transport: SCSI, Vendor: "HGST", Model: "HUSMM3240ASS204", Size: 781422768 * 512, HostDriver: "mpt3sas"},
		{Name: "sdd", Path: "/dev/sdd", Transport: SCSI, Vendor: "LSI", Model: "Logical Volume", Size: 781422768 * 512, HostDriver: "mpt3sas", RAID: true},
		{Name: "sde", Path: "/dev/sde", Transport: USB, Vendor: "SanDisk", Model: "Ultra", Size: 31260672 * 512, Removable: true},
		{Name: "vda", Path: "/dev/vda", Transport: Virtio, Size: 67108864 * 512, Rotational: true},
	}
	if diff := cmp.Diff(want, disks); diff != "" {
		t.Errorf("Discover mismatch (-want +got):\n%s", diff)
	}
	if disks[2].HasSMART() || !disks[1].HasSMART() || disks[6].HasSMART() {
		t.Error("HasSMART wrong")
	}
}
