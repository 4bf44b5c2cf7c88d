package microcode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fixture = "../testdata/pve8"

func newClient(t testing.TB, root string) *Client {
	t.Helper()
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCPUsFixture(t *testing.T) {
	cpus, err := newClient(t, fixture).CPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) != 4 {
		t.Fatalf("%d CPUs, want 4", len(cpus))
	}
	want := CPU{Processor: 2, Vendor: Intel, Family: 6, Model: 85, Stepping: 4,
		ModelName: "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz", Revision: 0x2007006, HasRevision: true,
		ProcessorFlags: 1, PhysicalID: 1, CoreID: 0}
	if diff := cmp.Diff(want, cpus[2]); diff != "" {
		t.Errorf("cpu2 mismatch (-want +got):\n%s", diff)
	}
	if got := cpus[0].Signature(); got != 0x50654 {
		t.Errorf("Signature = %#x, want 0x50654", got)
	}
	if got := cpus[0].FirmwareFile(); got != "intel-ucode/06-55-04" {
		t.Errorf("FirmwareFile = %q", got)
	}
}

func TestSignature(t *testing.T) {
	for _, tc := range []struct {
		cpu  CPU
		sig  uint32
		file string
	}{
		{CPU{Vendor: AMD, Family: 25, Model: 1, Stepping: 1}, 0xa00f11, "amd-ucode/microcode_amd_fam19h.bin"},
		{CPU{Vendor: AMD, Family: 23, Model: 49, Stepping: 0}, 0x830f10, "amd-ucode/microcode_amd_fam17h.bin"},
		{CPU{Vendor: AMD, Family: 16, Model: 4, Stepping: 3}, 0x100f43, "amd-ucode/microcode_amd.bin"},
		{CPU{Vendor: Intel, Family: 6, Model: 0x8f, Stepping: 8}, 0x806f8, "intel-ucode/06-8f-08"},
		{CPU{Vendor: "CentaurHauls", Family: 6, Model: 15}, 0x6f0, ""},
	} {
		if got := tc.cpu.Signature(); got != tc.sig {
			t.Errorf("%+v: Signature = %#x, want %#x", tc.cpu, got, tc.sig)
		}
		if got := tc.cpu.FirmwareFile(); got != tc.file {
			t.Errorf("%+v: FirmwareFile = %q, want %q", tc.cpu, got, tc.file)
		}
	}
}

func TestParseCPUInfoErrors(t *testing.T) {
	for _, in := range []string{"processor\t: x\n", "processor : 0\nmicrocode : 0xzz\n", "processor : 0\nmodel : fast\n"} {
		if _, err := ParseCPUInfo("cpuinfo", []byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestStateFixture(t *testing.T) {
	st, err := newClient(t, fixture).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Vendor != Intel || st.Package != "intel-microcode" || st.Mixed || st.Hypervisor {
		t.Errorf("vendor %s package %s mixed %v hypervisor %v", st.Vendor, st.Package, st.Mixed, st.Hypervisor)
	}
	if diff := cmp.Diff([]uint32{0x2007006}, st.Revisions); diff != "" {
		t.Errorf("revisions mismatch (-want +got):\n%s", diff)
	}
	wantEarly := EarlyUpdate{Updated: true, From: 0x2006e05, HasFrom: true, To: 0x2007006, HasTo: true,
		Lines: []string{"microcode: Current revision: 0x02007006", "microcode: Updated early from: 0x02006e05"}}
	if diff := cmp.Diff(wantEarly, st.Early); diff != "" {
		t.Errorf("early mismatch (-want +got):\n%s", diff)
	}
	if st.EarlyFrom != DmesgLogPath {
		t.Errorf("EarlyFrom = %q", st.EarlyFrom)
	}
	if len(st.Vulnerabilities) != 14 {
		t.Errorf("%d vulnerabilities, want 14", len(st.Vulnerabilities))
	}
	for _, v := range st.Vulnerabilities {
		if v.State == Vulnerable || v.State == Unknown || v.NeedsMicrocode || v.SMTVulnerable {
			t.Errorf("fixture vulnerability %s: %+v", v.Name, v)
		}
	}
}

func TestMixedRevisions(t *testing.T) {
	root := t.TempDir()
	cpuinfo, _ := os.ReadFile(filepath.Join(fixture, CPUInfoPath))
	writeFile(t, root, CPUInfoPath, string(cpuinfo))
	writeFile(t, root, CPUSysDir+"/cpu3/microcode/version", "0x2006e05\n")
	st, err := newClient(t, root).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mixed || !cmp.Equal(st.Revisions, []uint32{0x2006e05, 0x2007006}) {
		t.Errorf("mixed %v revisions %x", st.Mixed, st.Revisions)
	}
	if r, _ := st.Running(); r != 0x2006e05 {
		t.Errorf("Running = %#x", r)
	}
	// An installed package offering a newer revision than the CPUs run
	// means a reboot is due.
	writeFile(t, root, FirmwareDir+"/intel-ucode/06-55-04", string(intelBlob(t, 0x2007006, 0x03062023, 0x50654, 0xb7, nil)))
	st, err = newClient(t, root).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &Update{Revision: 0x2007006, Date: "2023-03-06", Signature: 0x50654, PlatformMask: 0xb7}
	if diff := cmp.Diff(want, st.Available); diff != "" {
		t.Errorf("available mismatch (-want +got):\n%s", diff)
	}
	if !st.RebootNeeded() {
		t.Error("RebootNeeded = false with an older CPU")
	}
}

func writeFile(t testing.TB, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoaderDisabled(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    bool
	}{
		{"BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro quiet dis_ucode_ldr", true},
		{"root=ZFS=rpool/ROOT/pve-1 boot=zfs dis_ucode_ldr=1", true},
		{`root=/dev/sda1 foo="a dis_ucode_ldr b"`, false},
		{"root=/dev/sda1 -- dis_ucode_ldr", false},
		{"root=/dev/sda1 quiet", false},
		{"dis_ucode_ldr_x=1 quiet", false},
	} {
		root := t.TempDir()
		writeFile(t, root, CmdlinePath, tc.cmdline+"\n")
		got, err := newClient(t, root).LoaderDisabled()
		if err != nil || got != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.cmdline, got, err, tc.want)
		}
	}
}

func TestParseKernelLog(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     EarlyUpdate
	}{
		{"admin-guide", "[    0.000000] microcode: microcode updated early to revision 0xf0, date = 2021-11-12\n[    0.896580] microcode: Microcode Update Driver: v2.2.\n",
			EarlyUpdate{Updated: true, To: 0xf0, HasTo: true, Date: "2021-11-12",
				Lines: []string{"microcode: microcode updated early to revision 0xf0, date = 2021-11-12", "microcode: Microcode Update Driver: v2.2."}}},
		{"6.6-arrow", "[    0.000000] microcode: updated early: 0x2006e05 -> 0x2007006, date = 2023-03-06\n",
			EarlyUpdate{Updated: true, From: 0x2006e05, HasFrom: true, To: 0x2007006, HasTo: true, Date: "2023-03-06",
				Lines: []string{"microcode: updated early: 0x2006e05 -> 0x2007006, date = 2023-03-06"}}},
		{"kmsg-not-updated", "6,512,1892871,-;microcode: Current revision: 0x0a0011d5\n",
			EarlyUpdate{To: 0xa0011d5, HasTo: true, Lines: []string{"microcode: Current revision: 0x0a0011d5"}}},
		{"amd-old", "Nov 22 10:00:01 pve1 kernel: [    0.771021] microcode: CPU0: patch_level=0x0830107a\nNov 22 10:00:01 pve1 kernel: [    0.771030] microcode: microcode updated early to new patch_level=0x0830107a\n",
			EarlyUpdate{Updated: true, To: 0x830107a, HasTo: true,
				Lines: []string{"microcode: CPU0: patch_level=0x0830107a", "microcode: microcode updated early to new patch_level=0x0830107a"}}},
		{"second-boot-counts", "[    0.000000] Linux version 6.8.8-1-pve\n[    1.0] microcode: Updated early from: 0x1\n[    0.000000] Linux version 6.8.12-4-pve\n[    1.1] microcode: Current revision: 0x00000005\n",
			EarlyUpdate{To: 5, HasTo: true, Lines: []string{"microcode: Current revision: 0x00000005"}}},
		{"disabled", "[    0.000000] Command line: ro dis_ucode_ldr\n[    0.9] microcode: dis_ucode_ldr: not loading early microcode\n",
			EarlyUpdate{Disabled: true, Lines: []string{"microcode: dis_ucode_ldr: not loading early microcode"}}},
		{"nothing", "[    0.0] other: line\n", EarlyUpdate{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseKernelLog([]byte(tc.in))); diff != "" {
				t.Errorf("ParseKernelLog mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVulnerability(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Vulnerability
	}{
		{"spec_store_bypass", "Not affected", Vulnerability{Title: "Spec store bypass", State: NotAffected}},
		{"mds", "Mitigation: Clear CPU buffers; SMT vulnerable", Vulnerability{Title: "Mds", State: Mitigated, SMTVulnerable: true}},
		{"mmio_stale_data", "Vulnerable: Clear CPU buffers attempted, no microcode; SMT Host state unknown",
			Vulnerability{Title: "Mmio stale data", State: Vulnerable, NeedsMicrocode: true}},
		{"old_microcode", "Vulnerable", Vulnerability{Title: "Old microcode", State: Vulnerable, NeedsMicrocode: true}},
		{"itlb_multihit", "KVM: Mitigation: VMX disabled", Vulnerability{Title: "Itlb multihit", State: Mitigated}},
		{"future_bug", "Processor vulnerable", Vulnerability{Title: "Future bug", State: Unknown}},
	} {
		tc.want.Name, tc.want.Text = tc.name, tc.text
		if diff := cmp.Diff(tc.want, NewVulnerability(tc.name, tc.text+"\n")); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

// intelBlob builds an Intel microcode file with one update and an
// optional extended signature table of (signature, flags) pairs.
func intelBlob(t testing.TB, rev, date, sig, pf uint32, ext [][2]uint32) []byte {
	t.Helper()
	const dataSize = 976
	total := 48 + dataSize
	if ext != nil {
		total += 20 + 12*len(ext)
	}
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 1)
	le.PutUint32(b[4:], rev)
	le.PutUint32(b[8:], date)
	le.PutUint32(b[12:], sig)
	le.PutUint32(b[20:], 1)
	le.PutUint32(b[24:], pf)
	le.PutUint32(b[28:], dataSize)
	le.PutUint32(b[32:], uint32(total))
	if ext != nil {
		e := b[48+dataSize:]
		le.PutUint32(e[0:], uint32(len(ext)))
		for i, x := range ext {
			le.PutUint32(e[20+12*i:], x[0])
			le.PutUint32(e[24+12*i:], x[1])
		}
	}
	return b
}

// amdBlob builds an AMD container with one equivalence entry and patch.
func amdBlob(sig uint32, equiv uint16, rev, date uint32) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	w(uint32(amdMagic))
	w(uint32(0))
	w(uint32(32))
	w(sig)
	w(uint32(0))
	w(uint32(0))
	w(equiv)
	w(uint16(0))
	b.Write(make([]byte, 16)) // terminator
	patch := make([]byte, 64)
	le.PutUint32(patch[0:], date)
	le.PutUint32(patch[4:], rev)
	le.PutUint16(patch[24:], equiv)
	w(uint32(1))
	w(uint32(len(patch)))
	b.Write(patch)
	return b.Bytes()
}

func TestParseUcodeFiles(t *testing.T) {
	blob := append(intelBlob(t, 0x2006e05, 0x04082022, 0x50654, 0xb7, nil),
		intelBlob(t, 0x2007006, 0x03062023, 0x50656, 0xbf, [][2]uint32{{0x50654, 0xb7}, {0x50657, 0xbf}})...)
	ups, err := ParseIntelFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 4 {
		t.Fatalf("%d updates, want 4: %+v", len(ups), ups)
	}
	cpu := CPU{Vendor: Intel, Family: 6, Model: 85, Stepping: 4, ProcessorFlags: 1}
	best, ok := Best(ups, cpu)
	if !ok || best.Revision != 0x2007006 || best.Date != "2023-03-06" {
		t.Errorf("Best = %+v, %v", best, ok)
	}
	cpu.ProcessorFlags = 0x40 // platform 6: not in 0xb7
	if best, ok := Best(ups, cpu); ok && best.Revision == 0x2006e05 {
		t.Errorf("platform mask ignored: %+v", best)
	}

	amd := append(amdBlob(0xa00f11, 0xa011, 0xa0011d5, 0x20240110), amdBlob(0xa00f10, 0xa010, 0xa0011d3, 0x20230901)...)
	ups, err = ParseAMDFile(amd)
	if err != nil {
		t.Fatal(err)
	}
	best, ok = Best(ups, CPU{Vendor: AMD, Family: 25, Model: 1, Stepping: 1})
	if !ok || best.Revision != 0xa0011d5 || best.Date != "2024-01-10" {
		t.Errorf("AMD Best = %+v, %v", best, ok)
	}
	for _, bad := range [][]byte{nil, blob[:40], amd[:20], []byte("not microcode at all, really not")} {
		if _, err := ParseIntelFile(bad); !errors.Is(err, ErrBadFile) {
			t.Errorf("Intel %q: err = %v", bad, err)
		}
		if _, err := ParseAMDFile(bad); !errors.Is(err, ErrBadFile) {
			t.Errorf("AMD %q: err = %v", bad, err)
		}
	}
}

func TestAvailableMissing(t *testing.T) {
	c := newClient(t, fixture)
	_, _, err := c.Available(CPU{Vendor: Intel, Family: 6, Model: 85, Stepping: 4})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

func FuzzParseIntelFile(f *testing.F) {
	f.Add(intelBlob(f, 0x2007006, 0x03062023, 0x50654, 0xb7, [][2]uint32{{0x50657, 0xbf}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ups, err := ParseIntelFile(data)
		if err == nil && len(ups) == 0 {
			t.Fatal("no error and no updates")
		}
	})
}

func FuzzParseAMDFile(f *testing.F) {
	f.Add(amdBlob(0xa00f11, 0xa011, 0xa0011d5, 0x20240110))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseAMDFile(data)
	})
}

func FuzzParseKernelLog(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(fixture, DmesgLogPath))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("6,1,2,-;microcode: updated early: 0x1 -> 0x2, date = 2020-01-01\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		u := ParseKernelLog(data)
		if (u.HasFrom || u.Date != "") && !u.Updated {
			t.Fatalf("from or date without an update: %+v", u)
		}
	})
}

func FuzzParseCPUInfo(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(fixture, CPUInfoPath))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		cpus, err := ParseCPUInfo("fuzz", data)
		if err != nil {
			return
		}
		for _, c := range cpus {
			if (c.Vendor == Intel || c.Vendor == AMD) && c.FirmwareFile() == "" {
				t.Fatalf("no firmware file for %+v", c)
			}
			if c.Family > 0 && c.Family <= 0xf && c.Signature()>>8&0xf != uint32(c.Family) {
				t.Fatalf("signature %#x lost family %d", c.Signature(), c.Family)
			}
		}
	})
}

func TestConfiguredLoaderDisabled(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, root)
	d, where, err := c.ConfiguredLoaderDisabled(context.Background())
	if err != nil || d || where != "/etc/default/grub:9" {
		t.Fatalf("fixture: %v %q %v", d, where, err)
	}
	grub := filepath.Join(root, "etc/default/grub")
	b, _ := os.ReadFile(grub)
	os.WriteFile(grub, []byte(strings.Replace(string(b), `GRUB_CMDLINE_LINUX_DEFAULT="quiet"`, `GRUB_CMDLINE_LINUX_DEFAULT="quiet dis_ucode_ldr"`, 1)), 0o644)
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.ConfiguredDisabled || st.ConfiguredIn != "/etc/default/grub:9" {
		t.Errorf("configured: %v %q", st.ConfiguredDisabled, st.ConfiguredIn)
	}
}
