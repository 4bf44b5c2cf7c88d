package timesync

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTimesyncdSetServers(t *testing.T) {
	src := readTestdata(t, "debian-timesyncd.conf")
	c, err := ParseTimesyncdConf("timesyncd.conf", src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Format(), src) {
		t.Fatal("untouched file does not format byte for byte")
	}
	if got, set := c.Servers(nil); set || got != nil {
		t.Errorf("Servers = %v, %v; want none", got, set)
	}
	// The admin guide's example.
	if err := c.SetServers([]string{"ntp1.example.com", "ntp2.example.com", "ntp3.example.com", "ntp4.example.com"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "timesyncd-guide.golden", c.Format())
	if got, _ := c.Servers(nil); len(got) != 4 || got[3] != "ntp4.example.com" {
		t.Errorf("Servers = %v", got)
	}
	// Setting again rewrites the line in place.
	c.SetServers([]string{"10.0.0.1"})
	if n := strings.Count(string(c.Format()), "\nNTP="); n != 1 {
		t.Errorf("%d NTP= lines:\n%s", n, c.Format())
	}
	if c.Line("NTP") != 0 {
		t.Errorf("new line has a line number")
	}
}

func TestTimesyncdLists(t *testing.T) {
	in := "[Time]\nNTP=a.example \\\n  b.example\nFallbackNTP=\nNTP=\nNTP=c.example\n[Other]\nNTP=x\n"
	c, err := ParseTimesyncdConf("t.conf", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Format()) != in {
		t.Errorf("continued line not kept")
	}
	got, set := c.Servers([]string{"prev.example"})
	if diff := cmp.Diff([]string{"c.example"}, got); diff != "" || !set {
		t.Errorf("servers mismatch (-want +got):\n%s", diff)
	}
	if got := c.Values("NTP"); len(got) != 3 || got[0] != "a.example b.example" {
		t.Errorf("Values = %q", got)
	}
	if fb, set := c.FallbackServers([]string{"x"}); fb != nil || !set {
		t.Errorf("FallbackServers = %v %v", fb, set)
	}
	c.Set("NTP", "d.example")
	want := "[Time]\nFallbackNTP=\nNTP=d.example\n[Other]\nNTP=x\n"
	if diff := cmp.Diff(want, string(c.Format())); diff != "" {
		t.Errorf("format mismatch (-want +got):\n%s", diff)
	}
	// A file without [Time] gets one.
	c, _ = ParseTimesyncdConf("t.conf", []byte("# empty"))
	c.SetServers([]string{"a"})
	if got := string(c.Format()); got != "# empty\n\n[Time]\nNTP=a\n" {
		t.Errorf("got %q", got)
	}
}

// TestTimesyncdContinuations reads backslash continuations as systemd's
// configuration parser does.
func TestTimesyncdContinuations(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ntp      []string // the NTP= values
		fallback []string // the FallbackNTP= values
	}{
		{"escaped backslash ends the line", "[Time]\nNTP=a\\\\\nFallbackNTP=b\n", []string{`a\\`}, []string{"b"}},
		{"blank after the backslash", "[Time]\nNTP=a\\ \nFallbackNTP=b\n", []string{`a\`}, []string{"b"}},
		{"comment within is skipped", "[Time]\nNTP=a \\\n# FallbackNTP=x\n  b\nFallbackNTP=c\n", []string{"a b"}, []string{"c"}},
		{"CRLF", "[Time]\r\nNTP=a \\\r\nb\r\n", []string{"a b"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseTimesyncdConf("t.conf", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(c.Format()) != tc.in {
				t.Errorf("round trip changed the file")
			}
			if diff := cmp.Diff(tc.ntp, c.Values("NTP")); diff != "" {
				t.Errorf("NTP (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.fallback, c.Values("FallbackNTP")); diff != "" {
				t.Errorf("FallbackNTP (-want +got):\n%s", diff)
			}
		})
	}
	// A continuation still open at the end of the file, past a comment,
	// would swallow a new line: a blank line ends it.
	c, err := ParseTimesyncdConf("t.conf", []byte("[Time]\nNTP=a \\\n# c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("FallbackNTP", "b"); err != nil {
		t.Fatal(err)
	}
	want := "[Time]\nNTP=a \\\n# c\n\nFallbackNTP=b\n"
	if got := string(c.Format()); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTimesyncdErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"NTP=a\n", "t.conf:1:1: assignment outside of a section"},
		{"[Time]\n  junk\n", "t.conf:2:3: \"junk\" is not a Key=Value assignment"},
		{"[Time\n", "t.conf:1:1: bad section header \"[Time\""},
	} {
		_, err := ParseTimesyncdConf("t.conf", []byte(tt.in))
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err = %v, want %q", tt.in, err, tt.want)
		}
	}
	c, _ := ParseTimesyncdConf("t.conf", nil)
	if err := c.SetServers([]string{"a b"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad server: %v", err)
	}
	if err := c.Set("NTP", "a\nb"); !errors.Is(err, ErrInvalid) {
		t.Errorf("newline: %v", err)
	}
}

func FuzzTimesyncdConf(f *testing.F) {
	f.Add(readTestdata(f, "debian-timesyncd.conf"))
	f.Add(readTestdata(f, "timesyncd-guide.golden"))
	f.Add([]byte("[Time]\nNTP=a \\\nb\n;c\n[X]\nk=v"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseTimesyncdConf("f", data)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Format(), data) {
			t.Fatal("round trip changed the file")
		}
		if err := c.SetServers([]string{"ntp1.example.com", "ntp2.example.com"}); err != nil {
			t.Fatal(err)
		}
		c2, err := ParseTimesyncdConf("f", c.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, c.Format())
		}
		if got, _ := c2.Servers(nil); !cmp.Equal(got, []string{"ntp1.example.com", "ntp2.example.com"}) {
			t.Fatalf("servers after edit = %q", got)
		}
	})
}
