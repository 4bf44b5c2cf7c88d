package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/boot"
)

func init() {
	register(area{name: "boot", title: "boot loader, ESPs and kernel command line", order: 30, check: checkBoot})
}

func checkBoot(ctx context.Context, e *env, s *Section) {
	m, err := boot.New(&boot.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Error("open", "", "%v", err)
		return
	}
	defer m.Close()
	st, err := m.Status(ctx, e.host && e.privileged)
	if err != nil {
		s.Error("status", "", "%v", err)
		return
	}
	d := st.Detection
	s.OK("loader", "%s: %s", d.Loader, d.Reason)
	if d.Root != nil {
		s.OK("root", "/ is %s on %s", d.Root.FSType, d.Root.Source)
	}
	checkSecureBoot(d, s)
	checkESPs(e, st, s)
	checkBootCmdline(ctx, m, d, s)
	checkBootKernels(ctx, m, s)
}

func checkSecureBoot(d *boot.Detection, s *Section) {
	if !d.EFI {
		s.Info("secure-boot", "", "booted in BIOS/legacy mode: no Secure Boot")
		return
	}
	switch {
	case d.SecureBoot == nil:
		s.Info("secure-boot", "", "the firmware does not report a Secure Boot state")
	case *d.SecureBoot:
		if d.Loader == boot.LoaderSystemdBoot {
			s.Error("secure-boot", "only GRUB is supported with Secure Boot: run proxmox-boot-tool init ESP grub for each ESP",
				"Secure Boot is enabled but systemd-boot started the system")
		}
		if missing := d.MissingSecureBootPackages(); len(missing) > 0 {
			s.Error("secure-boot-packages", "install shim-signed, shim-helpers-amd64-signed, grub-efi-amd64-signed and the -signed kernel package",
				"Secure Boot is enabled but %s not installed", strings.Join(missing, ", "))
		} else {
			s.OK("secure-boot", "Secure Boot is enabled and the signed boot packages are installed")
		}
	default:
		s.Info("secure-boot", "Proxmox VE 8.1 and later support Secure Boot through the signed shim, GRUB and kernel packages",
			"Secure Boot is disabled")
	}
	if d.SetupMode != nil && *d.SetupMode {
		s.Warn("setup-mode", "enroll platform keys or leave setup mode in the firmware setup utility", "the firmware is in Setup Mode: no platform key is enrolled")
	}
}

func checkESPs(e *env, st *boot.Status, s *Section) {
	d := st.Detection
	if !st.Configured {
		if d.ZFSRoot {
			s.Warn("esp-sync", "set up each ESP with proxmox-boot-tool format and init so that every disk stays bootable",
				"/ is on ZFS but proxmox-boot-tool does not manage the ESPs (plain GRUB)")
		} else {
			s.OK("esp-sync", "proxmox-boot-tool does not manage ESPs (GRUB and update-grub keep /boot in sync)")
		}
		return
	}
	s.OK("esp-sync", "proxmox-boot-tool keeps %d ESP(s) in sync", len(st.ESPs))
	if !e.host || !e.privileged {
		s.Info("esp-contents", "run hostcheck as root on the host to read the ESPs", "ESP contents not inspected (needs root on the running system)")
	}
	for _, esp := range st.ESPs {
		switch {
		case esp.Problem != "":
			s.Warn("esp", "run proxmox-boot-tool clean to drop ESPs that no longer exist", "ESP %s: %s", esp.UUID, esp.Problem).Where = boot.ESPListFile
		case len(esp.FSProblems) > 0:
			s.Error("esp-fs", "reformat and re-initialise the ESP with proxmox-boot-tool format and init", "ESP %s (%s): %s", esp.UUID, esp.Device, strings.Join(esp.FSProblems, "; "))
		case esp.Mode != "":
			s.OK("esp", "ESP %s (%s) is configured with %s (versions: %s)", esp.UUID, esp.Device, esp.Mode, strings.Join(esp.Versions, ", "))
		default:
			s.OK("esp", "ESP %s is %s", esp.UUID, esp.Device)
		}
	}
}

func checkBootCmdline(ctx context.Context, m *boot.Manager, d *boot.Detection, s *Section) {
	src, err := m.Cmdline(ctx)
	if err != nil {
		s.Error("cmdline", "", "%v", err)
		return
	}
	where := src.File
	if src.Line > 0 {
		where = fmt.Sprintf("%s:%d", src.File, src.Line)
	}
	s.OK("cmdline", "kernel command line for %s: %q", src.Loader, src.Cmdline).Where = where
	if src.Loader == boot.LoaderSystemdBoot {
		if _, ok := src.Get("root"); !ok {
			s.Error("cmdline-root", "put the root= parameter (root=ZFS=rpool/ROOT/pve-1 boot=zfs) in /etc/kernel/cmdline", "/etc/kernel/cmdline has no root= parameter: refresh will fail").Where = where
		}
	}
	run, err := m.RunningCmdline()
	if err != nil {
		return
	}
	var pending []string
	for _, p := range src.Params {
		if got, ok := run.Get(p.Key); !ok || got.Value != p.Value {
			pending = append(pending, p.String())
		}
	}
	if len(pending) > 0 {
		apply := "run update-grub and reboot"
		if src.Loader == boot.LoaderSystemdBoot {
			apply = "run proxmox-boot-tool refresh and reboot"
		}
		s.Info("cmdline-pending", apply+" for the configured kernel command line to take effect",
			"configured but not active: %s", strings.Join(pending, " ")).Where = where
	}
}

func checkBootKernels(ctx context.Context, m *boot.Manager, s *Section) {
	k, err := m.Kernels(ctx, "")
	if err != nil {
		s.Warn("kernels", "", "%v", err)
		return
	}
	if len(k.Selected) > 0 {
		s.OK("kernels", "bootable kernels: %s", strings.Join(k.Selected, ", "))
	}
	if k.Pinned != "" {
		s.Warn("pin", "remove the pin (proxmox-boot-tool kernel unpin) as soon as possible so that current security fixes apply",
			"kernel %s is pinned", k.Pinned).Where = boot.PinFile
	}
	if k.NextBoot != "" {
		s.Info("next-boot-pin", "", "kernel %s is pinned for the next boot", k.NextBoot).Where = boot.NextBootPinFile
	}
	newest := ""
	for _, v := range k.Installed {
		if strings.HasSuffix(v, "-pve") {
			newest = v
			break
		}
	}
	if r := k.Running; r != "" && newest != "" && r != newest && k.Default() == "" {
		s.Info("reboot-kernel", "reboot into the newest kernel so that its fixes apply", "running %s, newest installed kernel is %s", r, newest)
	}
}
