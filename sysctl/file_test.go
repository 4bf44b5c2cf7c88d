package sysctl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, path, dotted string }{
		{"dots", "net.ipv4.ip_forward", "net/ipv4/ip_forward", "net.ipv4.ip_forward"},
		{"slashes", "net/ipv4/ip_forward", "net/ipv4/ip_forward", "net.ipv4.ip_forward"},
		{"vlan by dots", "net.ipv4.conf.enp3s0/200.forwarding", "net/ipv4/conf/enp3s0.200/forwarding", "net.ipv4.conf.enp3s0/200.forwarding"},
		{"vlan by slashes", "net/ipv4/conf/enp3s0.200/forwarding", "net/ipv4/conf/enp3s0.200/forwarding", "net.ipv4.conf.enp3s0/200.forwarding"},
		{"blanks and slashes", "  /kernel//domainname ", "kernel/domainname", "kernel.domainname"},
		{"dotdot cannot climb", "net/../../etc/passwd", "etc/passwd", "etc.passwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.path {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.path)
			}
			if got := Dotted(tt.in); got != tt.dotted {
				t.Errorf("Dotted(%q) = %q, want %q", tt.in, got, tt.dotted)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	inputs := map[string]string{
		"stock":    mustRead(t, "../testdata/pve8/etc/sysctl.conf"),
		"spec":     mustRead(t, "../netcfg/testdata/spec/disable-ipv6.conf"),
		"crlf":     "a.b = 1\r\n; comment\r\n-c.d=2\r\n",
		"no eol":   "vm.swappiness=10",
		"exclude":  "net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n",
		"bad line": "this is not an assignment\n\tkernel.x = y \n",
		"empty":    "",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			f, _ := Parse(name, []byte(in))
			if got := string(f.Format()); got != in {
				t.Errorf("round trip:\n%q\nwant\n%q", got, in)
			}
		})
	}
}

func TestParseLines(t *testing.T) {
	f, err := Parse("x.conf", []byte("# c\n-net.a = 1\n-net.b\nkernel/c=  two words \nbroken\n"))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "x.conf:5:") {
		t.Errorf("err = %v, want x.conf:5: ... ErrSyntax", err)
	}
	type line struct {
		Key, Value            string
		IgnoreErrors, Exclude bool
		IsAssignment, HasErr  bool
	}
	var got []line
	for _, l := range f.Lines {
		got = append(got, line{l.Key, l.Value, l.IgnoreErrors, l.Exclude, l.IsAssignment(), l.Err != nil})
	}
	want := []line{
		{},
		{"net.a", "1", true, false, true, false},
		{"net.b", "", false, true, false, false},
		{"kernel/c", "two words", false, false, true, false},
		{HasErr: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
}

func TestEdit(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(f *File) bool
		want     string
		changed  bool
	}{
		{"change in place keeps style", "# x\nvm.swappiness=60\nkernel.a  =  1\n",
			func(f *File) bool { return f.Set("vm/swappiness", "10") }, "# x\nvm.swappiness=10\nkernel.a  =  1\n", true},
		{"append in neighbour style", "kernel.a=1\n",
			func(f *File) bool { return f.Set("vm.swappiness", "10") }, "kernel.a=1\nvm.swappiness=10\n", true},
		{"append to file without final newline", "kernel.a = 1",
			func(f *File) bool { return f.Set("vm.swappiness", "10") }, "kernel.a = 1\nvm.swappiness = 10\n", true},
		{"append keeps CRLF", "kernel.a = 1\r\n",
			func(f *File) bool { return f.Set("b.c", "2") }, "kernel.a = 1\r\nb.c = 2\r\n", true},
		{"last assignment wins and is the one changed", "a.b = 1\na.b = 2\n",
			func(f *File) bool { return f.Set("a.b", "3") }, "a.b = 1\na.b = 3\n", true},
		{"no change", "a.b = 1\n",
			func(f *File) bool { return f.Set("a.b", " 1 ") }, "a.b = 1\n", false},
		{"ignore-errors prefix kept", "-a.b = 1\n",
			func(f *File) bool { return f.Set("a.b", "2") }, "-a.b = 2\n", true},
		{"delete every assignment", "a.b = 1\n# keep\na/b=2\n-a.b\n",
			func(f *File) bool { return f.Delete("a.b") }, "# keep\n-a.b\n", true},
		{"spec snippet into empty file", "",
			func(f *File) bool {
				return f.Set("net.ipv6.conf.all.disable_ipv6", "1") && f.Set("net.ipv6.conf.default.disable_ipv6", "1")
			}, mustRead(t, "../netcfg/testdata/spec/disable-ipv6.conf"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Parse("t", []byte(tt.in))
			if changed := tt.edit(f); changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if diff := cmp.Diff(tt.want, string(f.Format())); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func mustRead(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzRoundTrip checks that any input formats back byte for byte, and
// that an edit survives formatting and parsing again.
func FuzzRoundTrip(f *testing.F) {
	for _, name := range []string{"../testdata/pve8/etc/sysctl.conf", "../netcfg/testdata/spec/disable-ipv6.conf"} {
		f.Add(mustRead(f, name), "vm.swappiness", "10")
	}
	seeds, _ := filepath.Glob("testdata/*.conf")
	for _, s := range seeds {
		f.Add(mustRead(f, s), "net.ipv4.ip_forward", "1")
	}
	f.Add("a = b\r\n-c\n;x", "a", "c d")
	f.Fuzz(func(t *testing.T, in, key, value string) {
		p, _ := Parse("fuzz", []byte(in))
		if got := string(p.Format()); got != in {
			t.Fatalf("round trip:\n%q\nwant\n%q", got, in)
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if key == "" || strings.ContainsAny(key, "=\r\n#;") || strings.HasPrefix(key, "-") || strings.ContainsAny(value, "\r\n") {
			return
		}
		p.Set(key, value)
		again, _ := Parse("fuzz", p.Format())
		if got, ok := again.Get(key); !ok || got != value {
			t.Fatalf("after Set(%q, %q): Get = %q, %v\n%s", key, value, got, ok, p.Format())
		}
		if !again.Delete(key) {
			t.Fatalf("Delete(%q) found nothing", key)
		}
		if _, ok := again.Get(key); ok {
			t.Fatalf("Delete(%q) left a value", key)
		}
	})
}
