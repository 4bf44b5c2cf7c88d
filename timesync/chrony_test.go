package timesync

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestChronySources(t *testing.T) {
	c, err := ParseChronyConf("chrony.conf", readTestdata(t, "debian-chrony.conf"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Sources()
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{Type: Pool, Address: "2.debian.pool.ntp.org", Options: []Option{{Name: "iburst"}}, File: "chrony.conf", Line: 8}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if args, ok := c.Lookup("sourcedir"); !ok || args[0] != "/run/chrony-dhcp" {
		t.Errorf("sourcedir = %q, %v", args, ok)
	}
	if !bytes.Equal(c.Format(), readTestdata(t, "debian-chrony.conf")) {
		t.Error("untouched file does not format byte for byte")
	}
}

func TestChronyEdits(t *testing.T) {
	src := readTestdata(t, "debian-chrony.conf")
	tests := []struct {
		name string
		edit func(c *ChronyConf) error
	}{
		{"replace-guide", func(c *ChronyConf) error {
			// The admin guide's "Using Custom NTP Servers".
			var srcs []Source
			for _, h := range []string{"ntp1.example.com", "ntp2.example.com", "ntp3.example.com"} {
				srcs = append(srcs, Source{Type: Server, Address: h, Options: []Option{{Name: "iburst"}}})
			}
			return c.ReplaceSources(srcs)
		}},
		{"add-after-pool", func(c *ChronyConf) error {
			return c.SetSource(Source{Type: Server, Address: "10.0.0.1", Options: []Option{{Name: "iburst"}, {Name: "minpoll", Value: "4"}, {Name: "prefer"}}})
		}},
		{"rewrite-pool", func(c *ChronyConf) error {
			return c.SetSource(Source{Type: Pool, Address: "2.debian.pool.ntp.org", Options: []Option{{Name: "iburst"}, {Name: "maxsources", Value: "2"}}})
		}},
		{"remove-pool", func(c *ChronyConf) error {
			if !c.RemoveSource("2.debian.pool.ntp.org") {
				return errors.New("pool not removed")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseChronyConf("chrony.conf", src)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.edit(c); err != nil {
				t.Fatal(err)
			}
			out := c.Format()
			golden(t, "edit-"+tt.name+".golden", out)
			// Only source lines changed: every other line is kept.
			for line := range strings.Lines(string(src)) {
				if !strings.HasPrefix(line, "pool ") && !bytes.Contains(out, []byte(line)) {
					t.Errorf("line %q lost", line)
				}
			}
			c2, err := ParseChronyConf("chrony.conf", out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c2.Sources(); err != nil {
				t.Errorf("edited file: %v", err)
			}
		})
	}
}

func TestChronySetSourceIdempotent(t *testing.T) {
	in := "server a.example iburst\n# keep\nserver  b.example   iburst\nserver b.example\n"
	c, _ := ParseChronyConf("x", []byte(in))
	if err := c.SetSource(Source{Type: Server, Address: "b.example", Options: []Option{{Name: "iburst"}}}); err != nil {
		t.Fatal(err)
	}
	want := "server a.example iburst\n# keep\nserver  b.example   iburst\n"
	if diff := cmp.Diff(want, string(c.Format())); diff != "" {
		t.Errorf("format mismatch (-want +got):\n%s", diff)
	}
	// No final newline and no sources: the new line goes to the end.
	c, _ = ParseChronyConf("x", []byte("driftfile /var/lib/chrony/drift"))
	c.SetSource(Source{Type: Server, Address: "a.example"})
	if got := string(c.Format()); got != "driftfile /var/lib/chrony/drift\nserver a.example\n" {
		t.Errorf("got %q", got)
	}
}

func TestChronySourceErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown option", "# x\nserver a.example iburst fastest\n", "c.conf:2:25: unknown source option \"fastest\""},
		{"missing value", "pool p.example minpoll\n", "c.conf:1:16: option minpoll needs a value"},
		{"bad value", "server a.example maxpoll x\n", "c.conf:1:26: option maxpoll: \"x\" is not an integer"},
		{"maxsources on server", "server a.example maxsources 3\n", "c.conf:1:29: maxsources is for pools only"},
		{"no address", "  server\n", "c.conf:1:3: server: missing address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseChronyConf("c.conf", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Sources()
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want %q wrapping ErrInvalid", err, tt.want)
			}
		})
	}
	for _, line := range []string{"server", "server a b c", "bogus a.example", "server -x", "server a.example key"} {
		if _, err := ParseSource(line); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSource(%q) = %v, want ErrInvalid", line, err)
		}
	}
	s, err := ParseSource("pool 2.debian.pool.ntp.org iburst maxsources 3")
	if err != nil || s.String() != "pool 2.debian.pool.ntp.org iburst maxsources 3" {
		t.Errorf("ParseSource = %v, %v", s, err)
	}
	if v, ok := s.Option("maxsources"); !ok || v != "3" {
		t.Errorf("maxsources = %q %v", v, ok)
	}
}

func FuzzChronyConf(f *testing.F) {
	f.Add(readTestdata(f, "debian-chrony.conf"))
	f.Add(readTestdata(f, "edit-replace-guide.golden"))
	f.Add([]byte("server a iburst\n! c\n;x\n%y\npool b maxsources 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseChronyConf("f", data)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Format(), data) {
			t.Fatalf("round trip changed the file")
		}
		if _, err := c.Sources(); err != nil {
			return
		}
		if err := c.SetSource(Source{Type: Server, Address: "ntp9.example.com", Options: []Option{{Name: "iburst"}}}); err != nil {
			t.Fatal(err)
		}
		c2, err := ParseChronyConf("f", c.Format())
		if err != nil {
			t.Fatal(err)
		}
		srcs, err := c2.Sources()
		if err != nil {
			t.Fatalf("edited file: %v", err)
		}
		found := 0
		for _, s := range srcs {
			if s.Address == "ntp9.example.com" {
				found++
			}
		}
		if found != 1 {
			t.Fatalf("added source found %d times", found)
		}
		c2.RemoveSource("ntp9.example.com")
		srcs, _ = c2.Sources()
		for _, s := range srcs {
			if s.Address == "ntp9.example.com" {
				t.Fatal("source not removed")
			}
		}
	})
}
