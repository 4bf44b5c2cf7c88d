package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootArea(t *testing.T) {
	got := findings(t, fixture, "boot")
	for check, want := range map[string]string{
		"boot.loader":   "grub-efi: the current boot entry starts \\EFI\\proxmox\\shimx64.efi",
		"boot.root":     "/ is ext4 on /dev/mapper/pve-root",
		"boot.esp-sync": "proxmox-boot-tool does not manage ESPs",
		"boot.cmdline":  `kernel command line for grub-efi: "quiet"`,
	} {
		if f := got[check]; !strings.Contains(f.Summary, want) {
			t.Errorf("%s = %+v, want %q", check, f, want)
		}
	}
	if f := got["boot.cmdline"]; f.Where != "/etc/default/grub:9" {
		t.Errorf("cmdline where = %q", f.Where)
	}

	// Configure a parameter that the running kernel lacks, and pin.
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/default/grub.d/naming.cfg"), []byte("GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT net.naming-scheme=v252\"\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc/kernel"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/kernel/proxmox-boot-pin"), []byte("6.8.12-2-pve\n"), 0o644)
	got = findings(t, root, "boot")
	if f := got["boot.cmdline-pending"]; f.Severity != Info || !strings.Contains(f.Summary, "net.naming-scheme=v252") || f.Where != "/etc/default/grub.d/naming.cfg:1" {
		t.Errorf("cmdline-pending = %+v", f)
	}
	if f := got["boot.pin"]; f.Severity != Warning || !strings.Contains(f.Summary, "6.8.12-2-pve") {
		t.Errorf("pin = %+v", f)
	}
}
