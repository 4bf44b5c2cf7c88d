package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/boot/disk"
)

const bootFixture = "../../testdata/pve8"

func TestBootEFIList(t *testing.T) {
	out, errb, code := runAdm(t, "boot", "efi", "list", "--root", bootFixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	want, _ := os.ReadFile("../../boot/efivar/testdata/efibootmgr-v.txt")
	if out != string(want) {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	out, _, _ = runAdm(t, "boot", "efi", "list", "--root", bootFixture, "--json")
	var sum struct {
		BootCurrent int `json:"boot_current"`
		Entries     []struct {
			Name, File string
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.BootCurrent != 3 || len(sum.Entries) != 4 || sum.Entries[2].File != `\EFI\proxmox\shimx64.efi` {
		t.Errorf("json: %v %+v", err, sum)
	}
}

func TestBootStatusAndCmdline(t *testing.T) {
	out, _, code := runAdm(t, "boot", "status", "--root", bootFixture)
	if code != 1 || !strings.Contains(out, "Boot loader: grub-efi") || !strings.Contains(out, "System currently booted with uefi") {
		t.Errorf("status exit %d:\n%s", code, out)
	}
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(bootFixture)); err != nil {
		t.Fatal(err)
	}
	if _, errb, code := runAdm(t, "boot", "cmdline", "add", "net.naming-scheme=v252", "dis_ucode_ldr", "--root", root); code != 0 {
		t.Fatal(errb)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/default/grub"))
	if !strings.Contains(string(b), `GRUB_CMDLINE_LINUX_DEFAULT="quiet net.naming-scheme=v252 dis_ucode_ldr"`) {
		t.Errorf("grub:\n%s", b)
	}
	out, _, code = runAdm(t, "boot", "cmdline", "get", "net.naming-scheme", "--root", root)
	if code != 0 || out != "net.naming-scheme=v252\n" {
		t.Errorf("get: %d %q", code, out)
	}
	runAdm(t, "boot", "cmdline", "remove", "dis_ucode_ldr", "--root", root)
	if _, _, code := runAdm(t, "boot", "cmdline", "get", "dis_ucode_ldr", "--root", root); code != 1 {
		t.Errorf("removed parameter still found (exit %d)", code)
	}
	out, _, _ = runAdm(t, "boot", "kernel", "list", "--root", root)
	if !strings.Contains(out, "Manually selected kernels:\nNone.") {
		t.Errorf("kernel list:\n%s", out)
	}
}

func TestBootPartitions(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	f, _ := os.Create(img)
	f.Truncate(2 << 30)
	f.Close()
	tb, _ := disk.InstallerLayout(2<<30/512, 512, &disk.LayoutOptions{DataType: disk.TypeLVM})
	if err := disk.Write(context.Background(), img, tb); err != nil {
		t.Fatal(err)
	}
	out, _, code := runAdm(t, "boot", "partitions", img, "--json")
	var got disk.Table
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Partitions) != 3 || got.Partitions[1].Type != disk.TypeESP {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, _ = runAdm(t, "boot", "partitions", img)
	if !strings.Contains(out, "EFI system partition") || !strings.Contains(out, "512 MiB") {
		t.Errorf("text:\n%s", out)
	}
}
