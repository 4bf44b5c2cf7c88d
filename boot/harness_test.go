package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/fat"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
)

// writeTree writes files below root; a name ending in "/" is a directory.
func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readTree(t testing.TB, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const dpkgStatus = `Package: proxmox-kernel-6.8.12-4-pve-signed
Status: install ok installed
Version: 6.8.12-4

Package: proxmox-kernel-6.8.12-2-pve-signed
Status: install ok installed
Version: 6.8.12-2

Package: proxmox-kernel-6.8.8-4-pve-signed
Status: install ok installed
Version: 6.8.8-4

Package: proxmox-kernel-6.5.13-6-pve-signed
Status: install ok installed
Version: 6.5.13-6

Package: proxmox-kernel-6.5.11-8-pve-signed
Status: install ok installed
Version: 6.5.11-8

Package: proxmox-kernel-6.2.16-20-pve
Status: deinstall ok config-files
Version: 6.2.16-20

Package: proxmox-kernel-6.8
Status: install ok installed
Version: 6.8.12-4

Package: proxmox-kernel-6.5
Status: install ok installed
Version: 6.5.13-6

Package: proxmox-kernel-6.8.12-4-pve-signed-dbgsym
Status: install ok installed
Version: 6.8.12-4

`

// kernelImage returns distinct content for a kernel or initrd.
func kernelImage(kind, version string, size int) string {
	return strings.Repeat(fmt.Sprintf("%s %s;", kind, version), size/(len(kind)+len(version)+2))
}

// newRoot makes a managed ZFS-on-root UEFI system tree.
func newRoot(t testing.TB, versions ...string) string {
	root := t.TempDir()
	files := map[string]string{
		"etc/kernel/cmdline":                           "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n",
		"etc/pve/":                                     "",
		"var/lib/dpkg/status":                          dpkgStatus,
		"proc/sys/kernel/osrelease":                    "6.8.12-2-pve\n",
		"sys/firmware/efi/efivars/":                    "",
		"usr/lib/systemd/boot/efi/systemd-bootx64.efi": "MZ systemd-boot",
		"proc/self/mountinfo":                          "26 1 0:24 / / rw,relatime shared:1 - zfs rpool/ROOT/pve-1 rw,xattr,noacl\n",
	}
	for _, v := range versions {
		files["boot/vmlinuz-"+v] = kernelImage("vmlinuz", v, 200<<10)
		files["boot/initrd.img-"+v] = kernelImage("initrd", v, 300<<10)
	}
	writeTree(t, root, files)
	return root
}

// fakeDisk is a disk image whose partitions the fake devices expose.
type fakeDisk struct {
	name string
	path string
	f    *os.File
}

// fakeDevices implements deviceOpener on disk images.
type fakeDevices struct {
	t     testing.TB
	disks []*fakeDisk
	// writes counts device writes; a write fails once it reaches
	// failAt (when non-zero), as a crash would stop it.
	writes atomic.Int64
	failAt int64
	// journal, when non-nil, records what each write overwrote, so that
	// a test can roll the disks back.
	journal []undo
}

type undo struct {
	dev  fat.Device
	off  int64
	data []byte
}

// rollback undoes the journaled writes, newest first.
func (fd *fakeDevices) rollback(t testing.TB) {
	for i := len(fd.journal) - 1; i >= 0; i-- {
		u := fd.journal[i]
		if _, err := u.dev.WriteAt(u.data, u.off); err != nil {
			t.Fatal(err)
		}
	}
	fd.journal = nil
}

func newFakeDevices(t testing.TB, names ...string) *fakeDevices {
	fd := &fakeDevices{t: t}
	for _, n := range names {
		p := filepath.Join(t.TempDir(), n+".img")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		const size = 1 << 30
		f.Truncate(size)
		tb, err := disk.InstallerLayout(size/512, 512, &disk.LayoutOptions{DataType: disk.TypeZFS})
		if err != nil {
			t.Fatal(err)
		}
		if err := disk.Encode(f, tb); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		fd.disks = append(fd.disks, &fakeDisk{name: n, path: p, f: f})
	}
	return fd
}

func (fd *fakeDevices) list() ([]disk.BlockDevice, error) {
	var out []disk.BlockDevice
	for _, d := range fd.disks {
		tb, err := disk.Read(d.path)
		if err != nil {
			return nil, err
		}
		out = append(out, disk.BlockDevice{Name: d.name, Path: "/dev/" + d.name, Type: "disk", Size: tb.Bytes(tb.Sectors)})
		for _, p := range tb.Partitions {
			bd := disk.BlockDevice{
				Name: fmt.Sprintf("%s%d", d.name, p.Number), Type: "part", Parent: d.name, Partition: p.Number,
				Start: p.Start, Size: tb.Bytes(p.Sectors()), PartType: p.Type, PartUUID: p.GUID,
			}
			bd.Path = "/dev/" + bd.Name
			if fs, err := disk.Probe(fat.NewSection(d.f, tb.Bytes(p.Start), bd.Size), bd.Size); err == nil {
				bd.FSType, bd.UUID, bd.Label = fs.Type, fs.UUID, fs.Label
			}
			out = append(out, bd)
		}
	}
	return out, nil
}

type failingDevice struct {
	fd *fakeDevices
	fat.Device
}

var errCrash = fmt.Errorf("simulated crash")

func (d failingDevice) WriteAt(p []byte, off int64) (int, error) {
	n := d.fd.writes.Add(1)
	if d.fd.failAt > 0 && n >= d.fd.failAt {
		return 0, errCrash
	}
	if d.fd.journal != nil {
		old := make([]byte, len(p))
		d.Device.ReadAt(old, off)
		d.fd.journal = append(d.fd.journal, undo{d.Device, off, old})
	}
	return d.Device.WriteAt(p, off)
}

func (fd *fakeDevices) open(bd disk.BlockDevice, write bool) (*espDevice, error) {
	for _, d := range fd.disks {
		if d.name == bd.Parent {
			sec := fat.NewSection(d.f, int64(bd.Start)*512, bd.Size)
			return &espDevice{dev: failingDevice{fd, sec}, size: bd.Size, start: uint32(bd.Start), close: func() error { return nil }}, nil
		}
	}
	return nil, os.ErrNotExist
}

func (fd *fakeDevices) setType(ctx context.Context, bd disk.BlockDevice, typeGUID string) error {
	for _, d := range fd.disks {
		if d.name == bd.Parent {
			return disk.SetPartitionType(ctx, d.path, bd.Partition, typeGUID)
		}
	}
	return os.ErrNotExist
}

func (fd *fakeDevices) resolve(name string) (string, error) {
	return strings.TrimPrefix(name, "/dev/"), nil
}

// newTestManager returns a Manager on root with fake devices and runner.
func newTestManager(t testing.TB, root string, fd *fakeDevices, cfg *Config) (*Manager, *runnertest.Fake) {
	t.Helper()
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Root = root
	m, err := New(&c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	fake := runnertest.New(t)
	m.run = fake
	if fd != nil {
		m.devs = fd
	}
	return m, fake
}
