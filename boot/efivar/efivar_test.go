package efivar

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the fixture variables and golden files")

// fixtureRoot is the Proxmox VE 8 fixture tree of the repository.
const fixtureRoot = "../../testdata/pve8"

// The fixture host: an LVM install on UEFI, Secure Boot off, booted by
// shim and GRUB from its ESP /dev/sda2.
const fixturePartUUID = "6f1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b"

func fixtureVars(t testing.TB) map[string][]byte {
	t.Helper()
	must := func(n Node, err error) Node {
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	hd := must(HardDriveNode(2, 0x800, 0x100000, fixturePartUUID))
	fv := func(vol, file string) DevicePath {
		v, _ := ParseGUID(vol)
		f, _ := ParseGUID(file)
		return DevicePath{{Type: TypeMedia, SubType: 7, Data: v[:]}, {Type: TypeMedia, SubType: 6, Data: f[:]}}
	}
	pciRoot := Node{Type: TypeACPI, SubType: 1, Data: []byte{0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0}}
	pci := func(dev, fn byte) Node { return Node{Type: TypeHardware, SubType: 1, Data: []byte{fn, dev}} }
	mac := make([]byte, 33)
	copy(mac, []byte{0x3c, 0xec, 0xef, 0x6a, 0x1b, 0x2c})
	mac[32] = 1
	ipv4 := make([]byte, 23) // UEFI 2.4 node with gateway and mask
	autoGUID, _ := ParseGUID("8108ac4e-9f11-4d59-850e-e21a522c59b2")
	entries := map[string]*LoadOption{
		"Boot0000": {Attributes: LoadOptionActive | LoadOptionHidden | LoadOptionCategoryApp, Description: "UiApp", Path: fv("7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1", "462caa21-7614-4503-836e-8ab6f4662331")},
		"Boot0001": {Attributes: LoadOptionActive, Description: "UEFI: PXE IPv4 Intel(R) I350 Gigabit Network Connection",
			Path:         DevicePath{pciRoot, pci(0x1c, 0), pci(0, 0), {Type: TypeMessaging, SubType: 11, Data: mac}, {Type: TypeMessaging, SubType: 12, Data: ipv4}},
			OptionalData: autoGUID[:]},
		"Boot0003": {Attributes: LoadOptionActive, Description: "proxmox", Path: DevicePath{hd, FileNode(`\EFI\proxmox\shimx64.efi`)}},
		"Boot0005": {Attributes: LoadOptionActive, Description: "UEFI OS", Path: DevicePath{hd, FileNode(`\EFI\BOOT\BOOTX64.EFI`)}},
	}
	bsrt := BootServiceAccess | RuntimeAccess
	vars := map[string][]byte{
		FileName("BootCurrent", GlobalGUID): FormatFile(bsrt, FormatUint16s([]uint16{3})),
		FileName("BootOrder", GlobalGUID):   FormatFile(DefaultAttributes, FormatUint16s([]uint16{3, 5, 1, 0})),
		FileName("Timeout", GlobalGUID):     FormatFile(DefaultAttributes, FormatUint16s([]uint16{1})),
		FileName("SecureBoot", GlobalGUID):  FormatFile(bsrt, []byte{0}),
		FileName("SetupMode", GlobalGUID):   FormatFile(bsrt, []byte{0}),
		FileName("MokListRT", ShimLockGUID): FormatFile(bsrt, []byte{}),
	}
	for name, o := range entries {
		vars[FileName(name, GlobalGUID)] = FormatFile(DefaultAttributes, o.Bytes())
	}
	return vars
}

// TestFixture keeps the fixture tree's efivarfs files in step with their
// definition above (-update writes them).
func TestFixture(t *testing.T) {
	dir := filepath.Join(fixtureRoot, "sys/firmware/efi/efivars")
	for name, want := range fixtureVars(t) {
		p := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its definition; run go test -update", p)
		}
	}
}

// TestSummaryFormat compares with what `efibootmgr -v` (17) prints for
// the same variables, written down by hand from its format rules.
func TestSummaryFormat(t *testing.T) {
	s, err := New(&Config{Root: fixtureRoot})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/efibootmgr-v.txt")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), sum.Format()); d != "" {
		t.Errorf("efibootmgr -v mismatch (-want +got):\n%s", d)
	}
	if sum.SecureBoot == nil || *sum.SecureBoot || sum.SetupMode == nil || *sum.SetupMode {
		t.Errorf("SecureBoot/SetupMode = %v/%v", sum.SecureBoot, sum.SetupMode)
	}
	e, err := s.BootEntry(3)
	if err != nil {
		t.Fatal(err)
	}
	if e.File != `\EFI\proxmox\shimx64.efi` || e.PartUUID != fixturePartUUID {
		t.Errorf("Boot0003 file %q partuuid %q", e.File, e.PartUUID)
	}
}

func TestNoEFI(t *testing.T) {
	if _, err := New(&Config{Root: t.TempDir()}); !errors.Is(err, ErrNoEFI) {
		t.Errorf("err = %v, want ErrNoEFI", err)
	}
}

func TestCreateDeleteBootEntry(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sys/firmware/efi/efivars")
	os.MkdirAll(dir, 0o755)
	for name, b := range fixtureVars(t) {
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	s, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hd, _ := HardDriveNode(2, 2048, 1048576, "0d5e1f2a-3b4c-4d5e-8f60-718293a4b5c6")
	num, err := s.CreateBootEntry(&LoadOption{Attributes: LoadOptionActive, Description: "Linux Boot Manager", Path: DevicePath{hd, FileNode("/EFI/systemd/systemd-bootx64.efi")}})
	if err != nil {
		t.Fatal(err)
	}
	if num != 2 {
		t.Errorf("new entry Boot%04X, want the lowest free Boot0002", num)
	}
	order, _ := s.BootOrder()
	if d := cmp.Diff([]uint16{2, 3, 5, 1, 0}, order); d != "" {
		t.Errorf("BootOrder mismatch (-want +got):\n%s", d)
	}
	e, err := s.BootEntry(2)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Boot0002* Linux Boot Manager\tHD(2,GPT,0d5e1f2a-3b4c-4d5e-8f60-718293a4b5c6,0x800,0x100000)/File(\\EFI\\systemd\\systemd-bootx64.efi)"; e.String() != want {
		t.Errorf("entry = %q\nwant    %q", e.String(), want)
	}
	if err := s.DeleteBootEntry(2); err != nil {
		t.Fatal(err)
	}
	order, _ = s.BootOrder()
	if d := cmp.Diff([]uint16{3, 5, 1, 0}, order); d != "" {
		t.Errorf("BootOrder after delete mismatch (-want +got):\n%s", d)
	}
	if s.Exists("Boot0002", GlobalGUID) {
		t.Error("Boot0002 still exists")
	}
}

func TestDevicePathNodes(t *testing.T) {
	tests := []struct {
		name string
		node Node
		want string
	}{
		{"sata", Node{TypeMessaging, 18, []byte{0, 0, 0xff, 0xff, 0, 0}}, "Sata(0,65535,0)"},
		{"nvme", Node{TypeMessaging, 23, []byte{1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}}, "NVMe(0x1,01-02-03-04-05-06-07-08)"},
		{"scsi", Node{TypeMessaging, 2, []byte{1, 0, 0, 0}}, "SCSI(1,0)"},
		{"pcie root", Node{TypeACPI, 1, []byte{0xd0, 0x41, 0x08, 0x0a, 1, 0, 0, 0}}, "PcieRoot(0x1)"},
		{"venhw", Node{TypeHardware, 4, append(make([]byte, 16), 0xab)}, "VenHw(00000000-0000-0000-0000-000000000000,ab)"},
		{"uri", Node{TypeMessaging, 24, []byte("http://x/boot.efi")}, "Uri(http://x/boot.efi)"},
		{"unknown type", Node{0x42, 7, []byte{1, 2}}, "Path(66,7,0102)"},
		{"unknown media", Node{TypeMedia, 99, []byte{1, 2, 3, 4}}, "MediaPath(99,0102)"},
		{"bbs", Node{TypeBIOSBoot, 1, append([]byte{2, 0, 0, 0}, []byte("Hard Disk\x00")...)}, "BBS(HD,Hard Disk,0x0)"},
		{"mbr hd", Node{TypeMedia, 1, append(append([]byte{1, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0}, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 1, 1)}, "HD(1,MBR,0x12345678,0x800,0x100000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.node.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":          {1, 0, 0},
		"no terminator":  {1, 0, 0, 0, 4, 0, 'a', 0},
		"path too long":  {1, 0, 0, 0, 40, 0, 0, 0, 0x7f, 0xff, 4, 0},
		"node too short": {1, 0, 0, 0, 4, 0, 0, 0, 4, 1, 2, 0},
	} {
		if _, err := ParseLoadOption(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzLoadOption(f *testing.F) {
	for _, b := range fixtureVars(f) {
		if _, d, err := ParseFile(b); err == nil {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseLoadOption(b)
		if err != nil {
			return
		}
		_ = NewBootEntry(1, o).String()
		enc := o.Bytes()
		o2, err := ParseLoadOption(enc)
		if err != nil {
			t.Fatalf("re-encoded option does not parse: %v", err)
		}
		if d := cmp.Diff(o, o2); d != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", d)
		}
		if !bytes.Equal(o2.Bytes(), enc) {
			t.Fatal("encoding is not stable")
		}
	})
}

func FuzzDevicePath(f *testing.F) {
	for _, b := range fixtureVars(f) {
		if _, d, err := ParseFile(b); err == nil {
			if o, err := ParseLoadOption(d); err == nil {
				f.Add(o.Path.Bytes())
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dp, err := ParseDevicePath(b)
		if err != nil {
			return
		}
		s := dp.String()
		dp2, err := ParseDevicePath(dp.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if dp2.String() != s {
			t.Fatalf("format changed after round trip: %q vs %q", s, dp2.String())
		}
	})
}
