package vmtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/internal/vmtest/job"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/qemu/qfirmware"
)

// BootOptions configure BootImage.
type BootOptions struct {
	// Image is the raw disk image to boot.
	Image string
	// Marker passes the boot when the serial console shows it.
	Marker string
	// Timeout bounds the boot; zero means 5 minutes.
	Timeout time.Duration
	// Bus attaches the image: "virtio" (the default), "scsi", "sata" or
	// "nvme".
	Bus string
	// Vars is the OVMF variable store to boot with, which the firmware
	// may change; "" means a fresh copy of Debian's OVMF_VARS_4M.fd.
	Vars string
	// Memory is the guest's memory; zero means 1G.
	Memory Size
	// Disks are more raw images attached after Image, on virtio.
	Disks []string
}

// BootResult is a boot that showed its marker.
type BootResult struct {
	// Console is the serial console output up to the end of the
	// marker's line.
	Console []byte
	// Line is the console line that holds the marker (for a
	// MarkerInitrd: "<marker> release=<release> cmdline=<cmdline>").
	Line []byte
	// Vars is the variable store the firmware ran with (for example to
	// read the boot entries it wrote with efivar tools).
	Vars string
	// Elapsed is the time from QEMU's start to the marker.
	Elapsed time.Duration
}

// BootImage boots a disk image a test made under QEMU with OVMF, on the
// host, and returns when the serial console shows opts.Marker; the test
// fails when the guest stops, or opts.Timeout passes, without it. The
// console output is kept in .cache/vm/artifacts/boot-<test>.console.log
// and its path printed on failure. Nothing leaves the guest: it has no
// network.
//
// The guest is a q35 machine with one CPU; the firmware is Debian's
// OVMF_CODE_4M.fd without Secure Boot. In the VM tier's guest, where
// QEMU would have to emulate itself, BootImage skips the test: make
// vmtest runs packages whose VM tests call BootImage on the host as
// well.
//
// A typical test writes GPT, an ESP with systemd-boot (DebianBoot gives
// systemd-bootx64.efi and the Debian kernel), a loader entry with
// "console=ttyS0" on its command line, and an initrd from MarkerInitrd,
// whose init prints the marker:
//
//	files := vmtest.DebianBoot(t)
//	initrd := vmtest.MarkerInitrd(t, "hostadm-boot-ok")
//	// ... write image.raw with files.SystemdBoot, files.Kernel and initrd ...
//	vmtest.BootImage(t, vmtest.BootOptions{Image: "image.raw", Marker: "hostadm-boot-ok"})
func BootImage(tb testing.TB, opts BootOptions) *BootResult {
	tb.Helper()
	if testenv.InVM() {
		tb.Skip("BootImage runs QEMU on the host (make vmtest runs this test there)")
	}
	testenv.RequireTool(tb, QEMU)
	testenv.RequireFile(tb, ovmfCode)
	if opts.Marker == "" {
		tb.Fatal("BootImage: no marker")
	}
	res, console, err := bootImage(context.Background(), envFor(tb), tb.TempDir(), artifactName(tb), opts)
	if err != nil {
		tb.Fatalf("BootImage %s: %v (serial console: %s)", opts.Image, err, console)
	}
	return res
}

const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

func artifactName(tb testing.TB) string {
	r := strings.NewReplacer("/", "-", " ", "_", ":", "_")
	return "boot-" + r.Replace(tb.Name()) + ".console.log"
}

func bootImage(ctx context.Context, e *Env, work, artifact string, opts BootOptions) (*BootResult, string, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	mem := opts.Memory
	if mem == 0 {
		mem = 1 << 30
	}
	vars := opts.Vars
	if vars == "" {
		vars = filepath.Join(work, "OVMF_VARS.fd")
		if err := copyFile(ovmfVars, vars, 0o644); err != nil {
			return nil, "", err
		}
	}
	dir := filepath.Join(e.cache(), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	consolePath := filepath.Join(dir, artifact)
	console, err := os.Create(consolePath)
	if err != nil {
		return nil, "", err
	}
	accel, cpu := e.cachedAccel(), "max"
	if accel == "kvm" {
		cpu = "host"
	}
	args := []string{
		"-machine", "q35,accel=" + accel,
		"-cpu", cpu,
		"-m", strconv.FormatInt(int64(mem>>20), 10),
		"-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
		"-no-reboot", "-serial", "stdio",
		"-device", "virtio-rng-pci",
	}
	drive := "file=" + opts.Image + ",if=none,id=boot,format=raw,cache=unsafe"
	switch opts.Bus {
	case "", Virtio:
		args = append(args, "-drive", drive, "-device", "virtio-blk-pci,drive=boot,bootindex=1")
	case SCSI:
		args = append(args, "-drive", drive, "-device", "virtio-scsi-pci,id=scsi0", "-device", "scsi-hd,bus=scsi0.0,drive=boot,bootindex=1")
	case SATA:
		args = append(args, "-drive", drive, "-device", "ide-hd,bus=ide.0,drive=boot,bootindex=1")
	case NVMe:
		args = append(args, "-drive", drive, "-device", "nvme,drive=boot,serial=VMNVME0,bootindex=1")
	default:
		console.Close()
		return nil, consolePath, fmt.Errorf("bus %q: want virtio, scsi, sata or nvme", opts.Bus)
	}
	for i, d := range opts.Disks {
		id := fmt.Sprintf("disk%d", i)
		args = append(args, "-drive", "file="+d+",if=none,id="+id+",format=raw,cache=unsafe", "-device", "virtio-blk-pci,drive="+id)
	}
	mw := newMarkerWriter(opts.Marker)
	start := time.Now()
	vm, err := qemu.StartContext(ctx, qemu.ArchAMD64,
		qemu.WithQEMUCommand(QEMU),
		qemu.ArbitraryArgs(args...),
		qfirmware.WithOVMF(ovmfCode, vars),
		qemu.WithSerialOutput(console, mw),
		qemu.WithVMTimeout(timeout),
	)
	if err != nil {
		console.Close()
		return nil, consolePath, err
	}
	exited := make(chan error, 1)
	go func() { exited <- vm.Wait() }()
	var res *BootResult
	select {
	case <-mw.found:
		res = &BootResult{Vars: vars, Elapsed: time.Since(start)}
		_ = vm.Kill()
		<-exited
	case err := <-exited:
		if !mw.stopped() {
			if time.Since(start) >= timeout {
				return nil, consolePath, fmt.Errorf("no marker %q within %v", opts.Marker, timeout)
			}
			return nil, consolePath, fmt.Errorf("the guest stopped without printing %q (QEMU: %v)", opts.Marker, err)
		}
		res = &BootResult{Vars: vars, Elapsed: time.Since(start)}
	}
	res.Console, res.Line = mw.result()
	return res, consolePath, nil
}

// markerWriter watches serial output for the marker and the end of its
// line.
type markerWriter struct {
	marker []byte
	found  chan struct{}

	mu   sync.Mutex
	buf  bytes.Buffer
	at   int // index of the marker in buf, -1 until seen
	line []byte
	done bool
}

func newMarkerWriter(marker string) *markerWriter {
	return &markerWriter{marker: []byte(marker), found: make(chan struct{}), at: -1}
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return len(p), nil
	}
	from := max(0, m.buf.Len()-len(m.marker)+1)
	m.buf.Write(p)
	b := m.buf.Bytes()
	if m.at < 0 {
		i := bytes.Index(b[from:], m.marker)
		if i < 0 {
			return len(p), nil
		}
		m.at = from + i
	}
	if nl := bytes.IndexByte(b[m.at:], '\n'); nl >= 0 {
		m.finish(m.at + nl)
	}
	return len(p), nil
}

// finish ends the watch with the marker's line ending at end.
func (m *markerWriter) finish(end int) {
	b := m.buf.Bytes()
	start := bytes.LastIndexByte(b[:m.at], '\n') + 1
	m.line = bytes.TrimRight(bytes.Clone(b[start:end]), "\r")
	m.buf.Truncate(end)
	m.done = true
	close(m.found)
}

// stopped ends the watch when the guest stopped: a marker seen without
// its line's end still counts.
func (m *markerWriter) stopped() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done && m.at >= 0 {
		m.finish(m.buf.Len())
	}
	return m.done
}

func (m *markerWriter) Close() error { return nil }

func (m *markerWriter) result() (console, line []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.buf.Bytes()), m.line
}

// DebianFiles are the guest kernel and boot loader, unpacked from
// Debian's packages (never installed on this machine).
type DebianFiles struct {
	// KernelRelease is the kernel's release, such as "6.1.0-56-amd64".
	KernelRelease string
	// Kernel is vmlinuz (an EFI stub kernel, signed by Debian).
	Kernel string
	// Modules is lib/modules/<release> of the kernel package.
	Modules string
	// Config is the kernel's config file.
	Config string
	// SystemdBoot is systemd-bootx64.efi from systemd-boot-efi.
	SystemdBoot string
	// OVMFCode and OVMFVars are Debian's firmware and its variable
	// store template (copy it before use).
	OVMFCode, OVMFVars string
}

// DebianBoot unpacks, when the cache lacks them, the Debian kernel the VM
// tier boots and systemd-boot's EFI binary, and returns their paths.
func DebianBoot(tb testing.TB) *DebianFiles {
	tb.Helper()
	if testenv.InVM() {
		tb.Skip("DebianBoot runs on the host (make vmtest runs this test there)")
	}
	testenv.RequireTool(tb, "apt-cache", "apt-get", "dpkg-deb")
	a, err := envFor(tb).prepare(context.Background(), true)
	if err != nil {
		tb.Fatalf("DebianBoot: %v", err)
	}
	return &DebianFiles{
		KernelRelease: a.KernelRelease,
		Kernel:        a.Kernel,
		Modules:       filepath.Join(a.KernelTree, "lib/modules", a.KernelRelease),
		Config:        filepath.Join(a.KernelTree, "boot", "config-"+a.KernelRelease),
		SystemdBoot:   a.SystemdBoot,
		OVMFCode:      a.OVMFCode,
		OVMFVars:      a.OVMFVars,
	}
}

// MarkerInitrd returns an initrd (an uncompressed cpio archive) whose
// init writes a line with marker, the kernel release and the kernel
// command line to the console and to the first serial port, then powers
// the machine off:
//
//	<marker> release=6.1.0-56-amd64 cmdline=<the command line>
//
// A loader entry that boots the Debian kernel with it proves the whole
// chain: firmware, boot loader, entry, kernel and initrd.
func MarkerInitrd(tb testing.TB, marker string) string {
	tb.Helper()
	if marker == "" || strings.ContainsAny(marker, "\n\x00") {
		tb.Fatalf("MarkerInitrd: bad marker %q", marker)
	}
	e := envFor(tb)
	dir := tb.TempDir()
	init := filepath.Join(dir, "init")
	if _, err := runner.Default.Run(context.Background(), runner.Cmd{
		Args: []string{"go", "build", "-trimpath", "-o", init, "./internal/vmtest/guestinit"},
		Dir:  e.ModuleRoot,
		Env:  []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
	}); err != nil {
		tb.Fatalf("MarkerInitrd: %v", err)
	}
	out := filepath.Join(dir, "initrd.img")
	err := writeCPIO(out, func(c *cpioWriter) error {
		c.CharDev("dev/console", 0o600, 5, 1)
		c.Bytes(job.MarkerPath, 0o644, []byte(marker))
		return addFile(c, "init", init)
	})
	if err != nil {
		tb.Fatalf("MarkerInitrd: %v", err)
	}
	return out
}

// envGuestDisks passes the disk images of a package's guest run to its
// tests on the host, comma-separated, in the order of testdata/vm.json.
const envGuestDisks = "HOSTADM_VM_GUEST_DISKS"

// GuestDisks returns the disk images that the package's guest left
// behind, in the order of its testdata/vm.json, for a test on the host
// that boots or inspects what the guest wrote (a disk a VM test made
// bootable with tools only the guest has, booted with BootImage). make
// vmtest runs a package's host tests after its guest has powered off and
// removes the images afterwards. The test fails when the guest had fewer
// than n disks, skips in the guest, and skips (fails under CI) on the host
// outside the tier.
func GuestDisks(tb testing.TB, n int) []string {
	tb.Helper()
	if testenv.InVM() {
		tb.Skip("GuestDisks is for the host (make vmtest runs this test there)")
	}
	v := os.Getenv(envGuestDisks)
	if v == "" {
		testenv.Skip(tb, "needs the disks of the package's guest run: run it with scripts/vmtest")
	}
	disks := strings.Split(v, ",")
	if len(disks) < n {
		tb.Fatalf("test needs %d disks of the guest, it had %d: ask for them in testdata/vm.json", n, len(disks))
	}
	return disks
}

// envFor returns the Env of the module a test runs in.
func envFor(tb testing.TB) *Env {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	root, err := FindModuleRoot(wd)
	if err != nil {
		tb.Fatal(err)
	}
	return &Env{ModuleRoot: root, Log: tb.Logf}
}

// Buses for BootOptions.Bus and DiskSpec.Bus.
const (
	Virtio = "virtio"
	SCSI   = "scsi"
	SATA   = "sata"
	NVMe   = "nvme"
)
