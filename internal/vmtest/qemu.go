package vmtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/vmtest/job"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/qemu/qfirmware"
)

// QEMU is the emulator the tier runs.
const QEMU = "qemu-system-x86_64"

// kernelArgs are the guest kernel's command line: the console on the
// first serial port, a panic ends the VM, and only warnings reach the
// console so that it stays readable.
// no_timer_check keeps a busy host from failing the kernel's timer check
// under emulation; net.ifnames=0 keeps the kernel's interface names.
var kernelArgs = []string{"console=ttyS0,115200", "panic=-1", "oops=panic", "loglevel=4", "rdinit=/init",
	"random.trust_cpu=on", "no_timer_check", "net.ifnames=0"}

// machine is one guest: its devices and their files.
type machine struct {
	spec  *Spec
	work  string // scratch directory, removed after the run
	accel string // "kvm" or "tcg"
	disks []job.Disk
	nics  []job.NIC
	// diskFiles are the images of the spec's disks, in its order.
	diskFiles []string
}

// deviceArgs creates the disk images in m.work and returns the QEMU
// arguments for the spec's devices.
func (m *machine) deviceArgs(a *Assets) ([]string, error) {
	var args []string
	blank := func(name string, size Size) (string, error) {
		p := filepath.Join(m.work, name)
		f, err := os.Create(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		return p, f.Truncate(int64(size))
	}
	drive := func(id, file string) []string {
		return []string{"-drive", "file=" + file + ",if=none,id=" + id + ",format=raw,cache=unsafe,discard=unmap"}
	}
	scsi := false
	for i, d := range m.spec.Disks {
		size := d.Size
		if size == 0 {
			size = DefaultDiskSize
		}
		id := fmt.Sprintf("disk%d", i)
		file, err := blank(id+".img", size)
		if err != nil {
			return nil, err
		}
		serial := fmt.Sprintf("vmdisk%d", i)
		m.diskFiles = append(m.diskFiles, file)
		args = append(args, drive(id, file)...)
		if d.Bus == job.SCSI {
			if !scsi {
				args = append(args, "-device", "virtio-scsi-pci,id=scsi0")
				scsi = true
			}
			args = append(args, "-device", "scsi-hd,bus=scsi0.0,drive="+id+",serial="+serial)
			m.disks = append(m.disks, job.Disk{Kind: job.SCSI, Serial: serial})
		} else {
			args = append(args, "-device", "virtio-blk-pci,drive="+id+",serial="+serial)
			m.disks = append(m.disks, job.Disk{Kind: job.Virtio, Serial: serial})
		}
	}
	if m.spec.SATA {
		file, err := blank("sata.img", DefaultDiskSize)
		if err != nil {
			return nil, err
		}
		// The q35 machine's own AHCI controller (ICH9) is bus "ide".
		args = append(args, drive("sata0", file)...)
		args = append(args, "-device", "ide-hd,bus=ide.0,drive=sata0,serial=VMSATA0,model=QEMU SATA DISK")
		m.disks = append(m.disks, job.Disk{Kind: job.SATA, Serial: "VMSATA0"})
	}
	if m.spec.NVMe {
		file, err := blank("nvme.img", DefaultDiskSize)
		if err != nil {
			return nil, err
		}
		args = append(args, drive("nvme0", file)...)
		args = append(args, "-device", "nvme,drive=nvme0,serial=VMNVME0")
		m.disks = append(m.disks, job.Disk{Kind: job.NVMe, Serial: "VMNVME0"})
	}
	// eth0 is the guest's own (not in HOSTADM_VM_NICS); the spec's NICs
	// are eth1 and up. Each is
	// alone on a hub of its own: the link is up, and no frame leaves.
	for i := 0; i <= m.spec.NICs; i++ {
		mac := fmt.Sprintf("52:54:00:76:6d:%02x", i)
		args = append(args,
			"-netdev", fmt.Sprintf("hubport,id=net%d,hubid=%d", i, i),
			"-device", fmt.Sprintf("virtio-net-pci,netdev=net%d,mac=%s", i, mac))
		m.nics = append(m.nics, job.NIC{Name: fmt.Sprintf("eth%d", i), MAC: mac})
	}
	args = append(args, "-device", "virtio-rng-pci")
	return args, nil
}

// fns returns the options of the hugelgupf/vmtest QEMU driver for the
// machine.
func (m *machine) fns(a *Assets, initrd string, extra ...string) ([]qemu.Fn, error) {
	dev, err := m.deviceArgs(a)
	if err != nil {
		return nil, err
	}
	machineType := "q35"
	cpu := "max"
	if m.accel == "kvm" {
		cpu = "host"
	}
	args := []string{
		"-machine", machineType + ",accel=" + m.accel,
		"-cpu", cpu,
		"-m", strconv.FormatInt(int64(m.spec.memory()>>20), 10),
		"-smp", strconv.Itoa(m.spec.cpus()),
		"-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
		"-no-reboot",
		"-serial", "stdio",
	}
	args = append(args, extra...)
	args = append(args, dev...)
	kernel := a.VMLinux
	if m.spec.OVMF {
		kernel = a.Kernel // the firmware starts the EFI stub
	}
	fns := []qemu.Fn{
		qemu.WithQEMUCommand(QEMU),
		qemu.WithKernel(kernel),
		qemu.WithInitramfs(initrd),
		qemu.WithAppendKernel(kernelArgs...),
		qemu.ArbitraryArgs(args...),
	}
	if m.spec.OVMF {
		vars := filepath.Join(m.work, "OVMF_VARS.fd")
		if err := copyFile(a.OVMFVars, vars, 0o644); err != nil {
			return nil, err
		}
		fns = append(fns, qfirmware.WithOVMF(a.OVMFCode, vars))
	}
	return fns, nil
}

// Accel returns the accelerator the tier uses: HOSTADM_VM_ACCEL ("kvm" or
// "tcg") when set, otherwise "kvm" only when /dev/kvm boots the guest
// kernel to its first message within a few seconds (a probe cached for
// this boot of the host), and "tcg", software emulation, otherwise.
func (e *Env) Accel(ctx context.Context, a *Assets) string {
	if accel, ok := e.knownAccel(); ok {
		return accel
	}
	bootID, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	stamp := filepath.Join(e.cache(), "kvm-probe")
	accel := "tcg"
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
		f.Close()
		if probeKVM(ctx, a) {
			accel = "kvm"
		}
	}
	_ = os.WriteFile(stamp, []byte(strings.TrimSpace(string(bootID))+" "+accel+"\n"), 0o644)
	e.logf("accelerator: %s (KVM probed)", accel)
	return accel
}

// knownAccel returns HOSTADM_VM_ACCEL or the probe's cached answer.
func (e *Env) knownAccel() (string, bool) {
	switch v := os.Getenv("HOSTADM_VM_ACCEL"); v {
	case "kvm", "tcg":
		return v, true
	}
	bootID, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if b, err := os.ReadFile(filepath.Join(e.cache(), "kvm-probe")); err == nil {
		if id, accel, ok := strings.Cut(strings.TrimSpace(string(b)), " "); ok && id == strings.TrimSpace(string(bootID)) {
			return accel, true
		}
	}
	return "", false
}

// cachedAccel is Accel without a probe: TCG unless the probe found KVM.
func (e *Env) cachedAccel() string {
	if accel, ok := e.knownAccel(); ok {
		return accel
	}
	return "tcg"
}

// probeKVM boots the kernel without an initramfs under KVM and reports
// whether it reached its panic about the missing root file system.
func probeKVM(ctx context.Context, a *Assets) bool {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, QEMU, "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "256",
		"-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-serial", "stdio",
		"-no-reboot", "-kernel", a.Kernel, "-append", "console=ttyS0 panic=-1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	return bytes.Contains(out.Bytes(), []byte("Kernel panic"))
}
