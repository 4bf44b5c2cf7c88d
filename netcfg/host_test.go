package netcfg

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/testenv"
)

// hostFixture copies the fixture host's network files into a temporary
// root and opens it.
func hostFixture(t *testing.T) (*Host, string) {
	t.Helper()
	root := t.TempDir()
	for _, sub := range []string{"etc/network", "etc/systemd/network", "proc/cmdline"} {
		copyTree(t, filepath.Join("../testdata/pve8", sub), filepath.Join(root, sub))
	}
	h, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, root
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	st, err := os.Stat(src)
	if err == nil && st.IsDir() {
		err = os.CopyFS(dst, os.DirFS(src))
	} else if err == nil {
		var b []byte
		if b, err = os.ReadFile(src); err == nil {
			err = errors.Join(os.MkdirAll(filepath.Dir(dst), 0o755), os.WriteFile(dst, b, 0o644))
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestStaging(t *testing.T) {
	ctx := context.Background()
	h, root := hostFixture(t)
	live := filepath.Join(root, "etc/network/interfaces")
	original := mustReadFile(t, live)

	base, err := h.Editable()
	if err != nil || base.Path != "/etc/network/interfaces" || !base.Exists {
		t.Fatalf("Editable = %+v, %v", base, err)
	}
	if d, err := h.Diff(); err != nil || d != "" {
		t.Errorf("Diff with nothing pending = %q, %v", d, err)
	}

	// Edit: MTU on the bridge, a new bridge.
	f := base.File
	f.Stanza("vmbr0").Set("mtu", "9000")
	br := f.AddStanza("vmbr1", "inet", "manual", true)
	br.Add("bridge-ports", "none")
	if err := h.Stage(ctx, f, base); err != nil {
		t.Fatal(err)
	}
	if got := mustReadFile(t, live); got != original {
		t.Error("Stage changed the live file")
	}
	diff, err := h.Diff()
	if err != nil {
		t.Fatal(err)
	}
	wantDiff := `--- /etc/network/interfaces
+++ /etc/network/interfaces.new
@@ -23,6 +23,11 @@
 	bridge-ports eno1
 	bridge-stp off
 	bridge-fd 0
+	mtu 9000
 
 
 source /etc/network/interfaces.d/*
+
+auto vmbr1
+iface vmbr1 inet manual
+	bridge-ports none
`
	if d := cmp.Diff(wantDiff, diff); d != "" {
		t.Errorf("Diff mismatch (-want +got):\n%s", d)
	}
	checkPatch(t, original, diff, mustReadFile(t, live+".new"))

	// A second edit starts from the pending file.
	p, err := h.Editable()
	if err != nil || p.Path != "/etc/network/interfaces.new" {
		t.Fatalf("Editable with pending = %+v, %v", p, err)
	}
	// Someone else edits the staging file meanwhile: refused.
	os.WriteFile(live+".new", []byte(mustReadFile(t, live+".new")+"# gui\n"), 0o644)
	p.File.Stanza("vmbr1").Set("mtu", "1400")
	if err := h.Stage(ctx, p.File, p); !errors.Is(err, ErrConflict) {
		t.Errorf("Stage over a concurrent edit = %v, want ErrConflict", err)
	}
	if !strings.HasSuffix(mustReadFile(t, live+".new"), "# gui\n") {
		t.Error("the concurrent edit was overwritten")
	}
	// An edit based on the live file while something is pending: refused.
	if err := h.Stage(ctx, base.File, base); !errors.Is(err, ErrConflict) {
		t.Errorf("Stage from the live file while pending = %v, want ErrConflict", err)
	}

	// Revert with a stale digest keeps the file; with none removes it.
	if err := h.Revert(ctx, p.Digest); !errors.Is(err, ErrConflict) {
		t.Errorf("Revert with stale digest = %v", err)
	}
	if err := h.Revert(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Revert left the staging file")
	}
	if _, err := h.Commit(ctx, ""); !errors.Is(err, ErrNoPending) {
		t.Errorf("Commit with nothing pending = %v", err)
	}
}

func TestCommitRollback(t *testing.T) {
	ctx := context.Background()
	h, root := hostFixture(t)
	live := filepath.Join(root, "etc/network/interfaces")
	original := mustReadFile(t, live)
	base, _ := h.Editable()
	base.File.Stanza("vmbr0").Set("bridge-fd", "2")
	if err := h.Stage(ctx, base.File, base); err != nil {
		t.Fatal(err)
	}
	p, _ := h.Pending()
	if _, err := h.Commit(ctx, "0000"); !errors.Is(err, ErrConflict) {
		t.Errorf("Commit with a wrong digest = %v", err)
	}
	c, err := h.Commit(ctx, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustReadFile(t, live); !strings.Contains(got, "bridge-fd 2") || string(c.Previous) != original {
		t.Errorf("after Commit: live %q, previous %q", got, c.Previous)
	}
	if _, err := os.Stat(live + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Commit left the staging file")
	}
	if err := h.Rollback(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := mustReadFile(t, live); got != original {
		t.Errorf("Rollback did not restore the live file:\n%s", got)
	}
	if got := mustReadFile(t, live+".new"); got != string(c.Data) {
		t.Error("Rollback lost the committed change")
	}
	// A rollback after someone else changed the live file is refused.
	c2, err := h.Commit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(live, []byte("auto lo\n"), 0o644)
	if err := h.Rollback(ctx, c2); !errors.Is(err, ErrConflict) {
		t.Errorf("Rollback over a changed file = %v", err)
	}
}

func TestLinks(t *testing.T) {
	ctx := context.Background()
	h, root := hostFixture(t)
	links, err := h.Links()
	if err != nil || len(links) != 1 {
		t.Fatalf("Links = %+v, %v", links, err)
	}
	if l := links[0]; l.Path != "/etc/systemd/network/10-enwan0.link" || l.File.LinkName() != "enwan0" {
		t.Errorf("link = %+v", l)
	}
	mac, _ := net.ParseMAC("aa:bb:cc:dd:ee:01")
	p, err := h.PinName(ctx, 20, "", mac, "enlan0")
	if err != nil || p != "/etc/systemd/network/20-enlan0.link" {
		t.Fatalf("PinName = %q, %v", p, err)
	}
	want := "[Match]\nMACAddress=aa:bb:cc:dd:ee:01\n\n[Link]\nName=enlan0\n"
	if got := mustReadFile(t, filepath.Join(root, p)); got != want {
		t.Errorf("pin file = %q", got)
	}
	if _, err := h.PinName(ctx, 20, "", mac, "enlan0"); err != nil {
		t.Errorf("repeating the same pin: %v", err)
	}
	other, _ := net.ParseMAC("aa:bb:cc:dd:ee:02")
	for _, tc := range []struct {
		name string
		prio int
		mac  net.HardwareAddr
		pin  string
	}{
		{"name taken", 30, other, "enwan0"},
		{"MAC named earlier", 30, mac, "enlan9"},
		{"priority 99", 99, other, "enx1"},
		{"predictable name", 30, other, "eno7"},
		{"kernel name", 30, other, "eth3"},
		{"not physical-looking", 30, other, "wan0"},
		{"too long", 30, other, "enverylongname00"},
	} {
		if _, err := h.PinName(ctx, tc.prio, "", tc.mac, tc.pin); !errors.Is(err, ErrLink) && !errors.Is(err, ErrName) {
			t.Errorf("%s: PinName(%d, %s) = %v, want ErrLink or ErrName", tc.name, tc.prio, tc.pin, err)
		}
	}
	if v, ok, err := h.RunningNamingScheme(); err != nil || ok || v != "" {
		t.Errorf("naming scheme of the fixture = %q %v %v", v, ok, err)
	}
}

// checkPatch applies a unified diff to a with patch(1) and compares the
// result with b, in a subtest that needs the tool.
func checkPatch(t *testing.T, a, diff, b string) {
	t.Helper()
	t.Run("patch", func(t *testing.T) {
		testenv.RequireTool(t, "patch")
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		os.WriteFile(f, []byte(a), 0o644)
		cmd := exec.Command("patch", "-s", f)
		cmd.Stdin = strings.NewReader(diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v: %s\n%s", err, out, diff)
		}
		if got := mustReadFile(t, f); got != b {
			t.Errorf("patched file differs:\n%s\nwant\n%s", got, b)
		}
	})
}

func TestUnifiedDiff(t *testing.T) {
	cases := []struct{ name, a, b string }{
		{"add at end", "a\nb\n", "a\nb\nc\n"},
		{"remove first", "a\nb\nc\n", "b\nc\n"},
		{"change middle of long", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n10\nY\n12\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n"},
		{"no final newline", "a\nb", "a\nc"},
		{"from empty", "", "a\n"},
		{"to empty", "a\nb\n", ""},
		{"reorder", "a\nb\nc\nd\n", "d\nc\nb\na\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := UnifiedDiff("a", "b", []byte(c.a), []byte(c.b))
			checkPatch(t, c.a, d, c.b)
			t.Run("diff", func(t *testing.T) {
				testenv.RequireTool(t, "diff")
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "a"), []byte(c.a), 0o644)
				os.WriteFile(filepath.Join(dir, "b"), []byte(c.b), 0o644)
				cmd := exec.Command("diff", "-u", "--label", "a", "--label", "b", "a", "b")
				cmd.Dir = dir
				want, _ := cmd.Output()
				if string(want) != d {
					t.Errorf("differs from diff -u:\n%s\nvs\n%s", d, want)
				}
			})
		})
	}
	if d := UnifiedDiff("a", "b", []byte("x\n"), []byte("x\n")); d != "" {
		t.Errorf("equal inputs give %q", d)
	}
}

func TestSetIPv6(t *testing.T) {
	ctx := context.Background()
	h, root := hostFixture(t)
	copyTree(t, "../testdata/pve8/proc/sys", filepath.Join(root, "proc/sys"))
	st, err := h.SetIPv6(ctx, "", false, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].File != IPv6File || st[1].Value != "1" {
		t.Errorf("settings = %+v", st)
	}
	if got := mustReadFile(t, filepath.Join(root, IPv6File)); got != mustReadFile(t, "testdata/spec/disable-ipv6.conf") {
		t.Errorf("snippet = %q", got)
	}
	if got := mustReadFile(t, filepath.Join(root, "proc/sys/net/ipv6/conf/all/disable_ipv6")); got != "1\n" {
		t.Errorf("runtime = %q", got)
	}
	if _, err := h.SetIPv6(ctx, "", true, false); err != nil {
		t.Fatal(err)
	}
	if got := mustReadFile(t, filepath.Join(root, IPv6File)); got != "" {
		t.Errorf("after enabling: %q", got)
	}
}
