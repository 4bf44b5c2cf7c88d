package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMicrocodeArea(t *testing.T) {
	got := findings(t, fixture, "microcode")
	for check, want := range map[string]string{
		"microcode.revision":        "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz runs microcode 0x2007006",
		"microcode.early-update":    "updated early from 0x2006e05 to 0x2007006",
		"microcode.package":         "intel-microcode 3.20230808.1~deb12u1 is installed and on hold",
		"microcode.vulnerabilities": "14 CPU vulnerabilities known to the kernel: none unmitigated",
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) {
			t.Errorf("%s = %+v, want %q", check, f, want)
		}
	}

	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "sys/devices/system/cpu/cpu1/microcode/version"), []byte("0x2006e05\n"), 0o644)
	os.WriteFile(filepath.Join(root, "sys/devices/system/cpu/vulnerabilities/mds"), []byte("Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable\n"), 0o644)
	os.WriteFile(filepath.Join(root, "proc/cmdline"), []byte("BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet dis_ucode_ldr\n"), 0o644)
	grub := filepath.Join(root, "etc/default/grub")
	b, _ := os.ReadFile(grub)
	os.WriteFile(grub, []byte(strings.Replace(string(b), `="quiet"`, `="quiet dis_ucode_ldr"`, 1)), 0o644)
	got = findings(t, root, "microcode")
	if f := got["microcode.dis-ucode-ldr-configured"]; f.Severity != Warning || f.Where != "/etc/default/grub:9" {
		t.Errorf("configured dis_ucode_ldr = %+v", f)
	}
	for check, want := range map[string]string{
		"microcode.revision":        "different microcode revisions: 0x2006e05, 0x2007006",
		"microcode.vulnerabilities": "vulnerable: Mds",
		"microcode.dis-ucode-ldr":   "dis_ucode_ldr",
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) || f.Severity != Warning {
			t.Errorf("%s = %+v, want warning %q", check, f, want)
		}
	}
}
