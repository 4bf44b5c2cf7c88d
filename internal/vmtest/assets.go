package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
	"golang.org/x/sys/unix"
)

// KernelMeta is the Debian package whose dependency names the guest
// kernel; its release ("6.1.0-56-amd64") keys the caches.
const KernelMeta = "linux-image-amd64"

// ZFSPackage is the Debian source of the guest's ZFS module and tools:
// bookworm's OpenZFS 2.1, the release go-libzfs v0.4.0 is written for.
const ZFSPackage = "zfs-dkms"

// guestPackages are unpacked whole into the guest (without their
// documentation); the libraries they link against come from these
// packages first, then from the host, which must be Debian 12 as well.
var guestPackages = []string{
	"busybox-static", "coreutils", "util-linux", "mount", "fdisk", "kmod", "procps", "udev",
	"iproute2", "ethtool", "iputils-ping",
	"lvm2", "dmsetup", "dmeventd", "libdevmapper1.02.1", "libdevmapper-event1.02.1",
	"liblvm2cmd2.03", "libaio1", "thin-provisioning-tools", "mdadm",
	"dosfstools", "e2fsprogs", "btrfs-progs", "liblzo2-2", "gdisk", "libpopt0", "parted", "libparted2",
	"smartmontools", "nvme-cli", "libnvme1",
	"efibootmgr", "efivar", "libefiboot1", "libefivar1",
	"zfsutils-linux", "libzfs4linux", "libzpool5linux", "libnvpair3linux", "libuutil3linux",
}

// zfsDevPackages are unpacked together for building cgo test binaries
// against the guest's libzfs (build tag libzfs).
var zfsDevPackages = []string{
	"libzfslinux-dev", "libzfs4linux", "libzpool5linux", "libnvpair3linux", "libuutil3linux",
}

// Assets are the prepared inputs of a guest, under the cache directory.
type Assets struct {
	// KernelRelease is the guest kernel's release, for example
	// "6.1.0-56-amd64".
	KernelRelease string
	// Kernel is the guest kernel image (vmlinuz), signed by Debian.
	Kernel string
	// VMLinux is Kernel decompressed (an ELF file with a PVH entry
	// point): QEMU starts it directly, without the firmware and the
	// kernel's own decompression, which take 10 to 20 seconds under
	// emulation. Runs without OVMF boot it.
	VMLinux string
	// KernelTree is the unpacked kernel package: Kernel and
	// lib/modules/<release>.
	KernelTree string
	// ZFSVersion is the version of the OpenZFS module ("2.1.11").
	ZFSVersion string
	// ZFSModules holds the DKMS-built OpenZFS modules for the kernel.
	ZFSModules string
	// GuestRoot holds the guest packages, unpacked together.
	GuestRoot string
	// Tools holds zfs-dkms, dkms and systemd-boot-efi, unpacked.
	Tools string
	// ZFSDev is the unpacked libzfs development tree for cgo builds.
	ZFSDev string
	// SystemdBoot is systemd-bootx64.efi from Debian's systemd-boot-efi.
	SystemdBoot string
	// OVMFCode and OVMFVars are the firmware and its variable store
	// template from Debian's ovmf package (4 MiB flash layout). Copy
	// OVMFVars before giving it to a guest.
	OVMFCode, OVMFVars string
	// Versions maps every unpacked package to its version; it keys the
	// cached base image.
	Versions map[string]string
}

// Env is where a VM run keeps its caches and finds its tools.
type Env struct {
	// ModuleRoot is the directory of the project's go.mod.
	ModuleRoot string
	// Cache is the cache directory; "" means ModuleRoot/.cache/vm.
	Cache string
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
	// Jobs is the number of parallel compile jobs for DKMS; zero means
	// the number of CPUs.
	Jobs int

	run runner.Runner
	// pkgImages are the package layers made so far, by base image and
	// package list.
	pkgMu     sync.Mutex
	pkgImages map[string]*Image
}

func (e *Env) cache() string {
	if e.Cache != "" {
		return e.Cache
	}
	return filepath.Join(e.ModuleRoot, ".cache", "vm")
}

func (e *Env) logf(format string, args ...any) {
	if e.Log != nil {
		e.Log(format, args...)
	}
}

func (e *Env) runner() runner.Runner {
	if e.run != nil {
		return e.run
	}
	return runner.Default
}

// FindModuleRoot returns the directory of the go.mod above dir.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// Prepare unpacks the guest kernel, its packages and the firmware, and
// builds the ZFS module with DKMS when the cache does not have it for
// this kernel and ZFS version. Each stage that does work is logged with
// its time; a second call with a warm cache only asks APT for versions.
func (e *Env) Prepare(ctx context.Context) (*Assets, error) {
	return e.prepare(ctx, false)
}

// prepare does Prepare's work; bootOnly unpacks only the kernel and the
// boot loader, for boot tests.
func (e *Env) prepare(ctx context.Context, bootOnly bool) (*Assets, error) {
	unlock, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a := &Assets{}
	kver, err := e.kernelRelease(ctx)
	if err != nil {
		return nil, err
	}
	a.KernelRelease = kver
	kmajor, err := kernelSeries(kver)
	if err != nil {
		return nil, err
	}
	common := strings.TrimSuffix(kver, "-amd64") + "-common"
	kbuild := []string{"linux-headers-" + kver, "linux-headers-" + common, "linux-kbuild-" + kmajor}

	tools := []string{ZFSPackage, "dkms", "systemd-boot-efi"}
	guest, zfsDev := guestPackages, zfsDevPackages
	if bootOnly {
		kbuild, guest, zfsDev = nil, nil, nil
	}
	vers, err := e.candidates(ctx, slices.Concat([]string{"linux-image-" + kver}, tools, kbuild, guest, zfsDev))
	if err != nil {
		return nil, err
	}
	a.Versions = vers
	a.ZFSVersion = upstreamVersion(vers[ZFSPackage])

	// Each tree is one scripts/debroot call, which fetches only the
	// packages whose version changed.
	a.KernelTree = filepath.Join(e.cache(), "kernel", kver)
	a.Tools = filepath.Join(e.cache(), "tools")
	a.GuestRoot = filepath.Join(e.cache(), "guest")
	a.ZFSDev = filepath.Join(e.cache(), "zfsdev")
	kbuildDir := filepath.Join(e.cache(), "kbuild", kver)
	start := time.Now()
	changed := 0
	for _, t := range []struct {
		dir  string
		pkgs []string
	}{
		{a.KernelTree, []string{"linux-image-" + kver}},
		{a.Tools, tools},
		{kbuildDir, kbuild},
		{a.GuestRoot, guest},
		{a.ZFSDev, zfsDev},
	} {
		if len(t.pkgs) == 0 {
			continue
		}
		n, err := e.unpack(ctx, t.dir, vers, t.pkgs...)
		if err != nil {
			return nil, err
		}
		changed += n
	}
	if changed > 0 {
		e.logf("stage unpack: %d Debian packages in %.1fs", changed, time.Since(start).Seconds())
	}

	a.Kernel = filepath.Join(a.KernelTree, "boot", "vmlinuz-"+kver)
	a.SystemdBoot = filepath.Join(a.Tools, "usr/lib/systemd/boot/efi/systemd-bootx64.efi")
	for _, f := range []string{a.Kernel, a.SystemdBoot} {
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
	}
	a.OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	a.OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	if bootOnly {
		return a, nil
	}
	a.VMLinux = filepath.Join(a.KernelTree, "boot", "vmlinux-"+kver)
	if _, err := os.Stat(a.VMLinux); err != nil {
		if err := e.extractVMLinux(ctx, a.Kernel, a.VMLinux); err != nil {
			return nil, err
		}
	}
	if err := fixKbuild(kbuildDir, kver, common); err != nil {
		return nil, err
	}
	mods, err := e.buildZFS(ctx, a, kbuildDir)
	if err != nil {
		return nil, err
	}
	a.ZFSModules = mods
	if err := e.indexModules(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// lock serializes the runs that share the cache (engineers running the
// tier at once in one work tree): unpacking, DKMS and image builds.
func (e *Env) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(e.cache(), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(e.cache(), ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for waited := false; ; waited = true {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if !waited {
			e.logf("waiting for another run that prepares the cache")
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return func() { f.Close() }, nil
}

var releaseRE = regexp.MustCompile(`Depends: linux-image-(\d+\.\d+\.\d+-\d+-amd64)\b`)

// kernelRelease asks APT which kernel linux-image-amd64 installs.
// HOSTADM_VM_KERNEL overrides it.
func (e *Env) kernelRelease(ctx context.Context) (string, error) {
	if v := os.Getenv("HOSTADM_VM_KERNEL"); v != "" {
		return v, nil
	}
	res, err := e.runner().Run(ctx, runner.Cmd{Args: []string{"apt-cache", "depends", KernelMeta}, Timeout: time.Minute})
	if err != nil {
		return "", fmt.Errorf("guest kernel: %w", err)
	}
	m := releaseRE.FindSubmatch(res.Stdout)
	if m == nil {
		return "", fmt.Errorf("guest kernel: apt-cache depends %s names no kernel (is scripts/setup done?)", KernelMeta)
	}
	return string(m[1]), nil
}

// kernelSeries returns "6.1" for "6.1.0-56-amd64".
func kernelSeries(release string) (string, error) {
	f := strings.SplitN(release, ".", 3)
	if len(f) < 3 {
		return "", fmt.Errorf("kernel release %q: want MAJOR.MINOR.PATCH-ABI-FLAVOUR", release)
	}
	return f[0] + "." + f[1], nil
}

// upstreamVersion returns "2.1.11" for "2.1.11-1+deb12u1".
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	return v
}

// candidates asks APT for the version it would install of each package.
func (e *Env) candidates(ctx context.Context, pkgs []string) (map[string]string, error) {
	res, err := e.runner().Run(ctx, runner.Cmd{Args: append([]string{"apt-cache", "policy", "--"}, pkgs...), Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	vers := parsePolicy(res.Stdout)
	var missing []string
	for _, p := range pkgs {
		if v := vers[p]; v == "" || v == "(none)" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("APT has no candidate for %s (is scripts/setup done, with bookworm contrib enabled?)", strings.Join(missing, ", "))
	}
	return vers, nil
}

// parsePolicy reads `apt-cache policy` output: package name lines, then
// an indented Candidate line.
func parsePolicy(out []byte) map[string]string {
	vers := map[string]string{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != ' ' && strings.HasSuffix(line, ":") {
			pkg = strings.TrimSuffix(line, ":")
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate: "); ok && pkg != "" {
			vers[pkg] = v
		}
	}
	return vers
}

// unpack runs scripts/debroot for the packages whose unpacked version in
// dir differs from vers, and returns how many it unpacked.
func (e *Env) unpack(ctx context.Context, dir string, vers map[string]string, pkgs ...string) (int, error) {
	var stale []string
	for _, p := range pkgs {
		b, err := os.ReadFile(filepath.Join(dir, ".debroot", p))
		if err != nil || strings.TrimSpace(string(b)) != vers[p] {
			stale = append(stale, p)
		}
	}
	if len(stale) == 0 {
		return 0, nil
	}
	e.logf("unpacking %s", strings.Join(stale, " "))
	_, err := e.runner().Run(ctx, runner.Cmd{
		Args:    append([]string{filepath.Join(e.ModuleRoot, "scripts", "debroot"), dir}, stale...),
		Timeout: 20 * time.Minute,
	})
	return len(stale), err
}

// fixKbuild makes the unpacked kernel headers usable where they are: the
// Debian packages refer to /usr/src by absolute paths.
func fixKbuild(dir, kver, common string) error {
	mk := filepath.Join(dir, "usr/src/linux-headers-"+kver, "Makefile")
	b, err := os.ReadFile(mk)
	if err != nil {
		return err
	}
	want := []byte("include " + filepath.Join(dir, "usr/src", "linux-headers-"+common, "Makefile") + "\n")
	if !bytes.Equal(b, want) {
		if !bytes.HasPrefix(b, []byte("include /")) {
			return fmt.Errorf("%s: unexpected content %q", mk, b)
		}
		if err := os.WriteFile(mk, want, 0o644); err != nil {
			return err
		}
	}
	mods := filepath.Join(dir, "lib/modules", kver)
	if err := os.MkdirAll(mods, 0o755); err != nil {
		return err
	}
	for link, target := range map[string]string{
		"build":  "../../../usr/src/linux-headers-" + kver,
		"source": "../../../usr/src/linux-headers-" + common,
	} {
		p := filepath.Join(mods, link)
		if t, err := os.Readlink(p); err == nil && t == target {
			continue
		}
		_ = os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	return nil
}

// zfsModuleNames are the modules zfs-dkms builds (its dkms.conf).
var zfsModuleNames = []string{"spl", "zavl", "znvpair", "zunicode", "zcommon", "icp", "zlua", "zzstd", "zfs"}

// buildZFS builds the OpenZFS modules with DKMS against the unpacked
// kernel headers, into a DKMS tree of its own under the cache: nothing is
// installed on this machine. The result is cached by kernel release and
// ZFS version.
func (e *Env) buildZFS(ctx context.Context, a *Assets, kbuildDir string) (string, error) {
	out := filepath.Join(e.cache(), "zfs", a.KernelRelease, a.ZFSVersion)
	stamp := filepath.Join(out, ".built")
	if _, err := os.Stat(stamp); err == nil {
		return out, nil
	}
	e.logf("building the ZFS %s module for %s with DKMS (about 10 minutes on 2 cores)", a.ZFSVersion, a.KernelRelease)
	start := time.Now()
	tree := filepath.Join(e.cache(), "dkms-tree")
	if err := os.RemoveAll(tree); err != nil {
		return "", err
	}
	inst := filepath.Join(tree, "installed")
	if err := os.MkdirAll(inst, 0o755); err != nil {
		return "", err
	}
	jobs := e.Jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	dkms := a.Tools
	logFile := filepath.Join(e.cache(), "dkms-build.log")
	args := []string{
		filepath.Join(dkms, "usr/sbin/dkms"), "build",
		"-m", "zfs", "-v", a.ZFSVersion, "-k", a.KernelRelease,
		"--dkmstree", tree,
		"--sourcetree", filepath.Join(a.Tools, "usr/src"),
		"--installtree", inst,
		"--kernelsourcedir", filepath.Join(kbuildDir, "lib/modules", a.KernelRelease, "build"),
		"-j", strconv.Itoa(jobs),
	}
	res, err := e.runner().Run(ctx, runner.Cmd{
		Args:    args,
		Env:     []string{"PATH=" + filepath.Join(dkms, "usr/sbin") + ":" + os.Getenv("PATH")},
		Timeout: 45 * time.Minute,
	})
	_ = os.WriteFile(logFile, append(res.Stdout, res.Stderr...), 0o644)
	if err != nil {
		return "", fmt.Errorf("DKMS build of zfs %s (log: %s): %w", a.ZFSVersion, logFile, err)
	}
	built := filepath.Join(tree, "zfs", a.ZFSVersion, a.KernelRelease, "x86_64", "module")
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	for _, m := range zfsModuleNames {
		if err := copyFile(filepath.Join(built, m+".ko"), filepath.Join(out, m+".ko"), 0o644); err != nil {
			return "", fmt.Errorf("DKMS build of zfs %s (log: %s): %w", a.ZFSVersion, logFile, err)
		}
	}
	d := time.Since(start)
	if err := os.WriteFile(stamp, []byte(fmt.Sprintf("built in %.0fs\n", d.Seconds())), 0o644); err != nil {
		return "", err
	}
	_ = os.RemoveAll(tree)
	e.logf("stage dkms: zfs %s for %s built in %.1fs", a.ZFSVersion, a.KernelRelease, d.Seconds())
	return out, nil
}

// indexModules adds the ZFS modules to the unpacked kernel tree as DKMS
// installs them (updates/dkms) and runs depmod over the tree, as the
// kernel package's postinst would.
func (e *Env) indexModules(ctx context.Context, a *Assets) error {
	kdir := filepath.Join(a.KernelTree, "lib/modules", a.KernelRelease)
	built, err := os.ReadFile(filepath.Join(a.ZFSModules, ".built"))
	if err != nil {
		return err
	}
	want := append([]byte(a.ZFSVersion+"\n"), built...)
	stamp := filepath.Join(kdir, "updates", ".hostadm-index")
	if b, err := os.ReadFile(stamp); err == nil && bytes.Equal(b, want) {
		if _, err := os.Stat(filepath.Join(kdir, "modules.dep")); err == nil {
			return nil
		}
	}
	dst := filepath.Join(kdir, "updates/dkms")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, m := range zfsModuleNames {
		if err := copyFile(filepath.Join(a.ZFSModules, m+".ko"), filepath.Join(dst, m+".ko"), 0o644); err != nil {
			return err
		}
	}
	if _, err := e.runner().Run(ctx, runner.Cmd{Args: []string{"depmod", "-b", a.KernelTree, a.KernelRelease}, Timeout: 10 * time.Minute}); err != nil {
		return err
	}
	return os.WriteFile(stamp, want, 0o644)
}

// extractVMLinux decompresses the kernel in a bzImage (Debian's kernels
// are XZ-compressed, with the x86 BCJ filter) into an ELF file, with xz.
func (e *Env) extractVMLinux(ctx context.Context, bzImage, out string) error {
	b, err := os.ReadFile(bzImage)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("\xfd7zXZ\x00"))
	if i < 0 {
		return fmt.Errorf("%s: no XZ-compressed kernel inside", bzImage)
	}
	res, err := e.runner().Run(ctx, runner.Cmd{Args: []string{"xz", "-d", "-c", "--single-stream"}, Stdin: b[i:], Timeout: 5 * time.Minute})
	if err != nil {
		return fmt.Errorf("%s: %w", bzImage, err)
	}
	if _, err := elf.NewFile(bytes.NewReader(res.Stdout)); err != nil {
		return fmt.Errorf("%s: the decompressed kernel: %w", bzImage, err)
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".vmlinux-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(res.Stdout); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
