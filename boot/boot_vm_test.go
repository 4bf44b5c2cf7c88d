//go:build vmtest

package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
	"github.com/hostadm/hostadm/internal/testenv"
)

// guestRoot is a target tree with three kernels; the guest's own /sys,
// /proc and /dev serve as SysRoot.
func guestRoot(t testing.TB) string {
	root := t.TempDir()
	files := map[string]string{
		"etc/kernel/cmdline":  "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n",
		"etc/pve/":            "",
		"var/lib/dpkg/status": dpkgStatus,
		"usr/lib/systemd/boot/efi/systemd-bootx64.efi": "MZ systemd-boot stand-in",
	}
	for _, v := range []string{"6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve"} {
		files["boot/vmlinuz-"+v] = kernelImage("vmlinuz", v, 12<<20)
		files["boot/initrd.img-"+v] = kernelImage("initrd", v, 40<<20)
	}
	writeTree(t, root, files)
	return root
}

func partitionDisks(t testing.TB, n int) []string {
	ctx := context.Background()
	var esps []string
	for _, dev := range testenv.VMDisks(t, n)[:n] {
		sectors, ss, err := disk.Geometry(dev)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := disk.InstallerLayout(sectors, ss, &disk.LayoutOptions{DataType: disk.TypeZFS})
		if err != nil {
			t.Fatal(err)
		}
		if err := disk.Write(ctx, dev, tb); err != nil {
			t.Fatal(err)
		}
		exec.Command("udevadm", "settle").Run()
		esps = append(esps, disk.PartitionDevice(dev, 2))
	}
	return esps
}

// TestESPsOnGuestDisks formats, initialises and refreshes ESPs on real
// partitions of the guest, with its EFI variables, and checks them with
// fsck.vfat, the kernel's vfat driver and efibootmgr.
func TestESPsOnGuestDisks(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireVMEFI(t)
	ctx := context.Background()
	esps := partitionDisks(t, 2)
	root := guestRoot(t)
	m, err := New(&Config{Root: root, SysRoot: "/"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, p := range esps {
		if _, err := m.Format(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		res, err := m.Init(ctx, p, InitSystemdBoot)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command("efibootmgr", "-v").CombinedOutput()
		if res.BootEntry == "" || !strings.Contains(string(out), res.BootEntry) {
			t.Errorf("boot entry %q not in efibootmgr -v:\n%s", res.BootEntry, out)
		}
		if out, err := exec.Command("fsck.vfat", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("fsck.vfat -n %s: %v\n%s", p, err, out)
		}
	}
	// The kernel's vfat driver reads what the FAT library wrote.
	mp := t.TempDir()
	if out, err := exec.Command("mount", "-t", "vfat", "-o", "ro", esps[1], mp).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	defer exec.Command("umount", mp).Run()
	entry, err := os.ReadFile(filepath.Join(mp, "loader/entries/proxmox-6.8.12-4-pve.conf"))
	if err != nil || string(entry) != string(LoaderEntry(defaultLoaderTitle, "6.8.12-4-pve", "root=ZFS=rpool/ROOT/pve-1 boot=zfs")) {
		t.Errorf("entry via the vfat driver: %q %v", entry, err)
	}
	initrd, err := os.ReadFile(filepath.Join(mp, "EFI/proxmox/6.5.13-6-pve/initrd.img-6.5.13-6-pve"))
	if err != nil || string(initrd) != kernelImage("initrd", "6.5.13-6-pve", 40<<20) {
		t.Errorf("initrd via the vfat driver: %d bytes, %v", len(initrd), err)
	}
	st, err := m.Status(ctx, true)
	if err != nil || len(st.ESPs) != 2 || st.ESPs[0].Mode != "uefi" || len(st.ESPs[0].Versions) != 3 {
		t.Errorf("status: %+v %v", st, err)
	}
	// Remove the entries again so that other tests see OVMF's own.
	s, _ := efivar.New(nil)
	entries, _ := s.BootEntries()
	for _, e := range entries {
		if e.File == `\EFI\systemd\systemd-bootx64.efi` {
			s.DeleteBootEntry(e.Num)
		}
	}
	s.Close()
}

// BenchmarkRefresh refreshes three kernels onto two ESPs: through the FAT
// library, against mounting each ESP and copying the files with cp.
func BenchmarkRefresh(b *testing.B) {
	testenv.RequireVM(b)
	ctx := context.Background()
	esps := partitionDisks(b, 2)
	root := guestRoot(b)
	m, err := New(&Config{Root: root, SysRoot: "/", Firmware: FirmwareUEFI})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for _, p := range esps {
		if _, err := m.Format(ctx, p, &FormatOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Init(ctx, p, InitSystemdBoot); err != nil {
			b.Fatal(err)
		}
	}
	versions := []string{"6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve"}
	// Each round changes every initrd so that all of them are copied.
	round := 0
	touch := func(b *testing.B) {
		round++
		for _, v := range versions {
			os.WriteFile(filepath.Join(root, "boot/initrd.img-"+v), []byte(kernelImage(fmt.Sprintf("initrd%d", round), v, 40<<20)), 0o644)
		}
	}
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			touch(b)
			b.StartTimer()
			if _, err := m.Refresh(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vs=cp", func(b *testing.B) {
		mp := b.TempDir()
		for b.Loop() {
			b.StopTimer()
			touch(b)
			b.StartTimer()
			for _, p := range esps {
				if out, err := exec.Command("mount", "-t", "vfat", p, mp).CombinedOutput(); err != nil {
					b.Fatalf("mount: %v %s", err, out)
				}
				for _, v := range versions {
					dir := filepath.Join(mp, "EFI/proxmox", v)
					os.MkdirAll(dir, 0o755)
					if out, err := exec.Command("cp", "--preserve=timestamps", filepath.Join(root, "boot/vmlinuz-"+v), filepath.Join(root, "boot/initrd.img-"+v), dir+"/").CombinedOutput(); err != nil {
						b.Fatalf("cp: %v %s", err, out)
					}
					os.WriteFile(filepath.Join(mp, "loader/entries/proxmox-"+v+".conf"), LoaderEntry(defaultLoaderTitle, v, "root=ZFS=rpool/ROOT/pve-1 boot=zfs"), 0o644)
				}
				if out, err := exec.Command("umount", mp).CombinedOutput(); err != nil {
					b.Fatalf("umount: %v %s", err, out)
				}
			}
		}
	})
}
