//go:build vmtest

package boot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/fat"
	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/internal/vmtest"
)

// GRUB mode runs the system's own grub-install and update-grub, which
// the guest has from Debian's grub-efi-amd64-bin, grub-common and
// grub2-common (testdata/vm.json). update-grub asks grub-probe for the
// device of / (the root= of its entries), which the guest's initramfs
// root does not have: TestGRUBMode therefore builds a host on the guest's
// third disk (BIOS boot partition, ESP and an ext4 root holding /boot and
// /etc, with the guest's /usr, /dev, /proc, /sys and /run bound in) and
// runs the library inside it, chrooted, as the system's own tools would.

const (
	// grubESPEnv names the ESP for the test binary running inside the
	// chrooted host.
	grubESPEnv = "HOSTADM_BOOT_GRUB_ESP"
	// grubOldKernel is a second kernel, added by hand and removed again.
	grubOldKernel = "6.1.0-1-amd64"
	grubDisk      = 2 // testdata/vm.json's third disk
)

// grubDefaults is the host's /etc/default/grub: Proxmox VE's, with the
// console on the serial port and a short menu for the boot test.
const grubDefaults = `GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_TERMINAL=console
`

// TestGRUBMode formats an ESP, initialises it in GRUB mode and refreshes
// it, on a disk of the guest booted under OVMF: grub-install puts GRUB on
// the ESP and registers it with the firmware, update-grub writes
// grub/grub.cfg on the ESP with the kernels the refresh copied, a kernel
// removed from /boot leaves the ESP and the menu, the file system passes
// fsck.vfat -n, and /etc/kernel/proxmox-boot-uuids lists the ESP.
// TestGRUBBoot then boots the disk on the host.
func TestGRUBMode(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireVMEFI(t)
	if esp := os.Getenv(grubESPEnv); esp != "" {
		grubHost(t, esp)
		return
	}
	testenv.RequireTool(t, "grub-install", "update-grub", "grub-probe", "mkfs.ext4", "blkid", "fsck.vfat", "efibootmgr")
	ctx := context.Background()
	dev := testenv.VMDisks(t, grubDisk+1)[grubDisk]
	sectors, ss, err := disk.Geometry(dev)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := disk.InstallerLayout(sectors, ss, &disk.LayoutOptions{DataType: disk.TypeLinux})
	if err != nil {
		t.Fatal(err)
	}
	if err := disk.Write(ctx, dev, tb); err != nil {
		t.Fatal(err)
	}
	run(t, "udevadm", "settle")
	esp, rootPart := disk.PartitionDevice(dev, 2), disk.PartitionDevice(dev, 3)
	run(t, "mkfs.ext4", "-q", "-F", "-L", "root", rootPart)
	rootUUID := strings.TrimSpace(run(t, "blkid", "-s", "UUID", "-o", "value", rootPart))
	release := strings.TrimSpace(readFile(t, "/proc/sys/kernel/osrelease"))
	root := grubHostRoot(t, rootPart, release)

	// The library runs on the host it manages: this test binary,
	// chrooted into it.
	wd, _ := os.Getwd()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGRUBMode$", "-test.v", "-test.timeout=10m")
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), grubESPEnv+"="+esp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	out, err := cmd.CombinedOutput()
	if err != nil {
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		t.Fatalf("the library on the GRUB host: %v\n%s\nmounts:\n%s", err, out, mounts)
	}
	t.Logf("on the GRUB host:\n%s", out)

	if out, err := exec.Command("fsck.vfat", "-n", esp).CombinedOutput(); err != nil {
		t.Errorf("fsck.vfat -n %s: %v\n%s", esp, err, out)
	}
	espUUID := strings.TrimSpace(run(t, "blkid", "-s", "UUID", "-o", "value", esp))
	if got := readFile(t, filepath.Join(root, ESPListFile)); got != espUUID+"\n" {
		t.Errorf("%s = %q, want the ESP's UUID %q", ESPListFile, got, espUUID)
	}
	if _, err := os.Stat(filepath.Join(root, "boot/grub")); err == nil {
		t.Error("update-grub ran on the host's /boot too; GRUB mode configures only the ESPs")
	}
	// The kernel's vfat driver reads what GRUB's tools and the library
	// wrote.
	mp := t.TempDir()
	run(t, "mount", "-t", "vfat", "-o", "ro", esp, mp)
	defer exec.Command("umount", mp).Run()
	for _, f := range []string{"EFI/proxmox/grubx64.efi", "EFI/BOOT/BOOTX64.EFI", "grub/x86_64-efi/normal.mod", "grub/x86_64-efi/linux.mod"} {
		if _, err := os.Stat(filepath.Join(mp, f)); err != nil {
			t.Errorf("grub-install left no %s: %v", f, err)
		}
	}
	if got := readFile(t, filepath.Join(mp, "vmlinuz-"+release)); got != kernelImage("vmlinuz", release, 1<<20) {
		t.Errorf("vmlinuz-%s on the ESP: %d bytes, not the host's", release, len(got))
	}
	for _, f := range []string{"vmlinuz-" + grubOldKernel, "initrd.img-" + grubOldKernel} {
		if _, err := os.Stat(filepath.Join(mp, f)); err == nil {
			t.Errorf("%s is still on the ESP after its kernel was removed", f)
		}
	}
	cfg := readFile(t, filepath.Join(mp, "grub/grub.cfg"))
	for _, want := range []string{
		"search --no-floppy --fs-uuid --set=root ",
		espUUID,
		"linux\t/vmlinuz-" + release + " root=UUID=" + rootUUID + " ro console=ttyS0,115200 quiet",
		"initrd\t/initrd.img-" + release,
		"Proxmox VE GNU/Linux",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, grubOldKernel) {
		t.Errorf("grub.cfg still has the removed kernel %s", grubOldKernel)
	}
	// grub-install registered the ESP's GRUB with the firmware.
	if out := run(t, "efibootmgr", "-v"); !strings.Contains(out, "proxmox") || !strings.Contains(strings.ToLower(out), `\efi\proxmox\grubx64.efi`) {
		t.Errorf("no proxmox boot entry for GRUB in efibootmgr -v:\n%s", out)
	}
}

// grubHost is the part of TestGRUBMode that runs on the GRUB host: it
// adds an older kernel by hand, formats esp, initialises it in GRUB mode,
// removes the older kernel again and refreshes.
func grubHost(t *testing.T, esp string) {
	ctx := context.Background()
	release := strings.TrimSpace(readFile(t, "/proc/sys/kernel/osrelease"))
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// A Debian kernel is kept only while it runs or is added by hand.
	if err := m.AddKernel(ctx, grubOldKernel); err != nil {
		t.Fatal(err)
	}
	uuid, err := m.Format(ctx, esp, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Init(ctx, esp, InitGRUB)
	if err != nil {
		t.Fatalf("%v\n%s", err, deviceUsers(esp))
	}
	t.Logf("init: %+v, refresh: %+v", res, res.Refresh)
	if res.UUID != uuid || res.Mode != InitGRUB || res.Refresh == nil || len(res.Refresh.ESPs) != 1 {
		t.Fatalf("init = %+v", res)
	}
	er := res.Refresh.ESPs[0]
	slices.Sort(er.Copied)
	wantCopied := []string{"/initrd.img-" + grubOldKernel, "/initrd.img-" + release, "/vmlinuz-" + grubOldKernel, "/vmlinuz-" + release}
	if er.Mode != string(InitGRUB) || er.Skipped != "" || !slices.Equal(er.Copied, wantCopied) {
		t.Errorf("the refresh of init: %+v, want mode grub and copied %v", er, wantCopied)
	}
	if cfg := espFile(t, esp, "/grub/grub.cfg"); !strings.Contains(cfg, "/vmlinuz-"+release+" ") || !strings.Contains(cfg, "/vmlinuz-"+grubOldKernel+" ") {
		t.Errorf("grub.cfg after init lacks a kernel:\n%s", cfg)
	}

	if ok, err := m.RemoveKernel(ctx, grubOldKernel); err != nil || !ok {
		t.Fatalf("remove kernel %s: %v, %v", grubOldKernel, ok, err)
	}
	r, err := m.Refresh(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("refresh: %+v", r)
	if len(r.ESPs) != 1 || len(r.ESPs[0].Copied) != 0 ||
		!slices.Equal(r.ESPs[0].Removed, []string{"/initrd.img-" + grubOldKernel, "/vmlinuz-" + grubOldKernel}) {
		t.Errorf("refresh after removing %s from the kernels: %+v", grubOldKernel, r.ESPs)
	}
	st, err := m.Status(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ESPs) != 1 || st.ESPs[0].Mode != "grub" || !slices.Equal(st.ESPs[0].Versions, []string{release}) || len(st.ESPs[0].FSProblems) > 0 {
		t.Errorf("status: %+v", st.ESPs)
	}
}

// grubHostRoot makes the GRUB host's root file system on part, mounted
// for the test's lifetime: /boot with the running kernel's release and
// an older one (stand-ins), /etc from the guest with the host's GRUB
// settings, and the guest's /usr, /dev, /proc, /sys, /run and the test's
// /hostadm bound in.
func grubHostRoot(t *testing.T, part, release string) string {
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "mount", part, root)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-R", root).CombinedOutput(); err != nil {
			t.Errorf("umount -R %s: %v\n%s", root, err, out)
		}
	})
	run(t, "cp", "-a", "/etc", root+"/")
	files := map[string]string{
		"etc/default/grub": grubDefaults,
		"etc/pve/":         "",
		"tmp/":             "",
		"var/tmp/":         "",
		"root/":            "",
	}
	for _, v := range []string{release, grubOldKernel} {
		files["boot/vmlinuz-"+v] = kernelImage("vmlinuz", v, 1<<20)
		files["boot/initrd.img-"+v] = kernelImage("initrd", v, 2<<20)
	}
	writeTree(t, root, files)
	for _, d := range []string{"bin", "sbin", "lib", "lib64"} {
		if err := os.Symlink("usr/"+d, filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"/usr", "/dev", "/proc", "/sys", "/run", "/hostadm"} {
		if err := os.MkdirAll(root+d, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, "mount", "--rbind", d, root+d)
	}
	return root
}

// deviceUsers describes who has dev or its disk open, for a failure.
func deviceUsers(dev string) string {
	var b strings.Builder
	name := filepath.Base(dev)
	disk := strings.TrimRightFunc(name, func(r rune) bool { return r >= '0' && r <= '9' })
	for _, n := range []string{name, disk} {
		h, _ := filepath.Glob("/sys/class/block/" + n + "/holders/*")
		fmt.Fprintf(&b, "holders of %s: %v\n", n, h)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		t, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(t, "/dev/"+disk) {
			continue
		}
		pid := strings.Split(fd, "/")[2]
		comm, _ := os.ReadFile("/proc/" + pid + "/comm")
		cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		fmt.Fprintf(&b, "%s -> %s (pid %s %s: %q)\n", fd, t, pid, strings.TrimSpace(string(comm)), cmd)
	}
	m, _ := os.ReadFile("/proc/self/mountinfo")
	b.Write(m)
	return b.String()
}

// espFile reads a file from the ESP through the FAT library.
func espFile(t *testing.T, esp, name string) string {
	t.Helper()
	f, err := os.Open(esp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	var start uint32
	if _, err := fmt.Sscan(readFile(t, "/sys/class/block/"+filepath.Base(esp)+"/start"), &start); err != nil {
		t.Fatal(err)
	}
	g, err := fat.Open(readOnly{f}, size, start)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	b, err := g.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readOnly is a device that refuses writes.
type readOnly struct{ io.ReaderAt }

func (readOnly) WriteAt([]byte, int64) (int, error) { return 0, os.ErrPermission }

// TestGRUBBoot boots, on the host under OVMF, the disk that TestGRUBMode
// set up in the guest: the firmware starts GRUB from the ESP (the
// removable-media path; the guest's boot entries are in its own variable
// store), GRUB reads the grub.cfg update-grub wrote and boots its first
// entry. The kernel and initrd on the ESP were stand-ins; the Debian
// kernel and a marker initrd take their place, under the same names,
// through the FAT library.
func TestGRUBBoot(t *testing.T) {
	image := vmtest.GuestDisks(t, grubDisk+1)[grubDisk]
	files := vmtest.DebianBoot(t)
	const marker = "hostadm-grub-boot-ok"
	initrd := vmtest.MarkerInitrd(t, marker)

	tb, err := disk.Read(image)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := tb.Partition(2)
	if !ok || !strings.EqualFold(p.Type, disk.TypeESP) {
		t.Fatalf("%s: no ESP as partition 2 (did the guest's TestGRUBMode pass?)", image)
	}
	f, err := os.OpenFile(image, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := fat.Open(offsetDevice{f, int64(p.Start) * 512}, int64(p.Sectors())*512, uint32(p.Start))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := g.ReadFile("/grub/grub.cfg")
	if err != nil || !bytes.Contains(cfg, []byte("/vmlinuz-"+files.KernelRelease+" ")) {
		g.Close()
		t.Fatalf("the ESP has no grub.cfg for %s (did the guest's TestGRUBMode pass?): %v", files.KernelRelease, err)
	}
	for name, src := range map[string]string{"/vmlinuz-" + files.KernelRelease: files.Kernel, "/initrd.img-" + files.KernelRelease: initrd} {
		b, err := os.ReadFile(src)
		if err == nil {
			err = writeAtomic(g, name, b)
		}
		if err != nil {
			g.Close()
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	res := vmtest.BootImage(t, vmtest.BootOptions{Image: image, Marker: marker})
	t.Logf("%s after %v", res.Line, res.Elapsed.Round(1e9))
	line := string(res.Line)
	for _, want := range []string{"release=" + files.KernelRelease, "BOOT_IMAGE=/vmlinuz-" + files.KernelRelease, "root=UUID=", "console=ttyS0,115200"} {
		if !strings.Contains(line, want) {
			t.Errorf("the marker line lacks %q: GRUB did not boot the entry update-grub wrote", want)
		}
	}
	if !bytes.Contains(res.Console, []byte("GRUB")) {
		t.Errorf("no GRUB on the console:\n%s", res.Console)
	}
}

// offsetDevice is a partition of an image file.
type offsetDevice struct {
	f   *os.File
	off int64
}

func (d offsetDevice) ReadAt(p []byte, off int64) (int, error)  { return d.f.ReadAt(p, d.off+off) }
func (d offsetDevice) WriteAt(p []byte, off int64) (int, error) { return d.f.WriteAt(p, d.off+off) }

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
