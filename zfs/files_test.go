package zfs

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

const fixture = "../testdata/pve8"

// copyFixture copies the files of the Proxmox VE fixture that the tests
// edit into a temporary root.
func copyFixture(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(fixture, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRecommendedARC(t *testing.T) {
	for storage, want := range map[uint64]uint64{0: 2 * GiB, 8 * TiB: 10 * GiB, 1 * TiB: 3 * GiB, 500 * GiB: 2*GiB + 500*MiB} {
		if got := RecommendedARC(storage); got != want {
			t.Errorf("RecommendedARC(%s) = %s, want %s", HumanSize(storage), HumanSize(got), HumanSize(want))
		}
	}
}

func TestARCFixture(t *testing.T) {
	c, _ := newTestClient(t, fixture)
	a, err := c.ARC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &ARC{Loaded: true, Size: 8423170048, Target: 8 * GiB, Min: 65755012 * 1024 / 32, Max: 8 * GiB,
		ParamMax: 8 * GiB, ConfigMax: 8 * GiB, ConfigMaxLine: 1, MemTotal: 65755012 * 1024}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("ARC mismatch (-want +got):\n%s", diff)
	}
	if a.MaxIgnored() {
		t.Error("8G over a 2G minimum reported as ignored")
	}
}

func TestSetARCMinFirst(t *testing.T) {
	root := copyFixture(t, "proc/spl/kstat/zfs/arcstats", "proc/meminfo", "sys/module/zfs/parameters/zfs_arc_max",
		"sys/module/zfs/parameters/zfs_arc_min", "etc/modprobe.d/zfs.conf")
	c, _ := newTestClient(t, root)
	// 1G is below the 2G default minimum (1/32 of 64G): min goes first.
	ch, err := c.SetARC(context.Background(), ARCSettings{Max: GiB, Runtime: true, Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &ARCChange{Steps: []string{"zfs_arc_min=1073741823", "zfs_arc_max=1073741824"}, Persisted: true}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("change mismatch (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{
		"sys/module/zfs/parameters/zfs_arc_max": "1073741824\n",
		"sys/module/zfs/parameters/zfs_arc_min": "1073741823\n",
		"etc/modprobe.d/zfs.conf":               "options zfs zfs_arc_max=1073741824\n",
	} {
		got, _ := os.ReadFile(filepath.Join(root, name))
		if string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Above the minimum only the maximum is written.
	ch, err = c.SetARC(context.Background(), ARCSettings{Max: 16 * GiB, Runtime: true})
	if err != nil || len(ch.Steps) != 1 || ch.Steps[0] != "zfs_arc_max=17179869184" {
		t.Errorf("SetARC(16G) = %+v, %v", ch, err)
	}
	if _, err := c.SetARC(context.Background(), ARCSettings{Max: GiB, Min: 2 * GiB, Runtime: true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("min above max: %v", err)
	}
}

func TestSetARCRootOnZFS(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc/self"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/self/mounts"), []byte("rpool/ROOT/pve-1 / zfs rw,relatime,xattr,noacl,casesensitive 0 0\n"), 0o644)
	c, f := newTestClient(t, root)
	ch, err := c.SetARC(context.Background(), ARCSettings{Max: 10 * GiB, Persistent: true})
	if err != nil || !ch.InitramfsUpdate {
		t.Errorf("SetARC = %+v, %v; want an initramfs update", ch, err)
	}
	got, _ := os.ReadFile(filepath.Join(root, ModprobeFile))
	if string(got) != "options zfs zfs_arc_max=10737418240\n" {
		t.Errorf("zfs.conf = %q", got)
	}
	f.Expect("update-initramfs", "-u", "-k", "all")
	if err := c.UpdateInitramfs(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Boot().RootDataset != "rpool/ROOT/pve-1" {
		t.Errorf("boot %+v", c.Boot())
	}
}

func TestModprobeEdits(t *testing.T) {
	in := "# ZFS tuning\noptions zfs zfs_arc_max=8589934592 zfs_txg_timeout=5\n\nblacklist nouveau\noptions zfs \\\n  zfs_arc_min=1\n"
	for _, tc := range []struct {
		name string
		edit func(m *ModprobeConf) error
		want string
	}{
		{"untouched", func(m *ModprobeConf) error { return nil }, in},
		{"set in place", func(m *ModprobeConf) error { return m.SetOption("zfs", "zfs_arc_max", "4294967296") },
			strings.Replace(in, "8589934592", "4294967296", 1)},
		{"set continued", func(m *ModprobeConf) error { return m.SetOption("zfs", "zfs_arc_min", "2") },
			strings.Replace(in, "options zfs \\\n  zfs_arc_min=1", "options zfs zfs_arc_min=2", 1)},
		{"append to last", func(m *ModprobeConf) error { return m.SetOption("zfs", "l2arc_noprefetch", "0") },
			in[:len(in)-1] + " l2arc_noprefetch=0\n"},
		{"new module", func(m *ModprobeConf) error { return m.SetOption("kvm", "ignore_msrs", "1") }, in + "options kvm ignore_msrs=1\n"},
		{"delete drops line", func(m *ModprobeConf) error { m.DeleteOption("zfs", "zfs_arc_min"); return nil },
			"# ZFS tuning\noptions zfs zfs_arc_max=8589934592 zfs_txg_timeout=5\n\nblacklist nouveau\n"},
		{"delete token", func(m *ModprobeConf) error { m.DeleteOption("zfs", "zfs_txg_timeout"); return nil },
			strings.Replace(in, " zfs_txg_timeout=5", "", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseModprobe("zfs.conf", []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.edit(m); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(m.Format())); diff != "" {
				t.Errorf("file mismatch (-want +got):\n%s", diff)
			}
		})
	}
	m, _ := ParseModprobe("zfs.conf", []byte(in))
	if v, line, ok := m.Option("zfs", "zfs_arc_min"); !ok || v != "1" || line != 5 {
		t.Errorf("Option = %q line %d %v", v, line, ok)
	}
	if _, err := ParseModprobe("x.conf", []byte("options\n")); !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "x.conf:1:1:") {
		t.Errorf("err = %v", err)
	}
	if err := m.SetOption("zfs", "zfs_arc_max", "1 2"); !errors.Is(err, ErrInvalid) {
		t.Errorf("value with space: %v", err)
	}
}

func TestModprobeBackslashes(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		value          string // zfs_arc_min as read, "" for unset
	}{
		// modprobe joins a continued line without a space.
		{"join", "options zfs zfs_arc_min=1\\\n0\n", "options zfs zfs_arc_min=1\\\n0 zfs_arc_max=123\n", "10"},
		{"escaped backslash", "options zfs zfs_arc_min=a\\\\\n", "options zfs zfs_arc_min=a\\\\ zfs_arc_max=123\n", "a\\"},
		{"dangling at the end", "options zfs\\", "options zfs zfs_arc_max=123", ""},
		{"dangling after a newline", "options zfs\\\n", "options zfs zfs_arc_max=123\n", ""},
		{"other module dangling", "options kvm\\", "options kvm\\\n\noptions zfs zfs_arc_max=123\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseModprobe("zfs.conf", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if v, _, _ := m.Option("zfs", "zfs_arc_min"); v != tc.value {
				t.Errorf("zfs_arc_min = %q, want %q", v, tc.value)
			}
			if err := m.SetOption("zfs", "zfs_arc_max", "123"); err != nil {
				t.Fatal(err)
			}
			if got := string(m.Format()); got != tc.want {
				t.Errorf("edited file = %q, want %q", got, tc.want)
			}
		})
	}
	m, _ := ParseModprobe("zfs.conf", []byte("options zfs a=x\\\\y zfs_arc_max=1\n"))
	m.SetOption("zfs", "zfs_arc_max", "2")
	if got := string(m.Format()); got != "options zfs a=x\\\\y zfs_arc_max=2\n" {
		t.Errorf("in-place edit lost an escaped backslash: %q", got)
	}
}

// TestModprobeMatchesKmod reads files with continued lines and escapes
// as modprobe -c reads them.
func TestModprobeMatchesKmod(t *testing.T) {
	testenv.RequireTool(t, "modprobe")
	in := "# c \\\noptions zfs x=1\n" +
		"options zfs zfs_arc_min=1\\\n0 a=x\\\\y b=c\\d\n" +
		"options hostadm-test \\\n  p=1 \\\n\tq=2\n" +
		"options hostadm_test r=3\\"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.conf"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("modprobe", "-C", dir, "-c").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "options" || f[1] != "zfs" && f[1] != "hostadm_test" {
			continue
		}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			// modprobe keeps a backslash that ends the file as a 0xff byte.
			want[f[1]+" "+k] = strings.TrimSuffix(v, "\xff")
		}
	}
	m, err := ParseModprobe("t.conf", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, modprobeOptions(m)); diff != "" {
		t.Errorf("options differ from modprobe -c (-modprobe +ours):\n%s", diff)
	}
	if len(want) != 6 {
		t.Errorf("modprobe -c gave %d options, want 6: %v", len(want), want)
	}
}

// modprobeOptions lists every module parameter a file sets, as modprobe
// reads them.
func modprobeOptions(m *ModprobeConf) map[string]string {
	out := map[string]string{}
	for _, l := range m.logical() {
		f := strings.Fields(l.text)
		if len(f) < 3 || f[0] != "options" {
			continue
		}
		for _, kv := range f[2:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				out[strings.ReplaceAll(f[1], "-", "_")+" "+k] = v
			}
		}
	}
	return out
}

func FuzzModprobeRoundTrip(f *testing.F) {
	f.Add(readTestdata(f, "../../testdata/pve8/etc/modprobe.d/zfs.conf"))
	f.Add([]byte("options zfs zfs_arc_max=1 \\\n zfs_arc_min=0\n# c\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseModprobe("fuzz", in)
		if err != nil {
			return
		}
		if string(m.Format()) != string(in) {
			t.Fatalf("untouched file changed:\n%q\n%q", in, m.Format())
		}
		want := modprobeOptions(m)
		if err := m.SetOption("zfs", "zfs_arc_max", "123"); err != nil {
			t.Fatal(err)
		}
		again, err := ParseModprobe("again", m.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v", err)
		}
		if v, _, ok := again.Option("zfs", "zfs_arc_max"); !ok || v != "123" {
			t.Fatalf("edit lost: %q %v\n%s", v, ok, m.Format())
		}
		want["zfs zfs_arc_max"] = "123"
		if diff := cmp.Diff(want, modprobeOptions(again)); diff != "" {
			t.Fatalf("options changed (-want +got):\n%s\n%q\n%q", diff, in, m.Format())
		}
	})
}

func TestZEDFixture(t *testing.T) {
	in := readTestdata(t, "zed.rc")
	z, err := ParseZED("zed.rc", in)
	if err != nil {
		t.Fatal(err)
	}
	if string(z.Format()) != string(in) {
		t.Fatal("untouched zed.rc changed")
	}
	if v, line, ok := z.Get("ZED_EMAIL_ADDR"); !ok || v != "root" || line != 18 {
		t.Errorf("ZED_EMAIL_ADDR = %q line %d %v", v, line, ok)
	}
	if v, ok := z.Default("ZED_EMAIL_OPTS"); !ok || v != "-s '@SUBJECT@' @ADDRESS@" {
		t.Errorf("ZED_EMAIL_OPTS default = %q", v)
	}
	if _, _, ok := z.Get("ZED_NOTIFY_VERBOSE"); ok {
		t.Error("commented default read as set")
	}
	if err := z.Set("ZED_EMAIL_ADDR", `admin@example.com "ops"`); err != nil {
		t.Fatal(err)
	}
	if err := z.Set("ZED_NOTIFY_VERBOSE", "1"); err != nil {
		t.Fatal(err)
	}
	z.Unset("ZED_USE_ENCLOSURE_LEDS")
	out := string(z.Format())
	want := strings.Replace(string(in), `ZED_EMAIL_ADDR="root"`, `ZED_EMAIL_ADDR="admin@example.com \"ops\""`, 1)
	want = strings.Replace(want, "#ZED_NOTIFY_VERBOSE=0\n", "#ZED_NOTIFY_VERBOSE=0\nZED_NOTIFY_VERBOSE=\"1\"\n", 1)
	want = strings.Replace(want, "\nZED_USE_ENCLOSURE_LEDS=1\n", "\n#ZED_USE_ENCLOSURE_LEDS=1\n", 1)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("edited zed.rc mismatch (-want +got):\n%s", diff)
	}
	again, err := ParseZED("again", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := again.Get("ZED_EMAIL_ADDR"); v != `admin@example.com "ops"` {
		t.Errorf("reparsed ZED_EMAIL_ADDR = %q", v)
	}
	for _, bad := range []string{"ZED_EMAIL_ADDR=\"root\n", "ZED_X=$(reboot)\n", "hello world\n", "ZED_X=a b\n", "ZED_X=a\\\nZED_Y=b\n"} {
		if _, err := ParseZED("bad.rc", []byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseZED(%q) = %v, want a syntax error", bad, err)
		}
	}
}

func TestUpdateZEDConflict(t *testing.T) {
	root := copyFixture(t, "etc/zfs/zed.d/zed.rc")
	c, _ := newTestClient(t, root)
	err := c.UpdateZED(context.Background(), func(z *ZEDConfig) error {
		// Someone edits the file meanwhile.
		os.WriteFile(filepath.Join(root, ZEDFile), []byte("ZED_EMAIL_ADDR=\"other\"\n"), 0o644)
		return z.Set("ZED_EMAIL_ADDR", "me@example.com")
	})
	if err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("concurrent edit not refused: %v", err)
	}
	if err := c.UpdateZED(context.Background(), func(z *ZEDConfig) error { return z.Set("ZED_EMAIL_ADDR", "me@example.com") }); err != nil {
		t.Fatal(err)
	}
	z, _ := c.ZED()
	if v, _, _ := z.Get("ZED_EMAIL_ADDR"); v != "me@example.com" {
		t.Errorf("ZED_EMAIL_ADDR = %q", v)
	}
}

func FuzzZEDRoundTrip(f *testing.F) {
	f.Add(readTestdata(f, "zed.rc"))
	f.Add([]byte("export ZED_A='x y' # c\nZED_B=\"a\\\"b\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		z, err := ParseZED("fuzz", in)
		if err != nil {
			return
		}
		if string(z.Format()) != string(in) {
			t.Fatalf("untouched file changed")
		}
		const v = `it's "$HOME" \ok`
		if err := z.Set("ZED_EMAIL_ADDR", v); err != nil {
			t.Fatal(err)
		}
		again, err := ParseZED("again", z.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%s", err, z.Format())
		}
		if got, _, _ := again.Get("ZED_EMAIL_ADDR"); got != v {
			t.Fatalf("value %q came back as %q", v, got)
		}
	})
}

func TestStorageEntries(t *testing.T) {
	root := copyFixture(t, "etc/pve/storage.cfg")
	c, _ := newTestClient(t, root)
	st, err := c.Storages()
	if err != nil {
		t.Fatal(err)
	}
	want := []Storage{{ID: "tank", Pool: "tank", Sparse: true, Content: []string{"images", "rootdir"}, Mountpoint: "/tank", Line: 10}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("storages mismatch (-want +got):\n%s", diff)
	}
	before, _ := os.ReadFile(filepath.Join(root, StorageFile))
	if err := c.AddStorage(context.Background(), LocalZFS()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(root, StorageFile))
	wantText := string(before) + "\nzfspool: local-zfs\n\tpool rpool/data\n\tsparse\n\tcontent images,rootdir\n"
	if diff := cmp.Diff(wantText, string(after)); diff != "" {
		t.Errorf("storage.cfg mismatch (-want +got):\n%s", diff)
	}
	if err := c.AddStorage(context.Background(), LocalZFS()); err == nil {
		t.Error("duplicate id accepted")
	}
	if err := c.AddStorage(context.Background(), Storage{ID: "x", Pool: "tank", Content: []string{"iso"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("iso content: %v", err)
	}
	s := st[0]
	s.Blocksize = "16k"
	if err := c.UpdateStorage(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveStorage(context.Background(), "local-zfs"); err != nil {
		t.Fatal(err)
	}
	final, _ := os.ReadFile(filepath.Join(root, StorageFile))
	if diff := cmp.Diff(string(before)+"\tblocksize 16k\n", string(final)); diff != "" {
		t.Errorf("after update and remove (-want +got):\n%s", diff)
	}
	if err := c.RemoveStorage(context.Background(), "local-lvm"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing an lvmthin entry: %v", err)
	}
}

func TestSwapOnZvol(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.MkdirAll(filepath.Join(root, "dev/zvol/rpool"), 0o755)
	os.WriteFile(filepath.Join(root, "dev/zd0"), nil, 0o644)
	os.Symlink("../../zd0", filepath.Join(root, "dev/zvol/rpool/swap"))
	os.WriteFile(filepath.Join(root, "proc/swaps"), []byte("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/zd0                                partition\t4194300\t\t0\t\t-2\n/dev/sda3                               partition\t8388604\t\t1024\t\t-3\n"), 0o644)
	c, _ := newTestClient(t, root)
	swaps, err := c.Swaps()
	if err != nil {
		t.Fatal(err)
	}
	want := []SwapDevice{
		{Path: "/dev/zd0", Type: "partition", Size: 4194300 * 1024, Priority: -2, Zvol: "rpool/swap"},
		{Path: "/dev/sda3", Type: "partition", Size: 8388604 * 1024, Used: 1024 * 1024, Priority: -3},
	}
	if diff := cmp.Diff(want, swaps); diff != "" {
		t.Errorf("swaps mismatch (-want +got):\n%s", diff)
	}
}

func TestUpgradeRefusedOnGRUBRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc/self"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/self/mounts"), []byte("rpool/ROOT/pve-1 / zfs rw 0 0\n"), 0o644)
	c, f := newTestClient(t, root)
	if err := c.UpgradePool(context.Background(), "rpool", nil); !errors.Is(err, ErrBootRisk) {
		t.Errorf("upgrade of GRUB root pool: %v", err)
	}
	if err := c.EnableFeature(context.Background(), "rpool", "encryption", nil); !errors.Is(err, ErrBootRisk) {
		t.Errorf("enable feature on GRUB root pool: %v", err)
	}
	f.Expect("zpool", "upgrade", "tank")
	if err := c.UpgradePool(context.Background(), "tank", nil); err != nil {
		t.Errorf("upgrade of a data pool: %v", err)
	}
	// With proxmox-boot-tool the kernels are on the ESPs.
	os.MkdirAll(filepath.Join(root, "etc/kernel"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/kernel/proxmox-boot-uuids"), []byte("5E3C-1A2B\n"), 0o644)
	f.Expect("zpool", "set", "feature@encryption=enabled", "rpool")
	if err := c.EnableFeature(context.Background(), "rpool", "feature@encryption", nil); err != nil {
		t.Errorf("enable on a proxmox-boot-tool host: %v", err)
	}
	f.Expect("zpool", "get", "-Hp", "-o", "name,property,value,source", "all", "tank").Stdout("tank\tsize\t1\t-\ntank\tfeature@encryption\tactive\tlocal\ntank\tfeature@draid\tdisabled\tlocal\n")
	feats, err := c.Features(context.Background(), "tank")
	if err != nil || len(feats) != 2 || feats[0] != (Feature{"encryption", "active"}) {
		t.Errorf("features %+v, %v", feats, err)
	}
	// Without root on ZFS, a pool with bootfs set counts as bootable.
	c2, f2 := newTestClient(t, "")
	f2.Expect("zpool", "get", "-Hp", "-o", "name,property,value,source", "bootfs", "rpool").Stdout("rpool\tbootfs\trpool/ROOT/pve-1\tlocal\n")
	if err := c2.UpgradePool(context.Background(), "rpool", nil); !errors.Is(err, ErrBootRisk) {
		t.Errorf("upgrade of a bootfs pool: %v", err)
	}
	f2.Expect("zpool", "upgrade", "rpool")
	if err := c2.UpgradePool(context.Background(), "rpool", &UpgradeOptions{IgnoreBootRisk: true}); err != nil {
		t.Errorf("upgrade with IgnoreBootRisk: %v", err)
	}
}
