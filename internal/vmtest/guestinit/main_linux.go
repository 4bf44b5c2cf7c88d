// Command guestinit is PID 1 of the VM tier's guest: it mounts the kernel
// file systems, loads modules, finds the devices the host attached, runs
// the test binaries of its job and powers the guest off. See package
// internal/vmtest.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hostadm/hostadm/internal/vmtest/job"
	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// resultsPort is the second serial port; the host writes it to a file.
const resultsPort = "/dev/ttyS1"

// devicesTimeout bounds the wait for the host's disks and NICs.
const devicesTimeout = 60 * time.Second

func main() {
	if marker, err := os.ReadFile(job.MarkerPath); err == nil {
		printMarker(string(marker))
		return
	}
	g := &guest{console: os.Stdout, w: job.NewWriter(os.Stdout)}
	err := g.run()
	if err != nil {
		fmt.Fprintf(g.console, "guestinit: %v\n", err)
		_ = g.w.Record(job.Record{Kind: job.RecError, Message: err.Error()})
	}
	// A file system stuck in the kernel must not keep the guest up.
	synced := make(chan struct{})
	go func() { unix.Sync(); close(synced) }()
	select {
	case <-synced:
	case <-time.After(20 * time.Second):
	}
	if os.Getpid() == 1 {
		_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
		// The kernel panics when PID 1 exits; the host sees the panic.
	}
	if err != nil {
		os.Exit(1)
	}
}

// printMarker is the init of a boot test's initrd: it reports that the
// kernel started it, on the console and on the first serial port, and
// powers off.
func printMarker(marker string) {
	_ = os.MkdirAll("/dev", 0o755)
	_ = os.MkdirAll("/proc", 0o755)
	_ = unix.Mount("devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755")
	_ = unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	var u unix.Utsname
	_ = unix.Uname(&u)
	cmdline, _ := os.ReadFile("/proc/cmdline")
	line := fmt.Sprintf("\n%s release=%s cmdline=%s\n", marker, unix.ByteSliceToString(u.Release[:]), strings.TrimSpace(string(cmdline)))
	for _, dev := range []string{"/dev/console", "/dev/ttyS0"} {
		if f, err := os.OpenFile(dev, os.O_WRONLY|unix.O_NOCTTY, 0); err == nil {
			f.WriteString(line)
			f.Close()
		}
	}
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

// guest writes the init's records: to the console until the results
// port is open, then to both.
type guest struct {
	console *os.File
	w       *job.Writer
}

func (g *guest) run() error {
	// The kernel starts init with an empty PATH.
	for _, kv := range baseEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	if err := mountAll(); err != nil {
		return err
	}
	port, err := openPort(resultsPort)
	if err != nil {
		return err
	}
	g.w = job.NewWriter(io.MultiWriter(port, g.console))
	w := g.w
	stage := func(name string, d time.Duration) {
		_ = w.Record(job.Record{Kind: job.RecStage, Name: name, Elapsed: d})
	}
	stage("kernel", uptime())

	b, err := os.ReadFile(job.Path)
	if err != nil {
		return err
	}
	var j job.Job
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%s: %w", job.Path, err)
	}
	_ = unix.Sethostname([]byte("vmtest"))

	start := time.Now()
	if err := startUdev(); err != nil {
		return err
	}
	stage("udev", time.Since(start))

	start = time.Now()
	if len(j.Modules) > 0 {
		if err := modprobe(j.Modules...); err != nil {
			return err
		}
	}
	stage("modules", time.Since(start))

	start = time.Now()
	env, err := devices(&j)
	if err != nil {
		return err
	}
	if j.EFI {
		if err := mountEFI(); err != nil {
			return err
		}
		env = append(env, "HOSTADM_VM_EFI=1")
	}
	stage("devices", time.Since(start))

	env = append(baseEnv(), append(env, j.Env...)...)
	for _, kv := range env {
		_ = w.Record(job.Record{Kind: job.RecEnv, Name: kv})
	}
	failed := false
	for _, t := range j.Tests {
		if runTest(w, t, env) != 0 {
			failed = true
		}
	}
	if failed {
		dumpKernelLog(g.console)
	}
	return w.Record(job.Record{Kind: job.RecDone})
}

func baseEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"TMPDIR=/tmp",
		"TERM=dumb",
		"HOSTADM_VM=1",
	}
}

// runTest runs one test binary and returns its exit code. A binary that
// outlives its timeout is killed; one that cannot be killed (a task stuck
// in the kernel) is left behind, so that the guest still reports.
func runTest(w *job.Writer, t job.Test, env []string) int {
	_ = w.Record(job.Record{Kind: job.RecStart, Name: t.Package})
	start := time.Now()
	cmd := exec.Command(t.Binary, t.Args...)
	cmd.Dir = t.Dir
	cmd.Env = env
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	code := 0
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(w, "\nguestinit: %s: %v\n", t.Package, err)
		code = -1
	} else {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var deadline <-chan time.Time
		if t.Timeout > 0 {
			deadline = time.After(time.Duration(t.Timeout))
		}
		var err error
		select {
		case err = <-done:
		case <-deadline:
			fmt.Fprintf(w, "\nguestinit: %s: killed after %v\n", t.Package, time.Duration(t.Timeout))
			sysrq('w') // the kernel stacks of blocked tasks, for the log
			_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				fmt.Fprintf(w, "guestinit: %s: the test cannot be killed: a task is stuck in the kernel (see the kernel log on the console)\n", t.Package)
			}
			err = errKilled
		}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.Is(err, errKilled):
			code = -1
		case errors.As(err, &ee):
			code = ee.ExitCode()
		default:
			fmt.Fprintf(w, "\nguestinit: %s: %v\n", t.Package, err)
			code = -1
		}
	}
	_ = w.Record(job.Record{Kind: job.RecExit, Name: t.Package, Code: code, Elapsed: time.Since(start)})
	return code
}

var errKilled = errors.New("killed")

// sysrq asks the kernel for a diagnostic (w: blocked tasks).
func sysrq(c byte) {
	_ = os.WriteFile("/proc/sys/kernel/sysrq", []byte("1"), 0o644)
	_ = os.WriteFile("/proc/sysrq-trigger", []byte{c}, 0o200)
}

// dumpKernelLog copies the kernel's log to the console, which the host
// keeps: the console shows only warnings while the tests run.
func dumpKernelLog(console *os.File) {
	b, err := exec.Command("dmesg", "--notime", "--level=emerg,alert,crit,err,warn,notice,info").Output()
	if err != nil {
		fmt.Fprintf(console, "guestinit: dmesg: %v\n", err)
		return
	}
	fmt.Fprintf(console, "\n===== kernel log =====\n%s===== end of kernel log =====\n", b)
}

// startUdev starts systemd-udevd as Debian does at boot and replays the
// devices' add events, so that drivers load, device links exist and
// the tools that wait for udev (LVM, ZFS) work.
func startUdev() error {
	if err := exec.Command("/usr/lib/systemd/systemd-udevd", "--daemon", "--resolve-names=never").Run(); err != nil {
		return fmt.Errorf("systemd-udevd: %w", err)
	}
	for _, args := range [][]string{
		{"trigger", "--type=subsystems", "--action=add"},
		// The devices tests use; the rest (ttys, memory blocks, CPUs)
		// have their nodes from devtmpfs and would only cost time.
		{"trigger", "--type=devices", "--action=add",
			"--subsystem-match=pci", "--subsystem-match=virtio", "--subsystem-match=virtio-ports",
			"--subsystem-match=scsi", "--subsystem-match=scsi_disk", "--subsystem-match=scsi_generic",
			"--subsystem-match=ata_port", "--subsystem-match=ata_device", "--subsystem-match=nvme",
			"--subsystem-match=block", "--subsystem-match=net", "--subsystem-match=misc"},
		{"settle", "--timeout=120"},
	} {
		if b, err := exec.Command("udevadm", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("udevadm %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(b))
		}
	}
	return nil
}

type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

func mountAll() error {
	const nosuid, nodev, noexec = unix.MS_NOSUID, unix.MS_NODEV, unix.MS_NOEXEC
	ms := []mount{
		{"proc", "/proc", "proc", nosuid | nodev | noexec, ""},
		{"sysfs", "/sys", "sysfs", nosuid | nodev | noexec, ""},
		{"devtmpfs", "/dev", "devtmpfs", nosuid, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", nosuid | noexec, "gid=5,mode=620,ptmxmode=000"},
		{"tmpfs", "/dev/shm", "tmpfs", nosuid | nodev, ""},
		{"tmpfs", "/run", "tmpfs", nosuid | nodev, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", nosuid | nodev, "mode=1777"},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", nosuid | nodev | noexec, ""},
	}
	for _, m := range ms {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil && !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err)
		}
	}
	for _, d := range []string{"/run/lock", "/run/lvm", "/var/lock", "/var/run"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	links := map[string]string{
		"/dev/fd":     "/proc/self/fd",
		"/dev/stdin":  "/proc/self/fd/0",
		"/dev/stdout": "/proc/self/fd/1",
		"/dev/stderr": "/proc/self/fd/2",
	}
	for name, target := range links {
		if err := os.Symlink(target, name); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}

func mountEFI() error {
	if _, err := os.Stat("/sys/firmware/efi"); err != nil {
		return fmt.Errorf("the job asks for EFI but the guest did not boot under UEFI: %w", err)
	}
	if err := modprobe("efivarfs"); err != nil {
		return err
	}
	const dir = "/sys/firmware/efi/efivars"
	if err := unix.Mount("efivarfs", dir, "efivarfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("mount efivarfs on %s: %w", dir, err)
	}
	return nil
}

// openPort opens a serial port for raw output, so that the line
// discipline passes the bytes unchanged.
func openPort(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Oflag &^= unix.OPOST
	t.Cflag = t.Cflag&^unix.CBAUD | unix.B115200
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func uptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return time.Duration(v * float64(time.Second))
}

func modprobe(mods ...string) error {
	args := append([]string{"-a", "--"}, mods...)
	b, err := exec.Command("/sbin/modprobe", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("modprobe %s: %v: %s", strings.Join(mods, " "), err, bytes.TrimSpace(b))
	}
	return nil
}

// devices waits for the host's disks and NICs and returns the
// HOSTADM_VM_* variables that name them.
func devices(j *job.Job) ([]string, error) {
	deadline := time.Now().Add(devicesTimeout)
	found := map[string]string{} // serial -> /dev path
	for {
		missing := 0
		for _, d := range j.Disks {
			if found[d.Serial] != "" {
				continue
			}
			if p := findDisk(d); p != "" {
				found[d.Serial] = p
			} else {
				missing++
			}
		}
		if missing == 0 && nicsPresent(j.NICs) {
			break
		}
		if time.Now().After(deadline) {
			var lost []string
			for _, d := range j.Disks {
				if found[d.Serial] == "" {
					lost = append(lost, d.Kind+" disk "+d.Serial)
				}
			}
			for _, n := range j.NICs {
				if nicByMAC(n.MAC) == "" {
					lost = append(lost, "NIC "+n.MAC)
				}
			}
			blocks, _ := filepath.Glob("/sys/block/*")
			return nil, fmt.Errorf("devices missing after %v: %s (block devices: %s)", devicesTimeout, strings.Join(lost, ", "), strings.Join(blocks, " "))
		}
		_ = exec.Command("udevadm", "settle", "--timeout=5").Run()
		time.Sleep(100 * time.Millisecond)
	}
	var disks, sata, nvme []string
	for _, d := range j.Disks {
		switch d.Kind {
		case job.SATA:
			sata = append(sata, found[d.Serial])
		case job.NVMe:
			nvme = append(nvme, found[d.Serial])
		default:
			disks = append(disks, found[d.Serial])
		}
	}
	nics, err := nameNICs(j.NICs)
	if err != nil {
		return nil, err
	}
	env := []string{}
	add := func(k string, v []string) {
		if len(v) > 0 {
			env = append(env, k+"="+strings.Join(v, ","))
		}
	}
	add("HOSTADM_VM_DISKS", disks)
	add("HOSTADM_VM_SATA", sata)
	add("HOSTADM_VM_NVME", nvme)
	add("HOSTADM_VM_NICS", nics)
	return env, nil
}

// findDisk returns the /dev path of the disk with d's serial number.
func findDisk(d job.Disk) string {
	var pattern string
	switch d.Kind {
	case job.Virtio:
		pattern = "/sys/block/vd*"
	case job.NVMe:
		pattern = "/sys/block/nvme*n1"
	default:
		pattern = "/sys/block/sd*"
	}
	blocks, _ := filepath.Glob(pattern)
	for _, b := range blocks {
		if diskSerial(b) == d.Serial {
			return "/dev/" + filepath.Base(b)
		}
	}
	return ""
}

// diskSerial reads a block device's serial number from sysfs: virtio-blk
// has it in "serial", NVMe controllers in "device/serial", SCSI and ATA
// disks in the unit serial number VPD page.
func diskSerial(sysBlock string) string {
	for _, f := range []string{"serial", "device/serial"} {
		if b, err := os.ReadFile(filepath.Join(sysBlock, f)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	b, err := os.ReadFile(filepath.Join(sysBlock, "device/vpd_pg80"))
	if err != nil || len(b) < 4 || b[1] != 0x80 {
		return ""
	}
	n := int(b[2])<<8 | int(b[3])
	if 4+n > len(b) {
		n = len(b) - 4
	}
	return strings.TrimSpace(string(bytes.TrimRight(b[4:4+n], "\x00")))
}

func nicByMAC(mac string) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, i := range ifs {
		if strings.EqualFold(i.HardwareAddr.String(), mac) {
			return i.Name
		}
	}
	return ""
}

func nicsPresent(nics []job.NIC) bool {
	for _, n := range nics {
		if nicByMAC(n.MAC) == "" {
			return false
		}
	}
	return true
}

// nameNICs gives each NIC the name the job wants (the kernel names them
// in probe order, which normally matches), brings lo up, and returns the
// NICs for the tests: all but eth0, the guest's own.
func nameNICs(nics []job.NIC) ([]string, error) {
	c, err := rtnetlink.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink: %w", err)
	}
	defer c.Close()
	links, err := c.Link.List()
	if err != nil {
		return nil, fmt.Errorf("rtnetlink: list links: %w", err)
	}
	byMAC := map[string]rtnetlink.LinkMessage{}
	for _, l := range links {
		if l.Attributes == nil {
			continue
		}
		if l.Attributes.Name == "lo" {
			if err := c.Link.Set(&rtnetlink.LinkMessage{Family: l.Family, Type: l.Type, Index: l.Index, Flags: unix.IFF_UP, Change: unix.IFF_UP}); err != nil {
				return nil, fmt.Errorf("rtnetlink: lo up: %w", err)
			}
		}
		byMAC[strings.ToLower(l.Attributes.Address.String())] = l
	}
	rename := func(l rtnetlink.LinkMessage, name string) error {
		err := c.Link.Set(&rtnetlink.LinkMessage{Family: l.Family, Type: l.Type, Index: l.Index, Attributes: &rtnetlink.LinkAttributes{Name: name}})
		if err != nil {
			return fmt.Errorf("rtnetlink: rename %s to %s: %w", l.Attributes.Name, name, err)
		}
		return nil
	}
	var wrong []job.NIC
	for _, n := range nics {
		if l := byMAC[strings.ToLower(n.MAC)]; l.Attributes.Name != n.Name {
			wrong = append(wrong, n)
		}
	}
	// Two passes, so that swapped names do not collide.
	for i, n := range wrong {
		if err := rename(byMAC[strings.ToLower(n.MAC)], fmt.Sprintf("vmtmp%d", i)); err != nil {
			return nil, err
		}
	}
	for _, n := range wrong {
		if err := rename(byMAC[strings.ToLower(n.MAC)], n.Name); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, n := range nics {
		if n.Name != "eth0" {
			names = append(names, n.Name)
		}
	}
	return slices.Clip(names), nil
}
