package main

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(area{name: "system", title: "kernel, CPU and memory", order: 0, check: checkSystem})
}

func checkSystem(ctx context.Context, e *env, s *Section) {
	checkRelease(e, s)
	checkKernel(e, s)
	checkCPU(e, s)
	checkMemory(e, s)
	checkHostsFile(e, s)
	checkDiskSpace(e, s)
}

// isPVE reports whether the inspected system has Proxmox VE installed.
func isPVE(e *env) bool {
	return e.fs.Exists("/usr/share/pve-manager") || e.fs.Exists("/usr/bin/pveversion")
}

func checkRelease(e *env, s *Section) {
	osr, err := e.fs.ReadFile("/etc/os-release")
	if err != nil {
		osr, err = e.fs.ReadFile("/usr/lib/os-release")
	}
	if err != nil {
		s.Warn("os-release", "", "cannot read os-release: %v", err)
		return
	}
	kv := parseEnvFile(string(osr))
	name := kv["PRETTY_NAME"]
	if kv["ID"] != "debian" {
		s.Warn("not-debian", "Proxmox VE 8 is based on Debian 12 (bookworm)", "%s is not Debian", name)
		return
	}
	if ver, _ := e.fs.ReadSmall("/etc/debian_version"); ver != "" {
		name += ", " + strings.TrimSpace(ver)
	}
	if kv["VERSION_CODENAME"] != "bookworm" {
		s.Warn("debian-release", "Proxmox VE 8 runs on Debian 12 (bookworm)", "%s is not bookworm", name)
	} else {
		s.OK("debian-release", "%s", name)
	}
	if isPVE(e) {
		s.OK("pve", "Proxmox VE is installed")
	} else {
		s.Info("pve", "install Proxmox VE on top of Debian, or inspect a Proxmox VE system with --root",
			"no Proxmox VE packages found; findings say what a Proxmox VE host would need")
	}
}

func checkKernel(e *env, s *Section) {
	rel, err := e.fs.ReadSmall("/proc/sys/kernel/osrelease")
	rel = strings.TrimSpace(rel)
	switch {
	case err != nil:
		s.Warn("kernel", "", "cannot read the kernel release: %v", err)
	case strings.HasSuffix(rel, "-pve"):
		s.OK("kernel", "running the Proxmox VE kernel %s", rel)
	case isPVE(e):
		s.Warn("kernel", "Proxmox VE provides its own kernel with ZFS and virtualization features: install proxmox-default-kernel and reboot",
			"running kernel %s is not a Proxmox VE kernel", rel)
	default:
		s.Info("kernel", "", "running kernel %s", rel)
	}
	if e.fs.Exists("/run/reboot-required") {
		f := s.Warn("reboot-required", "reboot so that updated packages such as the kernel or microcode take effect",
			"a reboot is required")
		if pkgs, err := e.fs.ReadSmall("/run/reboot-required.pkgs"); err == nil && pkgs != "" {
			f.Summary += " by " + strings.Join(strings.Fields(pkgs), ", ")
		}
	}
	if t, err := e.fs.ReadSmall("/proc/sys/kernel/tainted"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(t), 10, 64); err == nil && n != 0 {
			flags := taintFlags(n)
			if n&(1<<7|1<<4) != 0 { // D: died (oops), M: machine check
				s.Warn("tainted", "a kernel oops or machine check happened: read the kernel log and consider a reboot",
					"kernel tainted: %s", flags)
			} else {
				s.Info("tainted", "", "kernel tainted: %s", flags)
			}
		}
	}
	if up, err := e.fs.ReadSmall("/proc/uptime"); err == nil {
		if f := strings.Fields(up); len(f) > 0 {
			if secs, err := strconv.ParseFloat(f[0], 64); err == nil {
				s.OK("uptime", "up %s", humanDuration(time.Duration(secs)*time.Second))
			}
		}
	}
}

// taintFlags decodes /proc/sys/kernel/tainted as the kernel's
// Documentation/admin-guide/tainted-kernels.rst lists the bits.
func taintFlags(n uint64) string {
	names := []string{
		"P proprietary module", "F forced module load", "S unsafe SMP", "R forced unload",
		"M machine check", "B bad page", "U user request", "D kernel died",
		"A ACPI table overridden", "W warning", "C staging driver", "I firmware workaround",
		"O out-of-tree module", "E unsigned module", "L soft lockup", "K live patched",
		"X auxiliary", "T struct randomization", "N test",
	}
	var out []string
	for i, name := range names {
		if n&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return fmt.Sprintf("0x%x", n)
	}
	return strings.Join(out, ", ")
}

func checkCPU(e *env, s *Section) {
	b, err := e.fs.ReadFile("/proc/cpuinfo")
	if err != nil {
		s.Warn("cpuinfo", "", "cannot read /proc/cpuinfo: %v", err)
		return
	}
	var (
		n          int
		model      string
		flags      map[string]bool
		physical   = map[string]bool{}
		hypervisor bool
	)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			n++
		case "model name":
			model = v
		case "physical id":
			physical[v] = true
		case "flags":
			if flags == nil {
				flags = map[string]bool{}
				for _, f := range strings.Fields(v) {
					flags[f] = true
				}
				hypervisor = flags["hypervisor"]
			}
		}
	}
	sockets := max(len(physical), 1)
	s.OK("cpu", "%d CPUs on %d socket(s): %s", n, sockets, model)
	switch {
	case flags["vmx"] || flags["svm"]:
		s.OK("virtualization", "hardware virtualization (%s) available", map[bool]string{true: "VT-x", false: "AMD-V"}[flags["vmx"]])
	case hypervisor:
		s.Warn("virtualization", "enable nested virtualization for this VM (host CPU type with vmx/svm) to run KVM guests",
			"running in a VM without nested virtualization: KVM guests cannot run")
	default:
		s.Warn("virtualization", "enable VT-x/AMD-V in the firmware setup; without it only containers can run",
			"the CPU offers no hardware virtualization (vmx/svm)")
	}
	if load, err := e.fs.ReadSmall("/proc/loadavg"); err == nil && n > 0 {
		if f := strings.Fields(load); len(f) >= 3 {
			l5, _ := strconv.ParseFloat(f[1], 64)
			if l5 > 2*float64(n) {
				s.Warn("load", "find the busiest guests or processes; the host is oversubscribed",
					"load average %s %s %s is above twice the %d CPUs", f[0], f[1], f[2], n)
			} else {
				s.OK("load", "load average %s %s %s", f[0], f[1], f[2])
			}
		}
	}
}

// parseMeminfo returns /proc/meminfo values in bytes.
func parseMeminfo(b []byte) map[string]uint64 {
	out := map[string]uint64{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		out[k] = n
	}
	return out
}

func checkMemory(e *env, s *Section) {
	b, err := e.fs.ReadFile("/proc/meminfo")
	if err != nil {
		s.Warn("meminfo", "", "cannot read /proc/meminfo: %v", err)
		return
	}
	m := parseMeminfo(b)
	total, avail := m["MemTotal"], m["MemAvailable"]
	switch {
	case total == 0:
		s.Warn("memory", "", "/proc/meminfo has no MemTotal")
		return
	case total < 2<<30:
		s.Warn("memory", "Proxmox VE needs at least 2 GiB for the host, plus memory for guests and, with ZFS, 8 GiB or more",
			"only %s of memory", bytesIEC(total))
	default:
		s.OK("memory", "%s of memory, %s available", bytesIEC(total), bytesIEC(avail))
	}
	if avail*10 < total {
		s.Warn("memory-available", "reduce guest memory or the ZFS ARC; the host is close to swapping or OOM kills",
			"only %s (%d%%) of memory available", bytesIEC(avail), avail*100/total)
	}
	if st := m["SwapTotal"]; st > 0 {
		used := st - m["SwapFree"]
		if used*2 > st {
			s.Warn("swap-used", "the host swaps heavily: add memory or lower vm.swappiness (10 is a good value for servers)",
				"%s of %s swap in use", bytesIEC(used), bytesIEC(st))
		} else {
			s.OK("swap", "%s swap, %s in use", bytesIEC(st), bytesIEC(used))
		}
	} else {
		s.OK("swap", "no swap configured")
	}
}

// checkHostsFile applies the cluster stack's requirement that the node name
// resolves to the node's own address, not to loopback.
func checkHostsFile(e *env, s *Section) {
	name := hostname(e)
	b, err := e.fs.ReadFile("/etc/hosts")
	if err != nil {
		s.Warn("hosts", "", "cannot read /etc/hosts: %v", err)
		return
	}
	short, _, _ := strings.Cut(name, ".")
	for i, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		addr, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		for _, n := range f[1:] {
			if n != name && n != short {
				continue
			}
			where := fmt.Sprintf("/etc/hosts:%d", i+1)
			if addr.IsLoopback() {
				if isPVE(e) {
					s.Warn("hosts", "map the node name to the node's own (cluster) address; pve-cluster needs it to be reachable",
						"%s resolves to loopback address %s", n, addr).Where = where
				} else {
					s.Info("hosts", "a Proxmox VE node name must map to the node's own address, not loopback",
						"%s resolves to loopback address %s", n, addr).Where = where
				}
			} else {
				s.OK("hosts", "%s resolves to %s", n, addr).Where = where
			}
			return
		}
	}
	s.Info("hosts", "add \"<address> <fqdn> <name>\" to /etc/hosts so the node name resolves without DNS",
		"%s is not in /etc/hosts", name)
}

func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func parseEnvFile(s string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		out[k] = v
	}
	return out
}

// humanDuration formats d as "14d 3h 5m".
func humanDuration(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	h := int(d/time.Hour) % 24
	m := int(d/time.Minute) % 60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm", days, h, m)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		return fmt.Sprintf("%dm", m)
	}
}
