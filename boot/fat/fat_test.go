package fat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/hostadm/hostadm/boot/internal/diskfsio"
	"github.com/hostadm/hostadm/internal/testenv"
)

const espSize = 300 << 20

func imageFile(t testing.TB, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "esp.img"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// fsck runs `fsck.vfat -n` as the oracle and returns its output; clean
// means exit status 0.
func fsck(t *testing.T, f *os.File) (string, bool) {
	t.Helper()
	testenv.RequireTool(t, "fsck.vfat")
	f.Sync()
	out, err := exec.Command("fsck.vfat", "-n", f.Name()).CombinedOutput()
	return string(out), err == nil
}

func requireClean(t *testing.T, f *os.File) {
	t.Helper()
	if out, ok := fsck(t, f); !ok {
		t.Fatalf("fsck.vfat -n found problems:\n%s", out)
	}
	rep, err := Check(f, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() {
		t.Fatalf("Check found problems: %q", rep.Problems)
	}
}

func TestFormatClean(t *testing.T) {
	f := imageFile(t, espSize)
	if err := Format(f, espSize, &FormatOptions{VolumeID: 0xA1B2C3D4, HiddenSectors: 2048}); err != nil {
		t.Fatal(err)
	}
	requireClean(t, f)
	out, _ := exec.Command("blkid", "-p", "-o", "export", f.Name()).Output()
	if !strings.Contains(string(out), "UUID=A1B2-C3D4") || !strings.Contains(string(out), "TYPE=vfat") {
		t.Errorf("blkid:\n%s", out)
	}
	fs, err := Open(f, espSize, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if fs.UUID() != "A1B2-C3D4" {
		t.Errorf("UUID = %s", fs.UUID())
	}
	fs.Close()
}

// TestWriteClean exercises every operation a refresh uses and checks the
// result with fsck.vfat.
func TestWriteClean(t *testing.T) {
	f := imageFile(t, espSize)
	if err := Format(f, espSize, &FormatOptions{HiddenSectors: 2048}); err != nil {
		t.Fatal(err)
	}
	fs, err := Open(f, espSize, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kernel := bytes.Repeat([]byte("vmlinuz!"), 1<<17) // 1 MiB
	files := map[string][]byte{
		"/EFI/proxmox/6.8.12-4-pve/vmlinuz-6.8.12-4-pve":    kernel,
		"/EFI/proxmox/6.8.12-4-pve/initrd.img-6.8.12-4-pve": bytes.Repeat([]byte("initrd"), 300000),
		"/EFI/proxmox/6.5.13-6-pve/vmlinuz-6.5.13-6-pve":    kernel[:5000],
		"/loader/entries/proxmox-6.8.12-4-pve.conf":         []byte("title Proxmox\n"),
		"/loader/loader.conf":                               []byte("timeout 3\ndefault proxmox-*\n"),
		"/loader/random-seed":                               nil,
	}
	for name, data := range files {
		if err := fs.WriteFile(name, data); err != nil {
			t.Fatal(err)
		}
	}
	// Replace a file through a temporary name, overwrite one in place,
	// remove a whole kernel directory.
	if err := fs.WriteFile("/loader/loader.conf.new", []byte("timeout 5\ndefault proxmox-6.8.12-4-pve.conf\n")); err != nil {
		t.Fatal(err)
	}
	if err := fs.Rename("/loader/loader.conf.new", "/loader/loader.conf"); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("/loader/entries/proxmox-6.8.12-4-pve.conf", []byte("title Proxmox Virtual Environment\n")); err != nil {
		t.Fatal(err)
	}
	if err := fs.RemoveAll("/EFI/proxmox/6.5.13-6-pve"); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	requireClean(t, f)
	fs, err = Open(f, espSize, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	for name, want := range map[string][]byte{
		"/EFI/proxmox/6.8.12-4-pve/vmlinuz-6.8.12-4-pve": kernel,
		"/loader/loader.conf":                            []byte("timeout 5\ndefault proxmox-6.8.12-4-pve.conf\n"),
	} {
		got, err := fs.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, err %v", name, len(got), err)
		}
	}
	if fs.Exists("/EFI/proxmox/6.5.13-6-pve") || fs.Exists("/loader/loader.conf.new") {
		t.Error("removed or renamed files still exist")
	}
}

// TestDefects shows each go-diskfs defect with fsck.vfat as the oracle,
// then that Repair removes it.
func TestDefects(t *testing.T) {
	tests := []struct {
		name string
		do   func(t *testing.T, fs *fat32.FileSystem)
		fsck string // what fsck.vfat -n says before the repair
	}{
		{"dotdot entry", func(t *testing.T, fs *fat32.FileSystem) { must(t, fs.Mkdir("/EFI")) }, "Invalid '..' entry"},
		{"free cluster summary", func(t *testing.T, fs *fat32.FileSystem) { writeRaw(t, fs, "/a", []byte("x")) }, "Free cluster summary"},
		{"removed file leaks clusters", func(t *testing.T, fs *fat32.FileSystem) {
			writeRaw(t, fs, "/a", bytes.Repeat([]byte("x"), 100000))
			must(t, fs.Remove("/a"))
		}, "unused clusters"},
		{"same short name", func(t *testing.T, fs *fat32.FileSystem) {
			writeRaw(t, fs, "/6.8.12-4-pve", []byte("a"))
			writeRaw(t, fs, "/6.8.12-2-pve", []byte("b"))
		}, "Duplicate directory entry"},
		{"empty file keeps a cluster", func(t *testing.T, fs *fat32.FileSystem) { writeRaw(t, fs, "/empty", nil) }, "cluster chain length is > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := imageFile(t, espSize)
			if err := Format(f, espSize, &FormatOptions{HiddenSectors: 2048}); err != nil {
				t.Fatal(err)
			}
			raw, err := fat32.Read(diskfsio.New(f, f, espSize), espSize, 0, 512)
			if err != nil {
				t.Fatal(err)
			}
			tt.do(t, raw)
			out, ok := fsck(t, f)
			if ok || !strings.Contains(out, tt.fsck) {
				t.Fatalf("fsck.vfat -n did not report %q before the repair:\n%s", tt.fsck, out)
			}
			rep, err := Check(f, 2048)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Clean() {
				t.Fatalf("Check found nothing, fsck.vfat said:\n%s", out)
			}
			if _, err := Repair(f, 2048); err != nil {
				t.Fatal(err)
			}
			requireClean(t, f)
		})
	}
}

func TestHiddenSectors(t *testing.T) {
	f := imageFile(t, espSize)
	st := diskfsio.New(f, f, espSize)
	if _, err := fat32.Create(st, espSize, 0, 512, "", false); err != nil {
		t.Fatal(err)
	}
	g, _ := readGeometry(f)
	if g.hiddenSectors != 0 {
		t.Skipf("go-diskfs now writes %d hidden sectors", g.hiddenSectors)
	}
	rep, _ := Check(f, 2048)
	if !strings.Contains(fmt.Sprint(rep.Problems), "hidden sectors") {
		t.Fatalf("Check did not report the hidden sectors: %q", rep.Problems)
	}
	if _, err := Repair(f, 2048); err != nil {
		t.Fatal(err)
	}
	if g, _ := readGeometry(f); g.hiddenSectors != 2048 {
		t.Errorf("hidden sectors = %d after repair", g.hiddenSectors)
	}
	requireClean(t, f)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeRaw(t *testing.T, fs *fat32.FileSystem, name string, data []byte) {
	t.Helper()
	fl, err := fs.OpenFile(name, os.O_CREATE|os.O_RDWR)
	must(t, err)
	if len(data) > 0 {
		_, err = fl.Write(data)
		must(t, err)
	}
	must(t, fl.Close())
}
