package boot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCmdlineEdit(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(c *Cmdline) bool
		want     string
		changed  bool
	}{
		{"add flag", "root=ZFS=rpool/ROOT/pve-1 boot=zfs", func(c *Cmdline) bool { return c.Set(ParseParam("dis_ucode_ldr")) }, "root=ZFS=rpool/ROOT/pve-1 boot=zfs dis_ucode_ldr", true},
		{"add to empty", "", func(c *Cmdline) bool { return c.Set(ParseParam("quiet")) }, "quiet", true},
		{"replace in place", "quiet  net.naming-scheme=v247   splash", func(c *Cmdline) bool { return c.Set(ParseParam("net.naming-scheme=v252")) }, "quiet  net.naming-scheme=v252   splash", true},
		{"already set", "quiet net.naming-scheme=v252", func(c *Cmdline) bool { return c.Set(ParseParam("net.naming-scheme=v252")) }, "quiet net.naming-scheme=v252", false},
		{"dedupe", "a=1 b a=2", func(c *Cmdline) bool { return c.Set(ParseParam("a=3")) }, "a=3 b", true},
		{"remove middle", "quiet dis_ucode_ldr splash", func(c *Cmdline) bool { return c.Remove("dis_ucode_ldr") }, "quiet splash", true},
		{"remove first", "dis_ucode_ldr quiet", func(c *Cmdline) bool { return c.Remove("dis_ucode_ldr") }, "quiet", true},
		{"remove value only", "console=tty0 console=ttyS0,115200", func(c *Cmdline) bool { return c.Remove("console=ttyS0,115200") }, "console=tty0", true},
		{"remove missing", "quiet", func(c *Cmdline) bool { return c.Remove("splash") }, "quiet", false},
		{"quoted value", `quiet dyndbg="file x.c +p" splash`, func(c *Cmdline) bool { return c.Remove("dyndbg") }, "quiet splash", true},
		{"set quoted", "quiet", func(c *Cmdline) bool { return c.Set(ParseParam(`foo="a b"`)) }, `quiet foo="a b"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseCmdline(tt.in)
			if got := tt.edit(c); got != tt.changed {
				t.Errorf("changed = %v, want %v", got, tt.changed)
			}
			if c.String() != tt.want {
				t.Errorf("got %q, want %q", c.String(), tt.want)
			}
		})
	}
	c := ParseCmdline(`BOOT_IMAGE=/vmlinuz-6.8 root=/dev/mapper/pve-root ro quiet dyndbg="a b" net.naming-scheme=v252`)
	if p, ok := c.Get("net.naming-scheme"); !ok || p.Value != "v252" {
		t.Errorf("Get = %+v, %v", p, ok)
	}
	if p, _ := c.Get("dyndbg"); p.Value != "a b" {
		t.Errorf("quoted Get = %+v", p)
	}
}

func TestGrubDefaultsRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/grub.in")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseGrubDefaults("grub", b)
	if err != nil {
		t.Fatal(err)
	}
	if string(g.Format()) != string(b) {
		t.Fatal("untouched file does not format byte for byte")
	}
	env := g.Eval(nil)
	if env["GRUB_CMDLINE_LINUX_DEFAULT"] != "quiet" || env["GRUB_TIMEOUT"] != "5" || env["GRUB_DEFAULT"] != "0" {
		t.Errorf("eval: %v", env)
	}
	g.Set("GRUB_CMDLINE_LINUX_DEFAULT", "quiet dis_ucode_ldr")
	want := replaceOnce(string(b), `GRUB_CMDLINE_LINUX_DEFAULT="quiet"`, `GRUB_CMDLINE_LINUX_DEFAULT="quiet dis_ucode_ldr"`)
	if d := cmp.Diff(want, string(g.Format())); d != "" {
		t.Errorf("edit mismatch (-want +got):\n%s", d)
	}
}

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func TestGrubDefaultsErrors(t *testing.T) {
	_, err := ParseGrubDefaults("/etc/default/grub", []byte("GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) || pe.Line != 2 || pe.Col != 28 {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != `/etc/default/grub:2:28: unterminated " quote` {
		t.Errorf("message = %q", err)
	}
}

func TestGrubExpansion(t *testing.T) {
	g, err := ParseGrubDefaults("x", []byte("A=\"one\"\nB='$A'\nC=\"$A two\"\nD=${C}\\ three\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := g.Eval(nil)
	if d := cmp.Diff(map[string]string{"A": "one", "B": "$A", "C": "one two", "D": "one two three"}, env); d != "" {
		t.Errorf("eval mismatch (-want +got):\n%s", d)
	}
}

// TestCmdlineGRUB edits the kernel command line of a GRUB host whose
// grub.d snippet overrides /etc/default/grub.
func TestCmdlineGRUB(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	grub, _ := os.ReadFile("testdata/grub.in")
	writeTree(t, root, map[string]string{
		"etc/default/grub":                   string(grub),
		"etc/default/grub.d/init-select.cfg": "# Set by the init-select package\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT init=/lib/systemd/systemd\"\n",
		"etc/default/grub.d/zz-serial.cfg":   "GRUB_CMDLINE_LINUX=\"console=ttyS0,115200\"\n",
	})
	m, _ := newTestManager(t, root, nil, &Config{Loader: LoaderGRUBEFI})
	src, err := m.Cmdline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if src.Cmdline != "console=ttyS0,115200 quiet init=/lib/systemd/systemd" || src.File != "/etc/default/grub.d/init-select.cfg" || src.Line != 2 {
		t.Errorf("source = %+v", src)
	}
	changed, err := m.SetCmdlineParam(ctx, ParseParam("net.naming-scheme=v252"))
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if got := readTree(t, root, "etc/default/grub.d/init-select.cfg"); got != "# Set by the init-select package\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT init=/lib/systemd/systemd net.naming-scheme=v252\"\n" {
		t.Errorf("snippet = %q", got)
	}
	if readTree(t, root, "etc/default/grub") != string(grub) {
		t.Error("/etc/default/grub changed")
	}
	// quiet lives in /etc/default/grub: removal finds it there.
	if changed, err := m.RemoveCmdlineParam(ctx, "quiet"); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if got := readTree(t, root, "etc/default/grub"); got != replaceOnce(string(grub), `GRUB_CMDLINE_LINUX_DEFAULT="quiet"`, `GRUB_CMDLINE_LINUX_DEFAULT=""`) {
		t.Errorf("grub after remove:\n%s", got)
	}
	if p, ok, _ := m.CmdlineParam(ctx, "net.naming-scheme"); !ok || p.Value != "v252" {
		t.Errorf("CmdlineParam = %+v %v", p, ok)
	}
	if _, err := m.SetCmdlineParam(ctx, ParseParam("bad key=x")); err == nil {
		t.Error("a key with a blank was accepted")
	}
}

func TestCmdlineSystemdBoot(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t)
	writeTree(t, root, map[string]string{ESPListFile[1:]: "A1B2-C3D4\n"})
	m, _ := newTestManager(t, root, nil, nil)
	if l := m.CmdlineLoader(ctx); l != LoaderSystemdBoot {
		t.Fatalf("loader = %s, want systemd-boot (ZFS root, synced ESPs, no Secure Boot)", l)
	}
	if _, err := m.SetCmdlineParam(ctx, ParseParam("dis_ucode_ldr")); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, root, "etc/kernel/cmdline"); got != "root=ZFS=rpool/ROOT/pve-1 boot=zfs dis_ucode_ldr\n" {
		t.Errorf("cmdline = %q", got)
	}
	if _, err := m.RemoveCmdlineParam(ctx, "dis_ucode_ldr"); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, root, "etc/kernel/cmdline"); got != "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n" {
		t.Errorf("cmdline = %q", got)
	}
	// A refresh needs root= in /etc/kernel/cmdline.
	os.WriteFile(filepath.Join(root, "etc/kernel/cmdline"), []byte("quiet\n"), 0o644)
	if _, err := m.loaderCmdline(); !errors.Is(err, ErrNoCmdlineRoot) {
		t.Errorf("err = %v", err)
	}
}

func TestLoaderConf(t *testing.T) {
	in := "#timeout 3\ntimeout 3\ndefault   proxmox-*\n\nconsole-mode max"
	c := ParseLoaderConf([]byte(in))
	if string(c.Format()) != in {
		t.Fatal("not byte for byte")
	}
	if !c.Set("default", "proxmox-6.8.12-4-pve.conf") {
		t.Error("Set reported no change")
	}
	c.Set("editor", "no")
	want := "#timeout 3\ntimeout 3\ndefault   proxmox-6.8.12-4-pve.conf\n\nconsole-mode max\neditor no\n"
	if d := cmp.Diff(want, string(c.Format())); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	if v, _ := c.Get("console-mode"); v != "max" {
		t.Errorf("console-mode = %q", v)
	}

	// CRLF lines keep their ending; a key without a value gets one.
	c = ParseLoaderConf([]byte("timeout 3\r\ndefault\r\n"))
	c.Set("timeout", "5")
	c.Set("default", "proxmox-*")
	if got, want := string(c.Format()), "timeout 5\r\ndefault proxmox-*\r\n"; got != want {
		t.Errorf("CRLF file after Set = %q, want %q", got, want)
	}
}

func FuzzCmdline(f *testing.F) {
	for _, s := range []string{"root=ZFS=rpool/ROOT/pve-1 boot=zfs", `BOOT_IMAGE=/vmlinuz root=/dev/mapper/pve-root ro quiet dyndbg="a b"`, "  a  b=1\t"} {
		f.Add(s, "net.naming-scheme=v252")
	}
	f.Fuzz(func(t *testing.T, line, param string) {
		c := ParseCmdline(line)
		p := ParseParam(param)
		if validParam(p) != nil || c.Valid() != nil {
			return
		}
		c.Set(p)
		c2 := ParseCmdline(c.String())
		got, ok := c2.Get(p.Key)
		if !ok || got.Value != p.Value || got.HasValue != p.HasValue {
			t.Fatalf("after Set(%q) on %q: Get = %+v, %v (%q)", param, line, got, ok, c.String())
		}
		c2.Remove(p.Key)
		if ParseCmdline(c2.String()).Has(p.Key) {
			t.Fatalf("Remove(%q) left it in %q", p.Key, c2.String())
		}
	})
}

func FuzzGrubDefaults(f *testing.F) {
	b, _ := os.ReadFile("testdata/grub.in")
	f.Add(b)
	f.Add([]byte("GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT x\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGrubDefaults("f", b)
		if err != nil {
			return
		}
		if string(g.Format()) != string(b) {
			t.Fatal("untouched input does not format byte for byte")
		}
		g.Set("GRUB_CMDLINE_LINUX_DEFAULT", "quiet a=\"b c\" $x")
		g2, err := ParseGrubDefaults("f", g.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%s", err, g.Format())
		}
		if v, _ := g2.Get("GRUB_CMDLINE_LINUX_DEFAULT", nil); v != "quiet a=\"b c\" $x" {
			t.Fatalf("value after edit = %q\n%s", v, g.Format())
		}
	})
}

func FuzzLoaderConf(f *testing.F) {
	f.Add([]byte("timeout 3\ndefault proxmox-*\n"))
	f.Add(LoaderEntry("Proxmox Virtual Environment", "6.8.12-4-pve", "root=ZFS=rpool/ROOT/pve-1 boot=zfs"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := ParseLoaderConf(b)
		if string(c.Format()) != string(b) {
			t.Fatal("untouched input does not format byte for byte")
		}
		c.Set("default", "proxmox-6.8.12-4-pve.conf")
		if v, _ := ParseLoaderConf(c.Format()).Get("default"); v != "proxmox-6.8.12-4-pve.conf" {
			t.Fatalf("default after edit = %q\n%s", v, c.Format())
		}
	})
}
