package boot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
	"github.com/hostadm/hostadm/boot/fat"
	"github.com/hostadm/hostadm/internal/testenv"
)

// espImage copies partition 2 of a fake disk into a file for fsck.vfat.
func espImage(t *testing.T, fd *fakeDevices, diskName string) string {
	t.Helper()
	devs, _ := fd.list()
	bd, _ := disk.FindByName(devs, diskName+"2")
	dev, err := fd.open(bd, false)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "esp.img")
	f, _ := os.Create(p)
	f.Truncate(dev.size)
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for off := int64(0); off < dev.size; off += int64(len(buf)) {
		n, _ := dev.dev.ReadAt(buf, off)
		if bytes.Equal(buf[:n], zero[:n]) {
			continue // keep the copy sparse
		}
		if _, err := f.WriteAt(buf[:n], off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	return p
}

func fsckClean(t *testing.T, fd *fakeDevices, diskName string) {
	t.Helper()
	testenv.RequireTool(t, "fsck.vfat")
	out, err := exec.Command("fsck.vfat", "-n", espImage(t, fd, diskName)).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.vfat -n on %s's ESP: %v\n%s", diskName, err, out)
	}
}

// espFiles returns the files of an ESP with their content.
func espFiles(t testing.TB, fd *fakeDevices, diskName string) map[string]string {
	t.Helper()
	devs, _ := fd.list()
	bd, _ := disk.FindByName(devs, diskName+"2")
	dev, err := fd.open(bd, false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := g.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			p := strings.TrimSuffix(dir, "/") + "/" + e.Name()
			if e.IsDir() {
				walk(p)
				continue
			}
			b, err := g.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[p] = string(b)
		}
	}
	walk("/")
	return out
}

func TestFormatInitRefresh(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, "6.8.12-4-pve", "6.8.12-2-pve", "6.8.8-4-pve", "6.5.13-6-pve", "6.5.11-8-pve")
	fd := newFakeDevices(t, "sda", "sdb")
	m, _ := newTestManager(t, root, fd, nil)

	uuidA, err := m.Format(ctx, "/dev/sda2", &FormatOptions{VolumeID: 0xA1B2C3D4})
	if err != nil {
		t.Fatal(err)
	}
	if uuidA != "A1B2-C3D4" {
		t.Errorf("uuid = %s", uuidA)
	}
	if _, err := m.Format(ctx, "/dev/sda2", nil); !errors.Is(err, ErrNotESP) {
		t.Errorf("formatting a vfat partition without force: err = %v", err)
	}
	if _, err := m.Format(ctx, "/dev/sda", nil); !errors.Is(err, ErrNotESP) {
		t.Errorf("formatting a disk: err = %v", err)
	}
	if _, err := m.Format(ctx, "/dev/sda1", nil); !errors.Is(err, ErrNotESP) {
		t.Errorf("formatting a 1 MiB partition: err = %v", err)
	}
	if _, err := m.Format(ctx, "/dev/sdb2", &FormatOptions{VolumeID: 0xA1B2D5E6}); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, fd, "sda")

	for i, p := range []string{"/dev/sda2", "/dev/sdb2"} {
		res, err := m.Init(ctx, p, InitAuto)
		if err != nil {
			t.Fatal(err)
		}
		if res.Mode != InitSystemdBoot || !strings.HasPrefix(res.BootEntry, "Boot000") {
			t.Errorf("init %s: %+v", p, res)
		}
		// The first init creates the system token, the second finds it.
		if res.SystemToken != (i == 0) {
			t.Errorf("init %s: SystemToken = %v", p, res.SystemToken)
		}
	}
	seedA, seedB := espFiles(t, fd, "sda")["/"+randomSeedPath], espFiles(t, fd, "sdb")["/"+randomSeedPath]
	if len(seedA) != 32 || len(seedB) != 32 || seedA == seedB {
		t.Errorf("random seeds: %q, %q; want two different 32-byte seeds", seedA, seedB)
	}
	if got := readTree(t, root, ESPListFile); got != "A1B2-C3D4\nA1B2-D5E6\n" {
		t.Errorf("ESP list = %q", got)
	}
	// The running kernel, the two latest, the latest of the older series.
	want := []string{"6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve"}
	files := espFiles(t, fd, "sdb")
	var versions []string
	for p := range files {
		if v, ok := strings.CutPrefix(p, "/loader/entries/proxmox-"); ok {
			versions = append(versions, strings.TrimSuffix(v, ".conf"))
		}
	}
	slices.Sort(versions)
	slices.Reverse(versions)
	if d := cmp.Diff(want, versions); d != "" {
		t.Errorf("entries mismatch (-want +got):\n%s", d)
	}
	wantEntry := "title    Proxmox Virtual Environment\nversion  6.8.12-4-pve\noptions  root=ZFS=rpool/ROOT/pve-1 boot=zfs\n" +
		"linux    /EFI/proxmox/6.8.12-4-pve/vmlinuz-6.8.12-4-pve\ninitrd   /EFI/proxmox/6.8.12-4-pve/initrd.img-6.8.12-4-pve\n"
	if d := cmp.Diff(wantEntry, files["/loader/entries/proxmox-6.8.12-4-pve.conf"]); d != "" {
		t.Errorf("entry mismatch (-want +got):\n%s", d)
	}
	if files["/loader/loader.conf"] != "timeout 3\ndefault proxmox-*\n" {
		t.Errorf("loader.conf = %q", files["/loader/loader.conf"])
	}
	if files["/EFI/proxmox/6.5.13-6-pve/initrd.img-6.5.13-6-pve"] != kernelImage("initrd", "6.5.13-6-pve", 300<<10) {
		t.Error("initrd content differs")
	}
	if files["/EFI/systemd/systemd-bootx64.efi"] != "MZ systemd-boot" || files["/EFI/BOOT/BOOTX64.EFI"] != "MZ systemd-boot" {
		t.Error("systemd-boot not installed")
	}
	fsckClean(t, fd, "sda")
	fsckClean(t, fd, "sdb")

	// Boot entries for both ESPs, first in BootOrder.
	s, err := efivar.New(&efivar.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if attrs, tok, err := s.Get("LoaderSystemToken", loaderVendorGUID); err != nil || len(tok) != 32 || attrs != efivar.DefaultAttributes {
		t.Errorf("LoaderSystemToken: %v, %d bytes, attributes %#x", err, len(tok), attrs)
	}
	entries, err := s.BootEntries()
	if err != nil || len(entries) != 2 || entries[0].File != `\EFI\systemd\systemd-bootx64.efi` || !strings.HasPrefix(entries[0].Path, "HD(2,GPT,") || !strings.HasSuffix(entries[0].Path, ",0x800,0x100000)/File(\\EFI\\systemd\\systemd-bootx64.efi)") {
		t.Errorf("boot entries: %v %+v", err, entries)
	}

	// Pin, change the command line, drop a kernel: refresh follows.
	if _, err := m.Pin(ctx, "6.5.13-6-pve", false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetCmdlineParam(ctx, ParseParam("net.naming-scheme=v252")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "boot/vmlinuz-6.8.12-2-pve"))
	writeTree(t, root, map[string]string{"proc/sys/kernel/osrelease": "6.8.12-4-pve\n"})
	res, err := m.Refresh(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 6.8.12-2-pve is still installed (dpkg), so it stays one of the two
	// latest; without its image it is skipped.
	if d := cmp.Diff([]string{"6.8.12-4-pve", "6.5.13-6-pve"}, res.Kernels); d != "" {
		t.Errorf("kernels mismatch (-want +got):\n%s\n%v", d, res.Warnings)
	}
	files = espFiles(t, fd, "sda")
	if files["/loader/loader.conf"] != "timeout 3\ndefault proxmox-6.5.13-6-pve.conf\n" {
		t.Errorf("loader.conf = %q", files["/loader/loader.conf"])
	}
	if _, ok := files["/EFI/proxmox/6.8.12-2-pve/vmlinuz-6.8.12-2-pve"]; ok {
		t.Error("stale kernel kept")
	}
	if !strings.Contains(files["/loader/entries/proxmox-6.8.12-4-pve.conf"], "options  root=ZFS=rpool/ROOT/pve-1 boot=zfs net.naming-scheme=v252\n") {
		t.Errorf("entry options: %q", files["/loader/entries/proxmox-6.8.12-4-pve.conf"])
	}
	fsckClean(t, fd, "sda")

	st, err := m.Status(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ESPs) != 2 || st.ESPs[0].Mode != "uefi" || len(st.ESPs[0].FSProblems) != 0 || len(st.ESPs[0].Versions) != 2 {
		t.Errorf("status: %+v", st.ESPs)
	}

	// Clean drops an ESP whose partition is gone.
	fd.disks = fd.disks[:1]
	cr, err := m.Clean(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&CleanResult{Kept: []string{"A1B2-C3D4"}, Removed: []string{"A1B2-D5E6"}}, cr); d != "" {
		t.Errorf("clean mismatch (-want +got):\n%s", d)
	}
}

// TestRefreshInterrupted stops a refresh at every device write in turn
// and checks that the ESP still boots the old or the new set, and that
// the next refresh completes it cleanly.
func TestRefreshInterrupted(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, "6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve", "6.8.8-4-pve")
	fd := newFakeDevices(t, "sda")
	m, _ := newTestManager(t, root, fd, nil)
	if _, err := m.Format(ctx, "/dev/sda2", &FormatOptions{VolumeID: 0x11112222}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Init(ctx, "/dev/sda2", InitSystemdBoot); err != nil {
		t.Fatal(err)
	}
	oldSet := bootSet(t, fd)
	// The new set: a new kernel, an updated initrd, a dropped kernel, a
	// new command line.
	writeTree(t, root, map[string]string{
		"boot/vmlinuz-6.8.12-5-pve":    kernelImage("vmlinuz", "6.8.12-5-pve", 200<<10),
		"boot/initrd.img-6.8.12-5-pve": kernelImage("initrd", "6.8.12-5-pve", 300<<10),
		"boot/initrd.img-6.8.12-2-pve": kernelImage("initrd2", "6.8.12-2-pve", 300<<10),
		"etc/kernel/cmdline":           "root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet\n",
		"var/lib/dpkg/status":          dpkgStatus + "Package: proxmox-kernel-6.8.12-5-pve-signed\nStatus: install ok installed\nVersion: 6.8.12-5\n",
	})
	fd.writes.Store(0)
	fd.journal = []undo{}
	if _, err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	total := fd.writes.Load()
	newSet := bootSet(t, fd)
	if cmp.Equal(oldSet, newSet) {
		t.Fatal("the refresh changed nothing")
	}
	step := max(total/40, 1)
	for n := int64(1); n <= total; n += step {
		fd.rollback(t)
		fd.journal = []undo{}
		fd.writes.Store(0)
		fd.failAt = n
		_, err := m.Refresh(ctx, nil)
		fd.failAt = 0
		if err == nil {
			continue
		}
		got := bootSet(t, fd)
		if !cmp.Equal(got, oldSet) && !cmp.Equal(got, newSet) && !isMix(got, oldSet, newSet) {
			t.Fatalf("interrupted at write %d of %d: boot set is neither old nor new:\n%v", n, total, got)
		}
		if _, err := m.Refresh(ctx, nil); err != nil {
			t.Fatalf("refresh after interruption at %d: %v", n, err)
		}
		if got := bootSet(t, fd); !cmp.Equal(got, newSet) {
			t.Fatalf("refresh after interruption at %d did not reach the new set", n)
		}
	}
	fsckClean(t, fd, "sda")
}

// bootSet is what systemd-boot would offer: for each entry whose files
// are complete, its options and the digest of its kernel and initrd; and
// the entry loader.conf selects. An entry pointing at a missing or
// truncated file fails the test.
func bootSet(t *testing.T, fd *fakeDevices) map[string]string {
	t.Helper()
	files := espFiles(t, fd, "sda")
	set := map[string]string{}
	for p, content := range files {
		name, ok := strings.CutPrefix(p, "/loader/entries/")
		if !ok || !strings.HasSuffix(name, ".conf") {
			continue
		}
		e := ParseLoaderConf([]byte(content))
		linux, _ := e.Get("linux")
		initrd, _ := e.Get("initrd")
		opts, _ := e.Get("options")
		ver, _ := e.Get("version")
		k, ok1 := files[linux]
		i, ok2 := files[initrd]
		if !ok1 || !ok2 || k != kernelImage("vmlinuz", ver, 200<<10) || !(i == kernelImage("initrd", ver, 300<<10) || i == kernelImage("initrd2", ver, 300<<10)) {
			t.Fatalf("entry %s points at missing or incomplete files", name)
		}
		set[name] = opts + "\x00" + i[:8]
	}
	lc := ParseLoaderConf([]byte(files["/loader/loader.conf"]))
	def, _ := lc.Get("default")
	set["default"] = def
	if len(set) < 2 {
		t.Fatal("no boot entry left")
	}
	return set
}

// isMix accepts a state in which every entry and each of its parts (the
// options line, the initrd) is from the old or the new set: a kernel
// version keeps its paths, so its files and its entry are switched one at
// a time, each complete.
func isMix(got, oldSet, newSet map[string]string) bool {
	for k, v := range got {
		if k == "default" {
			if v != oldSet[k] && v != newSet[k] {
				return false
			}
			continue
		}
		o, oi, _ := strings.Cut(v, "\x00")
		for _, ref := range []map[string]string{oldSet, newSet} {
			ro, ri, _ := strings.Cut(ref[k], "\x00")
			if o == ro {
				o = ""
			}
			if oi == ri {
				oi = ""
			}
		}
		if o != "" || oi != "" {
			return false
		}
	}
	return true
}

// TestRefreshGRUBMode refreshes an ESP that GRUB boots (grub-install
// left EFI/proxmox/grubx64.efi and grub/ on it): kernels go to its root
// and the pin becomes GRUB's default.
func TestRefreshGRUBMode(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, "6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve")
	writeTree(t, root, map[string]string{
		"boot/grub/grub.cfg": "submenu 'Advanced options for Proxmox VE GNU/Linux' $menuentry_id_option 'gnulinux-advanced-1234abcd' {\n}\n",
	})
	fd := newFakeDevices(t, "sda")
	m, _ := newTestManager(t, root, fd, nil)
	uuid, err := m.Format(ctx, "/dev/sda2", nil)
	if err != nil {
		t.Fatal(err)
	}
	devs, _ := fd.list()
	bd, _ := disk.FindByName(devs, "sda2")
	dev, _ := fd.open(bd, true)
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		t.Fatal(err)
	}
	g.WriteFile("/EFI/proxmox/grubx64.efi", []byte("MZ grub"))
	g.WriteFile("/grub/grub.cfg", []byte("# generated by update-grub\n"))
	g.WriteFile("/vmlinuz-6.2.16-20-pve", []byte("stale"))
	g.Close()
	writeTree(t, root, map[string]string{ESPListFile[1:]: uuid + "\n"})
	if _, err := m.Pin(ctx, "6.8.12-2-pve", false); err != nil {
		t.Fatal(err)
	}
	res, err := m.Refresh(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ESPs) != 1 || res.ESPs[0].Mode != "grub" {
		t.Fatalf("refresh: %+v", res.ESPs)
	}
	files := espFiles(t, fd, "sda")
	for _, v := range []string{"6.8.12-4-pve", "6.8.12-2-pve", "6.5.13-6-pve"} {
		if files["/vmlinuz-"+v] != kernelImage("vmlinuz", v, 200<<10) || files["/initrd.img-"+v] != kernelImage("initrd", v, 300<<10) {
			t.Errorf("kernel %s not on the ESP root", v)
		}
	}
	if _, ok := files["/vmlinuz-6.2.16-20-pve"]; ok {
		t.Error("stale kernel kept")
	}
	if _, ok := files["/loader/loader.conf"]; ok {
		t.Error("a GRUB ESP got systemd-boot files")
	}
	if got := readTree(t, root, GrubPinSnippet); got != "GRUB_DEFAULT=\"gnulinux-advanced-1234abcd>gnulinux-6.8.12-2-pve-advanced-1234abcd\"\n" {
		t.Errorf("pin snippet = %q", got)
	}
	fsckClean(t, fd, "sda")
}

// TestInitVirtualMachine leaves the system token alone under a hypervisor,
// as bootctl does, but still writes the random seed.
func TestInitVirtualMachine(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, "6.8.12-4-pve")
	writeTree(t, root, map[string]string{"proc/cpuinfo": "processor\t: 0\nflags\t\t: fpu vme sse2 hypervisor lahf_lm\n\n"})
	fd := newFakeDevices(t, "sda")
	m, _ := newTestManager(t, root, fd, nil)
	if _, err := m.Format(ctx, "/dev/sda2", nil); err != nil {
		t.Fatal(err)
	}
	res, err := m.Init(ctx, "/dev/sda2", InitSystemdBoot)
	if err != nil {
		t.Fatal(err)
	}
	if res.SystemToken || len(res.Warnings) != 0 {
		t.Errorf("init: %+v", res)
	}
	s, err := efivar.New(&efivar.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Exists("LoaderSystemToken", loaderVendorGUID) {
		t.Error("LoaderSystemToken written in a virtual machine")
	}
	if seed := espFiles(t, fd, "sda")["/"+randomSeedPath]; len(seed) != 32 {
		t.Errorf("random seed: %d bytes", len(seed))
	}
}
