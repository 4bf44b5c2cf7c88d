//go:build vmtest

package vmtest_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/hostadm/hostadm/internal/vmtest"
)

// TestBootImage proves the boot-test helper end to end: a GPT disk with
// an ESP holding systemd-boot, the Debian kernel, a marker initrd and a
// loader entry boots under OVMF until the initrd's init prints the
// marker. It runs on the host (make vmtest runs it there).
func TestBootImage(t *testing.T) {
	files := vmtest.DebianBoot(t)
	const marker = "hostadm-vmtest-boot-ok"
	initrd := vmtest.MarkerInitrd(t, marker)

	image := filepath.Join(t.TempDir(), "disk.raw")
	const size = 128 << 20
	d, err := diskfs.Create(image, size, diskfs.SectorSizeDefault)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Partition(&gpt.Table{
		LogicalSectorSize: 512,
		ProtectiveMBR:     true,
		Partitions: []*gpt.Partition{
			{Index: 1, Start: 2048, End: size/512 - 2048, Type: gpt.EFISystemPartition, Name: "EFI system partition"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	esp, err := d.CreateFilesystem(disk.FilesystemSpec{Partition: 1, FSType: filesystem.TypeFat32, VolumeLabel: "ESP"})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"/EFI", "/EFI/BOOT", "/loader", "/loader/entries", "/debian"} {
		if err := esp.Mkdir(dir); err != nil {
			t.Fatal(err)
		}
	}
	put := func(name string, r io.Reader) {
		t.Helper()
		f, err := esp.OpenFile(name, os.O_CREATE|os.O_RDWR)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := io.Copy(f, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	putFile := func(name, src string) {
		t.Helper()
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		put(name, f)
	}
	// The removable-media path: the fresh variable store has no entry.
	putFile("/EFI/BOOT/BOOTX64.EFI", files.SystemdBoot)
	putFile("/debian/vmlinuz", files.Kernel)
	putFile("/debian/initrd.img", initrd)
	put("/loader/loader.conf", bytes.NewBufferString("default hostadm.conf\ntimeout 0\n"))
	put("/loader/entries/hostadm.conf", bytes.NewBufferString(
		"title hostadm boot test\nlinux /debian/vmlinuz\ninitrd /debian/initrd.img\noptions console=ttyS0 panic=-1 quiet\n"))
	if err := esp.Close(); err != nil {
		t.Fatal(err)
	}

	res := vmtest.BootImage(t, vmtest.BootOptions{Image: image, Marker: marker})
	want := marker + " release=" + files.KernelRelease + " cmdline="
	if !bytes.HasPrefix(res.Line, []byte(want)) || !bytes.Contains(res.Line, []byte("console=ttyS0 panic=-1 quiet")) {
		t.Errorf("marker line %q, want %q and the entry's options", res.Line, want)
	}
	t.Logf("booted to the marker in %v", res.Elapsed)
}
