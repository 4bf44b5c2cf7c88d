//go:build vmtest

package efivar_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
	"github.com/hostadm/hostadm/internal/testenv"
)

func efibootmgr(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("efibootmgr", "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("efibootmgr -v: %v\n%s", err, out)
	}
	return string(out)
}

// TestEFIBootmgrAgrees reads OVMF's variables and compares the decoded
// entries with `efibootmgr -v`, then creates an entry for a partition,
// finds it in efibootmgr's output, and deletes it again.
func TestEFIBootmgrAgrees(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireVMEFI(t)
	s, err := efivar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(efibootmgr(t), sum.Format()); d != "" {
		t.Errorf("efibootmgr -v mismatch (-efibootmgr +hostadm):\n%s", d)
	}

	dev := testenv.VMDisks(t, 1)[0]
	ctx := context.Background()
	f, err := disk.Read(dev)
	if err != nil {
		// A blank disk: give it the installer's layout.
		sectors, ss, err := disk.Geometry(dev)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := disk.InstallerLayout(sectors, ss, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := disk.Write(ctx, dev, tb); err != nil {
			t.Fatal(err)
		}
		f = tb
	}
	esp := f.ESPs()[0]
	hd, err := efivar.HardDriveNode(uint32(esp.Number), esp.Start, esp.Sectors(), strings.ToLower(esp.GUID))
	if err != nil {
		t.Fatal(err)
	}
	o := &efivar.LoadOption{Attributes: efivar.LoadOptionActive, Description: "proxmox", Path: efivar.DevicePath{hd, efivar.FileNode(`\EFI\proxmox\shimx64.efi`)}}
	num, err := s.CreateBootEntry(o)
	if err != nil {
		t.Fatal(err)
	}
	line := efivar.NewBootEntry(num, o).String()
	out := efibootmgr(t)
	if !strings.Contains(out, line+"\n") {
		t.Errorf("efibootmgr -v lacks the created entry %q:\n%s", line, out)
	}
	if order, _ := s.BootOrder(); len(order) == 0 || order[0] != num {
		t.Errorf("BootOrder %v does not start with Boot%04X", order, num)
	}
	if !strings.Contains(out, "HD(2,GPT,"+strings.ToLower(esp.GUID)+",0x800,0x100000)/File(\\EFI\\proxmox\\shimx64.efi)") {
		t.Errorf("efibootmgr shows the entry differently:\n%s", out)
	}
	if err := s.DeleteBootEntry(num); err != nil {
		t.Fatal(err)
	}
	if out := efibootmgr(t); strings.Contains(out, line) {
		t.Errorf("entry still listed after delete:\n%s", out)
	}
}

// BenchmarkBootEntries reads every boot entry: decoded in Go against
// efibootmgr -v.
func BenchmarkBootEntries(b *testing.B) {
	testenv.RequireVM(b)
	testenv.RequireVMEFI(b)
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			s, err := efivar.New(nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Summary(); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("vs=efibootmgr", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("efibootmgr", "-v").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
