package boot

import (
	"context"
	"testing"
)

const fixture = "../testdata/pve8"

// The fixture is an LVM install on UEFI (Secure Boot off): shim and GRUB.
func TestDetectFixture(t *testing.T) {
	m, err := New(&Config{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	d, err := m.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Loader != LoaderGRUBEFI || !d.EFI || d.ZFSRoot || d.ProxmoxBootTool || d.SecureBoot == nil || *d.SecureBoot {
		t.Errorf("detection = %+v", d)
	}
	if d.BootCurrent == nil || d.BootCurrent.File != `\EFI\proxmox\shimx64.efi` || d.Root == nil || d.Root.FSType != "ext4" {
		t.Errorf("boot current %+v root %+v", d.BootCurrent, d.Root)
	}
	src, err := m.Cmdline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if src.File != GrubDefaultFile || src.Line != 9 || src.Cmdline != "quiet" {
		t.Errorf("cmdline source = %+v", src)
	}
	st, err := m.Status(context.Background(), false)
	if err != nil || st.Configured {
		t.Errorf("status: %+v %v", st, err)
	}
	k, err := m.Kernels(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Running != "6.8.12-4-pve" || len(k.Selected) == 0 {
		t.Errorf("kernels = %+v", k)
	}
	def, err := m.GrubDefault("6.8.12-2-pve")
	if err != nil || def != "gnulinux-advanced-7c2e61b4-5a3f-4c1e-9d2b-8e4f0a6b1c3d>gnulinux-6.8.12-2-pve-advanced-7c2e61b4-5a3f-4c1e-9d2b-8e4f0a6b1c3d" {
		t.Errorf("GrubDefault = %q, %v", def, err)
	}
}

func TestKernelSelection(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, "6.8.12-4-pve", "6.8.12-2-pve", "6.8.8-4-pve", "6.5.13-6-pve", "6.5.11-8-pve")
	writeTree(t, root, map[string]string{
		ManualKernelsFile[1:]:       "6.5.11-8-pve\n",
		NextBootPinFile[1:]:         "6.8.8-4-pve\n",
		"proc/sys/kernel/osrelease": "6.2.16-20-pve\n", // running, but its image is gone
	})
	m, _ := newTestManager(t, root, nil, nil)
	k, err := m.Kernels(ctx, "6.8.12-5-pve")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"6.8.12-5-pve", "6.8.12-4-pve", "6.8.12-2-pve", "6.8.8-4-pve", "6.5.13-6-pve", "6.5.11-8-pve"}
	if !equal(k.Selected, want) || k.Running != "" || k.OldSeriesLatest != "6.5.13-6-pve" || k.Default() != "6.8.8-4-pve" {
		t.Errorf("kernels = %+v", k)
	}
	if !equal(k.Automatic, want[:5]) {
		t.Errorf("automatic = %v", k.Automatic)
	}
	if err := m.AddKernel(ctx, "6.4.0-1-pve"); err == nil {
		t.Error("added a kernel without an image")
	}
	if err := m.AddKernel(ctx, "6.8.8-4-pve"); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, root, ManualKernelsFile); got != "6.5.11-8-pve\n6.8.8-4-pve\n" {
		t.Errorf("manual list = %q", got)
	}
	if ok, err := m.RemoveKernel(ctx, "6.5.11-8-pve"); !ok || err != nil {
		t.Errorf("remove = %v %v", ok, err)
	}
	last, err := m.Unpin(ctx, true)
	if err != nil || last != "6.8.8-4-pve" {
		t.Errorf("unpin = %q %v", last, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCompareVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"6.8.12-4-pve", "6.8.12-10-pve", -1},
		{"6.8.12-4-pve", "6.8.8-4-pve", 1},
		{"6.8", "6.8.12-4-pve", -1},
		{"1.0~rc1", "1.0", -1},
		{"1:1.0", "2.0", 1},
		{"5.15.30-1-pve", "5.15.30-1-pve", 0},
	} {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
