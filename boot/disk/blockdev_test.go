package disk

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBlockDevicesFixture(t *testing.T) {
	devs, err := BlockDevices("../../testdata/pve8")
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Type, FSType, Parent string }
	var got []row
	for _, d := range devs {
		got = append(got, row{d.Name, d.Type, d.FSType, d.Parent})
	}
	want := []row{
		{"dm-0", "dm", "swap", ""}, {"dm-1", "dm", "ext4", ""}, {"dm-2", "dm", "", ""}, {"dm-3", "dm", "", ""}, {"dm-4", "dm", "", ""}, {"dm-5", "dm", "", ""},
		{"sda", "disk", "", ""}, {"sda1", "part", "", "sda"}, {"sda2", "part", "vfat", "sda"}, {"sda3", "part", "LVM2_member", "sda"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("devices mismatch (-want +got):\n%s", d)
	}
	esp, ok := FindByUUID(devs, "3a7c-1f42")
	if !ok || esp.Name != "sda2" || esp.Size != 512<<20 || esp.Start != 2048 || esp.PartType != TypeESP || len(esp.MountPoints) != 1 || esp.MountPoints[0] != "/boot/efi" {
		t.Errorf("ESP = %+v", esp)
	}
	if pv, _ := FindByName(devs, "/dev/sda3"); len(pv.Holders) != 4 {
		t.Errorf("sda3 holders = %v", pv.Holders)
	}
}

func TestParseMountInfo(t *testing.T) {
	mi := ParseMountInfo([]byte("28 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/pve-root rw,errors=remount-ro\n" +
		"99 28 0:50 / /mnt/with\\040space rw - zfs rpool/data rw,xattr\nbroken line\n"))
	if len(mi) != 2 || mi[1].MountPoint != "/mnt/with space" || mi[1].FSType != "zfs" || mi[0].MajMin != "253:1" {
		t.Fatalf("%+v", mi)
	}
	if m, ok := FindMount(mi, "/"); !ok || m.Source != "/dev/mapper/pve-root" {
		t.Errorf("FindMount / = %+v", m)
	}
}
