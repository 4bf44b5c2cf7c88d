package disk

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/testenv"
)

// image creates a sparse image file of size bytes.
func image(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// sgdiskVerify runs `sgdisk -v` as the oracle.
func sgdiskVerify(t *testing.T, path string) {
	t.Helper()
	testenv.RequireTool(t, "sgdisk")
	out, err := exec.Command("sgdisk", "-v", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No problems found") {
		t.Fatalf("sgdisk -v %s: %v\n%s", path, err, out)
	}
}

func TestInstallerLayout(t *testing.T) {
	const size = 32 << 30
	tb, err := InstallerLayout(size/512, 512, &LayoutOptions{DataType: TypeZFS})
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		N          int
		Type       string
		Start, End uint64
	}
	var got []span
	for _, p := range tb.Partitions {
		got = append(got, span{p.Number, p.Type, p.Start, p.End})
	}
	want := []span{
		{1, TypeBIOSBoot, 34, 2047},             // 1007K, as lsblk shows it
		{2, TypeESP, 2048, 2048 + 0x100000 - 1}, // HD(2,GPT,...,0x800,0x100000)
		{3, TypeZFS, 1050624, size/512 - 34},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("layout mismatch (-want +got):\n%s", d)
	}
	if _, err := InstallerLayout(16<<20/512, 512, nil); !errors.Is(err, ErrNoSpace) {
		t.Errorf("16 MiB disk: err = %v, want ErrNoSpace", err)
	}
	hd, err := InstallerLayout(size/512, 512, &LayoutOptions{DataSize: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := hd.Partition(3); tb.Bytes(p.Sectors()) != 8<<30 {
		t.Errorf("hdsize: data partition is %d bytes", tb.Bytes(p.Sectors()))
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	const size = 2 << 30
	img := image(t, size)
	tb, err := InstallerLayout(size/512, 512, &LayoutOptions{DataType: TypeLVM})
	if err != nil {
		t.Fatal(err)
	}
	tb.Partitions[2].Name = "pve data"
	if err := Write(context.Background(), img, tb); err != nil {
		t.Fatal(err)
	}
	sgdiskVerify(t, img)
	got, err := Read(img)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tb, got); d != "" {
		t.Errorf("read back mismatch (-want +got):\n%s", d)
	}
	// sgdisk agrees on the layout.
	out, err := exec.Command("sgdisk", "-i", "2", img).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI system partition)", "First sector: 2048", "Last sector: 1050623", "Partition unique GUID: " + tb.Partitions[1].GUID} {
		if !strings.Contains(string(out), w) {
			t.Errorf("sgdisk -i 2 lacks %q:\n%s", w, out)
		}
	}
}

func TestCopyTable(t *testing.T) {
	ctx := context.Background()
	src := image(t, 1<<30)
	dst := image(t, 2<<30)
	st, err := InstallerLayout(1<<30/512, 512, &LayoutOptions{DataType: TypeZFS})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, src, st); err != nil {
		t.Fatal(err)
	}
	nt, err := CopyTable(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	sgdiskVerify(t, dst)
	got, err := Read(dst)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(nt, got); d != "" {
		t.Errorf("copy mismatch (-want +got):\n%s", d)
	}
	if got.GUID == st.GUID {
		t.Error("disk GUID was copied, want a fresh one")
	}
	for i, p := range got.Partitions {
		sp := st.Partitions[i]
		if p.GUID == sp.GUID {
			t.Errorf("partition %d GUID was copied", p.Number)
		}
		if p.Start != sp.Start || p.End != sp.End || p.Type != sp.Type || p.Number != sp.Number {
			t.Errorf("partition %d differs: %+v vs %+v", p.Number, p, sp)
		}
	}
	if got.LastUsable != 2<<30/512-34 {
		t.Errorf("backup table not moved to the end: last usable %d", got.LastUsable)
	}
	// A smaller disk cannot hold the copy.
	small := image(t, 512<<20)
	if _, err := CopyTable(ctx, src, small); !errors.Is(err, ErrInvalid) {
		t.Errorf("copy to a smaller disk: err = %v, want ErrInvalid", err)
	}
}

func TestCreateLargest(t *testing.T) {
	ctx := context.Background()
	img := image(t, 1<<30)
	// Empty disk: a new table with one partition over everything, as
	// `sgdisk -N 1 /dev/sdb` does.
	p, err := CreateLargest(ctx, img, 1, TypeLVM)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Partition{Number: 1, Type: TypeLVM, GUID: p.GUID, Start: 2048, End: 1<<30/512 - 34}); p != want {
		t.Errorf("partition = %+v, want %+v", p, want)
	}
	sgdiskVerify(t, img)
	// A disk with a hole: the largest free extent wins.
	tb, _ := Read(img)
	tb.Partitions = nil
	tb.Add(Partition{Type: TypeLinux, Start: 2048, End: 4095})
	tb.Add(Partition{Type: TypeLinux, Start: 200000, End: 400000})
	if err := Write(ctx, img, tb); err != nil {
		t.Fatal(err)
	}
	p, err = CreateLargest(ctx, img, 0, TypeLinux)
	if err != nil {
		t.Fatal(err)
	}
	if p.Number != 3 || p.Start != 401408 || p.End != 1<<30/512-34 {
		t.Errorf("largest free: got %+v", p)
	}
	sgdiskVerify(t, img)
}

func TestValidate(t *testing.T) {
	base, _ := NewTable(1<<30/512, 512)
	tests := []struct {
		name string
		add  []Partition
	}{
		{"overlap", []Partition{{Type: TypeLinux, Start: 2048, End: 4096}, {Type: TypeLinux, Start: 4096, End: 8191}}},
		{"before first usable", []Partition{{Type: TypeLinux, Start: 10, End: 4096}}},
		{"past last usable", []Partition{{Type: TypeLinux, Start: 2048, End: 1 << 30}}},
		{"bad type", []Partition{{Type: "nope", Start: 2048, End: 4096}}},
		{"duplicate number", []Partition{{Number: 1, Type: TypeLinux, Start: 2048, End: 4095}, {Number: 1, Type: TypeLinux, Start: 8192, End: 9000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := base.Clone()
			var err error
			for _, p := range tt.add {
				if _, err = tb.Add(p); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPartitionDevice(t *testing.T) {
	for disk, want := range map[string]string{"/dev/sda": "/dev/sda2", "/dev/nvme0n1": "/dev/nvme0n1p2", "/dev/loop3": "/dev/loop3p2", "/dev/vdb": "/dev/vdb2"} {
		if got := PartitionDevice(disk, 2); got != want {
			t.Errorf("PartitionDevice(%s, 2) = %s, want %s", disk, got, want)
		}
	}
}

func TestTypeFromCode(t *testing.T) {
	for code, want := range map[string]string{"EF00": TypeESP, "ef02": TypeBIOSBoot, "8e00": TypeLVM, "bf01": TypeZFS, strings.ToLower(TypeLinux): TypeLinux} {
		got, err := TypeFromCode(code)
		if err != nil || got != want {
			t.Errorf("TypeFromCode(%s) = %s, %v; want %s", code, got, err, want)
		}
	}
	if _, err := TypeFromCode("zz99"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown code: err = %v", err)
	}
}

func TestGeometryImage(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	sectors, ss, err := Geometry(img)
	if err != nil || sectors != 6144 || ss != 512 {
		t.Errorf("Geometry = %d, %d, %v; want 6144, 512", sectors, ss, err)
	}
	if _, _, err := Geometry(img + ".missing"); err == nil {
		t.Error("Geometry of a missing file succeeded")
	}
}
