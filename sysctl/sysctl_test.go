package sysctl

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/rootfs"
)

// fixture copies the parts of the Proxmox VE fixture tree that sysctl
// reads into a temporary root, plus extra files (path -> content; a
// content starting with "-> " makes a symbolic link).
func fixture(t *testing.T, extra map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, sub := range []string{"etc/sysctl.conf", "etc/sysctl.d", "proc/sys"} {
		copyTree(t, filepath.Join("../testdata/pve8", sub), filepath.Join(root, sub))
	}
	for name, content := range extra {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
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

func open(t *testing.T, root string) *Sysctl {
	t.Helper()
	s, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRuntime(t *testing.T) {
	root := fixture(t, nil)
	s := open(t, root)
	if got, err := s.Get("net.ipv4.ip_forward"); err != nil || got != "0" {
		t.Fatalf("Get ip_forward = %q, %v", got, err)
	}
	if err := s.Set("net/ipv4/conf/eno1/proxy_arp", "1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("net.ipv4.conf.eno1.proxy_arp"); err != nil || got != "1" {
		t.Errorf("after Set: %q, %v", got, err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "proc/sys/net/ipv4/conf/eno1/proxy_arp"))
	if string(b) != "1\n" {
		t.Errorf("file holds %q", b)
	}
	if _, err := s.Get("net.ipv4.nonexistent"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing parameter: %v, want fs.ErrNotExist", err)
	}
	if err := s.Set("net.ipv4.nonexistent", "1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("set missing parameter: %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"", "net.ipv4.conf.*.rp_filter", "/"} {
		if _, err := s.Get(bad); !errors.Is(err, ErrName) {
			t.Errorf("Get(%q) = %v, want ErrName", bad, err)
		}
	}
}

func TestFilesPrecedence(t *testing.T) {
	root := fixture(t, map[string]string{
		"usr/lib/sysctl.d/50-pid-max.conf":      "kernel.pid_max = 4194304\n",
		"usr/lib/sysctl.d/10-vendor.conf":       "vm.swappiness = 60\nnet.ipv4.conf.*.rp_filter = 2\n",
		"etc/sysctl.d/10-vendor.conf":           "vm.swappiness = 30\n",
		"run/sysctl.d/40-masked.conf":           "-> /dev/null",
		"usr/lib/sysctl.d/40-masked.conf":       "kernel.x = 1\n",
		"etc/sysctl.d/60-zfs.conf":              "vm.swappiness = 10\n-net.ipv4.conf.all.rp_filter\n",
		"usr/local/lib/sysctl.d/70-local.conf":  "net.ipv4.conf.default.rp_filter = 1\n",
		"etc/sysctl.d/README.sysctl.not-a-conf": "x = y\n",
	})
	s := open(t, root)
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	want := []ConfFile{
		{Path: "/etc/sysctl.d/10-vendor.conf"},
		{Path: "/usr/lib/sysctl.d/50-pid-max.conf"},
		{Path: "/etc/sysctl.d/60-zfs.conf"},
		{Path: "/usr/local/lib/sysctl.d/70-local.conf"},
		{Path: "/etc/sysctl.d/99-sysctl.conf", Target: "/etc/sysctl.conf"},
		{Path: "/usr/lib/sysctl.d/10-vendor.conf", HiddenBy: "/etc/sysctl.d/10-vendor.conf"},
		{Path: "/usr/lib/sysctl.d/40-masked.conf", HiddenBy: "/run/sysctl.d/40-masked.conf"},
		{Path: "/run/sysctl.d/40-masked.conf", Target: "/dev/null", Masked: true},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("Files mismatch (-want +got):\n%s", diff)
	}
	lookups := []struct {
		name  string
		want  Setting
		found bool
	}{
		{"vm.swappiness", Setting{Name: "vm.swappiness", Value: "10", File: "/etc/sysctl.d/60-zfs.conf", Line: 1, Overrides: []string{"/etc/sysctl.d/10-vendor.conf:1"}}, true},
		{"kernel.pid_max", Setting{Name: "kernel.pid_max", Value: "4194304", File: "/usr/lib/sysctl.d/50-pid-max.conf", Line: 1}, true},
		{"kernel.x", Setting{}, false},
		{"net.ipv4.conf.default.rp_filter", Setting{Name: "net.ipv4.conf.default.rp_filter", Value: "1", File: "/usr/local/lib/sysctl.d/70-local.conf", Line: 1}, true},
		{"net.ipv4.conf.all.rp_filter", Setting{}, false},
	}
	for _, l := range lookups {
		got, ok, err := s.Lookup(l.name)
		if err != nil || ok != l.found {
			t.Errorf("Lookup(%s) ok=%v err=%v, want ok=%v", l.name, ok, err, l.found)
		}
		if diff := cmp.Diff(l.want, got); diff != "" {
			t.Errorf("Lookup(%s) mismatch (-want +got):\n%s", l.name, diff)
		}
	}
}

func TestGlobLookup(t *testing.T) {
	root := fixture(t, map[string]string{"etc/sysctl.d/20-rp.conf": "net.ipv4.conf.*.rp_filter = 2\n"})
	s := open(t, root)
	got, ok, err := s.Lookup("net.ipv4.conf.eno1.rp_filter")
	if err != nil || !ok || got.Value != "2" || !got.Glob || got.Name != "net.ipv4.conf.*.rp_filter" {
		t.Errorf("Lookup through glob = %+v, %v, %v", got, ok, err)
	}
}

func TestPersist(t *testing.T) {
	ctx := context.Background()
	root := fixture(t, map[string]string{"etc/sysctl.d/90-late.conf": "vm.dirty_ratio = 5\n"})
	s := open(t, root)

	// The spec's snippet, written into a new file.
	for _, k := range []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"} {
		st, err := s.Persist(ctx, "/etc/sysctl.d/disable-ipv6.conf", k, "1")
		if err != nil || st.File != "/etc/sysctl.d/disable-ipv6.conf" {
			t.Fatalf("Persist %s: %+v, %v", k, st, err)
		}
	}
	got := mustRead(t, filepath.Join(root, "etc/sysctl.d/disable-ipv6.conf"))
	if want := mustRead(t, "../netcfg/testdata/spec/disable-ipv6.conf"); got != want {
		t.Errorf("disable-ipv6.conf = %q, want the spec's %q", got, want)
	}

	// /etc/sysctl.conf through Debian's 99-sysctl.conf link: only the
	// new line is added.
	before := mustRead(t, filepath.Join(root, "etc/sysctl.conf"))
	st, err := s.Persist(ctx, "/etc/sysctl.conf", "vm.swappiness", "10")
	if err != nil || st.File != "/etc/sysctl.d/99-sysctl.conf" || st.Value != "10" {
		t.Fatalf("Persist sysctl.conf: %+v, %v", st, err)
	}
	if after := mustRead(t, filepath.Join(root, "etc/sysctl.conf")); after != before+"vm.swappiness = 10\n" {
		t.Errorf("sysctl.conf changed beyond one line:\n%s", after)
	}

	// A later file overrides: the winner says so.
	st, err = s.Persist(ctx, "/etc/sysctl.d/10-early.conf", "vm.dirty_ratio", "20")
	if err != nil || st.File != "/etc/sysctl.d/90-late.conf" || st.Value != "5" {
		t.Errorf("overridden Persist: %+v, %v", st, err)
	}

	// A file systemd-sysctl does not read.
	if _, err := s.Persist(ctx, "/etc/sysctl.d/notes.txt", "a.b", "1"); !errors.Is(err, ErrFile) {
		t.Errorf("Persist to notes.txt: %v, want ErrFile", err)
	}
	os.Remove(filepath.Join(root, "etc/sysctl.d/99-sysctl.conf"))
	if _, err := s.Persist(ctx, "/etc/sysctl.conf", "kernel.panic", "10"); !errors.Is(err, ErrNotApplied) {
		t.Errorf("Persist to unlinked sysctl.conf: %v, want ErrNotApplied", err)
	}

	st, ok, err := s.Unpersist(ctx, "/etc/sysctl.d/disable-ipv6.conf", "net.ipv6.conf.all.disable_ipv6")
	if err != nil || ok {
		t.Errorf("Unpersist: %+v, %v, %v", st, ok, err)
	}
	if got := mustRead(t, filepath.Join(root, "etc/sysctl.d/disable-ipv6.conf")); got != "net.ipv6.conf.default.disable_ipv6 = 1\n" {
		t.Errorf("after Unpersist: %q", got)
	}
}

func TestPersistRefusesConcurrentEdit(t *testing.T) {
	root := fixture(t, nil)
	s := open(t, root)
	concurrent := "kernel.a = 1\n"
	s.beforeWrite = func() {
		if err := os.WriteFile(filepath.Join(root, "etc/sysctl.conf"), []byte(concurrent), 0o644); err != nil {
			t.Error(err)
		}
	}
	_, err := s.Persist(context.Background(), "/etc/sysctl.conf", "kernel.b", "2")
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Fatalf("Persist during a concurrent edit: %v, want rootfs.ErrConflict", err)
	}
	if got := mustRead(t, filepath.Join(root, "etc/sysctl.conf")); got != concurrent {
		t.Errorf("the concurrent edit was lost: %q", got)
	}
	s.beforeWrite = nil
	if _, err := s.Persist(context.Background(), "/etc/sysctl.conf", "kernel.b", "2"); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(root, "etc/sysctl.conf")); got != concurrent+"kernel.b = 2\n" {
		t.Errorf("sysctl.conf = %q", got)
	}
}
