package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/microcode"
)

func init() {
	register(area{name: "microcode", title: "CPU microcode and vulnerabilities", order: 75, check: checkMicrocode})
}

func checkMicrocode(ctx context.Context, e *env, s *Section) {
	c, err := microcode.New(&microcode.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("microcode", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	if !e.host && e.fs.IsHostRoot() {
		return
	}
	st, err := c.State(ctx)
	if err != nil {
		s.Warn("microcode", "", "%v", err)
		return
	}
	cpu := st.CPUs[0]
	rev, ok := st.Running()
	switch {
	case !ok:
		s.Info("revision", "", "%s reports no microcode revision", cpu.ModelName)
	case st.Mixed:
		var revs []string
		for _, r := range st.Revisions {
			revs = append(revs, microcode.FormatRevision(r))
		}
		s.Warn("revision", "reboot so that every CPU loads the same microcode", "CPUs run different microcode revisions: %s", strings.Join(revs, ", "))
	default:
		s.OK("revision", "%s runs microcode %s", cpu.ModelName, microcode.FormatRevision(rev))
	}
	if st.Hypervisor {
		s.Info("virtual", "apply microcode updates on the physical host, not in this guest", "running in a virtual machine: the microcode revision is the host's")
	}
	switch {
	case st.Early.Updated && st.Early.HasFrom:
		s.OK("early-update", "updated early from %s to %s%s", microcode.FormatRevision(st.Early.From), microcode.FormatRevision(max(st.Early.To, rev)), dateNote(st.Early.Date))
	case st.Early.Updated:
		s.OK("early-update", "microcode updated early to revision %s%s", microcode.FormatRevision(st.Early.To), dateNote(st.Early.Date))
	case st.EarlyFrom != "" && len(st.Early.Lines) > 0:
		s.Info("early-update", "", "no early microcode update at boot: the firmware's revision is current or the package has nothing newer")
	}
	if st.ConfiguredDisabled {
		f := s.Warn("dis-ucode-ldr-configured", "remove dis_ucode_ldr from the configured command line: the admin guide uses it for one debugging boot only",
			"every boot skips the early microcode update: the configured kernel command line has dis_ucode_ldr")
		f.Where = st.ConfiguredIn
	}
	if st.LoaderDisabled {
		s.Warn("dis-ucode-ldr", "remove dis_ucode_ldr from the kernel command line once debugging is done", "the kernel was booted with dis_ucode_ldr: early microcode updates are off")
	}
	if st.RebootNeeded() {
		f := s.Warn("reboot", "reboot the host to load the new microcode", "%s has microcode %s (%s), the CPUs run %s",
			st.AvailableFile, microcode.FormatRevision(st.Available.Revision), st.Available.Date, microcode.FormatRevision(rev))
		f.Where = st.AvailableFile
	}
	checkMicrocodePackage(c, st, s)
	var vulnerable, smt []string
	for _, v := range st.Vulnerabilities {
		switch {
		case v.State == microcode.Vulnerable:
			vulnerable = append(vulnerable, v.Title)
		case v.SMTVulnerable:
			smt = append(smt, v.Title)
		}
	}
	switch {
	case len(vulnerable) > 0:
		s.Warn("vulnerabilities", "install the vendor microcode package, keep the host updated and reboot after kernel updates (see lscpu)",
			"vulnerable: %s", strings.Join(vulnerable, ", "))
	case len(st.Vulnerabilities) > 0:
		s.OK("vulnerabilities", "%d CPU vulnerabilities known to the kernel: none unmitigated", len(st.Vulnerabilities))
	}
	if len(smt) > 0 {
		s.Info("smt", "weigh disabling SMT (nosmt) on hosts running untrusted guests", "mitigations leave SMT siblings exposed: %s", strings.Join(smt, ", "))
	}
}

func checkMicrocodePackage(c *microcode.Client, st *microcode.State, s *Section) {
	if st.Package == "" || st.Hypervisor {
		return
	}
	pkg, err := c.Package(st.Vendor)
	if err != nil {
		s.Info("package", "", "cannot read the package state: %v", err)
		return
	}
	setup := "enable non-free-firmware, apt install " + pkg.Name + " and reboot (early OS microcode updates)"
	switch {
	case !pkg.Installed:
		s.Warn("package", setup, "%s is not installed", pkg.Name)
		return
	case pkg.Held:
		s.Info("package", "apt-mark unhold "+pkg.Name+" once the regression that made you downgrade is fixed",
			"%s %s is installed and on hold", pkg.Name, pkg.Version)
	default:
		s.OK("package", "%s %s is installed", pkg.Name, pkg.Version)
	}
	if !pkg.NonFreeFirmware {
		s.Warn("non-free-firmware", "append non-free-firmware to each Debian repository line and run apt update",
			"the Debian repositories lack the non-free-firmware component: %s gets no updates", pkg.Name)
	}
}

func dateNote(d string) string {
	if d == "" {
		return ""
	}
	return fmt.Sprintf(" (%s)", d)
}
