//go:build integration

package boot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/internal/vmtest"
)

const bootMarker = "HOSTADM-ESP-BOOT-OK"

// bootAssets returns Debian's kernel and systemd-boot from the VM tier's
// cache, unpacking them if needed.
func bootAssets(t *testing.T) (kver, kernel, sdboot string) {
	t.Helper()
	d := vmtest.DebianBoot(t)
	return d.KernelRelease, d.Kernel, d.SystemdBoot
}

// initramfs builds a newc cpio with /dev/console and a static /init that
// prints the marker and the command line, then powers the machine off.
func initramfs(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	cmdline, _ := os.ReadFile("/proc/cmdline")
	os.Mkdir("/proc", 0o755)
	syscall.Mount("proc", "/proc", "proc", 0, "")
	cmdline, _ = os.ReadFile("/proc/cmdline")
	fmt.Printf("\n%s %s\n", "` + bootMarker + `", cmdline)
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}
`
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module initprog\n\ngo 1.26\n"), 0o644)
	cmd := exec.Command("go", "build", "-o", "init", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build init: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "init"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	ino := 1
	entry := func(name string, mode uint32, data []byte, rdevMaj, rdevMin uint32) {
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdevMaj, rdevMin, len(name)+1, 0)
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		ino++
	}
	entry("dev", 0o040755, nil, 0, 0)
	entry("dev/console", 0o020600, nil, 5, 1)
	entry("init", 0o100755, bin, 0, 0)
	entry("TRAILER!!!", 0, nil, 0, 0)
	return b.Bytes()
}

// TestBootESPUnderOVMF partitions a disk image with the installer's
// layout, formats and initialises its ESP for systemd-boot, refreshes a
// real Debian kernel with an initrd onto it, and boots the image under
// QEMU and OVMF until the initrd prints its marker with the command line
// the refresh wrote. (This machine's kernel has no GPT partition support,
// so the partitions are reached through the image rather than loop
// partitions; the VM tier covers real partition devices.)
func TestBootESPUnderOVMF(t *testing.T) {
	testenv.RequireTool(t, "qemu-system-x86_64", "sgdisk", "fsck.vfat")
	testenv.RequireFile(t, "/usr/share/OVMF/OVMF_CODE_4M.fd")
	ctx := context.Background()
	kver, kernel, sdboot := bootAssets(t)

	kb, err := os.ReadFile(kernel)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := os.ReadFile(sdboot)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"etc/kernel/cmdline":                           "root=/dev/ram0 console=ttyS0 hostadm.proof=1\n",
		"boot/vmlinuz-" + kver:                         string(kb),
		"boot/initrd.img-" + kver:                      string(initramfs(t)),
		"usr/lib/systemd/boot/efi/systemd-bootx64.efi": string(sd),
		"sys/firmware/efi/efivars/":                    "",
		"etc/pve/":                                     "",
		// Debian's kernel is no -pve kernel: keep it as a manual one.
		"etc/kernel/proxmox-boot-manual-kernels": kver + "\n",
	})
	fd := newFakeDevices(t, "vda")
	m, _ := newTestManager(t, root, fd, nil)
	uuid, err := m.Format(ctx, "/dev/vda2", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Init(ctx, "/dev/vda2", InitSystemdBoot)
	if err != nil {
		t.Fatal(err)
	}
	if res.UUID != uuid || res.Refresh == nil || len(res.Refresh.Kernels) != 1 || len(res.Refresh.ESPs) != 1 || res.Refresh.ESPs[0].Skipped != "" {
		t.Fatalf("init: %+v refresh %+v", res, res.Refresh)
	}
	image := fd.disks[0].path
	if out, err := exec.Command("sgdisk", "-v", image).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk -v: %v\n%s", err, out)
	}
	fsckClean(t, fd, "vda")

	vars := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	v, err := os.ReadFile("/usr/share/OVMF/OVMF_VARS_4M.fd")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(vars, v, 0o600)
	qctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	// The VM tier's probe tells whether KVM really works here.
	mod, err := vmtest.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	accel := (&vmtest.Env{ModuleRoot: mod}).Accel(ctx, &vmtest.Assets{Kernel: kernel, KernelRelease: kver})
	q := exec.CommandContext(qctx, "qemu-system-x86_64", "-machine", "q35,accel="+accel, "-m", "1024", "-nographic", "-no-reboot",
		"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
		"-drive", "if=pflash,format=raw,file="+vars,
		"-drive", "file="+image+",format=raw,if=virtio",
		"-serial", "stdio", "-monitor", "none", "-display", "none", "-net", "none")
	out, err := q.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	q.Stderr = q.Stdout
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer q.Process.Kill()
	var console bytes.Buffer
	found := false
	sc := bufio.NewScanner(io.TeeReader(out, &console))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, bootMarker) {
			t.Logf("console: %s", strings.TrimSpace(l))
			found = strings.Contains(l, "hostadm.proof=1")
			break
		}
	}
	q.Process.Kill()
	q.Wait()
	if !found {
		tail := console.String()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		t.Fatalf("no boot marker with the refreshed command line on the console:\n%s", tail)
	}
}
