package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t testing.TB, text string) *ConfigFile {
	t.Helper()
	c, err := ParseConfigFile("config", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.config")
	files = append(files, "../testdata/pve8/etc/pve/nodes/pve1/config")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseConfigFile(f, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(data), string(c.Format())); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigACME(t *testing.T) {
	data, err := os.ReadFile("testdata/acme.config")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfigFile("acme.config", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Description(), "Lab node in rack 3: top shelf\nContact: ops@example.com"; got != want {
		t.Errorf("Description = %q, want %q", got, want)
	}
	got, err := c.ACMEDomains()
	if err != nil {
		t.Fatal(err)
	}
	want := []DomainEntry{
		{ACMEDomain{Domain: "pve1.example.com", Plugin: "standalone"}, "acme"},
		{ACMEDomain{Domain: "pve.example.net", Plugin: "nsupdate", Alias: "acme-challenge.example.org"}, "acmedomain0"},
		{ACMEDomain{Domain: "pve1.lab.example.com", Plugin: "hook"}, "acmedomain1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ACMEDomains mismatch (-want +got):\n%s", diff)
	}
	if acct, _ := c.ACMEAccount(); acct != "production" {
		t.Errorf("account = %q", acct)
	}
	if v, _ := c.Get("wakeonlan"); v != "52:54:00:12:34:56" {
		t.Errorf("wakeonlan = %q", v)
	}
}

func TestConfigEdits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(c *ConfigFile) error
		want string
	}{
		{
			name: "set acme keeps other keys",
			in:   "#desc\nacme: domains=a.example,account=xy\nwakeonlan: aa:bb:cc:dd:ee:ff\n",
			edit: func(c *ConfigFile) error {
				return c.SetACME(ACME{Account: "xy", Domains: []string{"A.example", "b.example"}})
			},
			want: "#desc\nacme: domains=a.example;b.example,account=xy\nwakeonlan: aa:bb:cc:dd:ee:ff\n",
		},
		{
			name: "unchanged acme is untouched",
			in:   "acme:   domains=A.example\n",
			edit: func(c *ConfigFile) error { return c.SetACME(ACME{Domains: []string{"a.example"}}) },
			want: "acme:   domains=A.example\n",
		},
		{
			name: "new keys go in sorted order",
			in:   "acme: domains=a.example\nwakeonlan: aa:bb:cc:dd:ee:ff\n",
			edit: func(c *ConfigFile) error {
				return c.SetACMEDomain(2, ACMEDomain{Domain: "C.Example", Plugin: "dns1", Alias: "Alias.example"})
			},
			want: "acme: domains=a.example\nacmedomain2: c.example,plugin=dns1,alias=alias.example\nwakeonlan: aa:bb:cc:dd:ee:ff\n",
		},
		{
			name: "edit one key of acmedomain",
			in:   "acmedomain0: c.example,alias=x.example,plugin=old\n",
			edit: func(c *ConfigFile) error {
				return c.SetACMEDomain(0, ACMEDomain{Domain: "c.example", Plugin: "new", Alias: "x.example"})
			},
			want: "acmedomain0: c.example,alias=x.example,plugin=new\n",
		},
		{
			name: "clear acme",
			in:   "acme: domains=a.example\nx: 1\n",
			edit: func(c *ConfigFile) error { return c.SetACME(ACME{}) },
			want: "x: 1\n",
		},
		{
			name: "description replaced in place",
			in:   "acme: domains=a.example\n#old\n#lines\nz: 1\n",
			edit: func(c *ConfigFile) error {
				c.SetDescription("new: 100%\nnäme")
				return nil
			},
			want: "acme: domains=a.example\n#new%3A 100%25\n#n%C3%A4me\nz: 1\n",
		},
		{
			name: "description added on top",
			in:   "z: 1",
			edit: func(c *ConfigFile) error { c.SetDescription("hello"); return c.Set("a", "2") },
			want: "#hello\na: 2\nz: 1",
		},
		{
			name: "delete",
			in:   "a: 1\nacmedomain3: d.example\n",
			edit: func(c *ConfigFile) error {
				if !c.DeleteACMEDomain(3) {
					return errors.New("not deleted")
				}
				return nil
			},
			want: "a: 1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.in)
			if err := tt.edit(c); err != nil {
				t.Fatal(err)
			}
			got := string(c.Format())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
			if _, err := ParseConfigFile("again", []byte(got)); err != nil {
				t.Errorf("edited file does not parse: %v", err)
			}
		})
	}
}

func TestConfigDescriptionRoundTrip(t *testing.T) {
	for _, desc := range []string{"plain", "a: b\nc%d", "ünïcode ✓", "tab\there", "%41 stays"} {
		c := mustParse(t, "a: 1\n")
		c.SetDescription(desc)
		again := mustParse(t, string(c.Format()))
		if got := again.Description(); got != desc {
			t.Errorf("description %q read back as %q (file %q)", desc, got, c.Format())
		}
	}
	// Proxmox VE leaves '%' alone when writing; a lone '%' reads as itself.
	if got := mustParse(t, "#100% sure\n").Description(); got != "100% sure" {
		t.Errorf("got %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
		msg  string
	}{
		{"no colon", "a: 1\nbogus line\n", ErrSyntax, "config:2:1: "},
		{"bad key", "Acme: x\n", ErrSyntax, "config:1:1: invalid key"},
		{"empty value", "acme:\n", ErrSyntax, "config:1:6: acme: missing value"},
		{"duplicate", "a: 1\na: 2\n", ErrDuplicate, "config:2:1: a: duplicate key (first on line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfigFile("config", []byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("err = %q, want prefix %q", err, tt.msg)
			}
		})
	}

	values := []struct {
		name string
		in   string
		want error
		msg  string
	}{
		{"bad domain", "acme: domains=ok.example;-bad.example\n", ErrInvalid, "config:1:7: acme: domains: \"-bad.example\" does not look like a valid domain name"},
		{"single label", "acmedomain0: localhost\n", ErrInvalid, "config:1:14: acmedomain0: \"localhost\" does not look"},
		{"unknown key", "acme: acount=x\n", ErrInvalid, "config:1:7: acme: unknown key \"acount\""},
		{"bad plugin", "acmedomain1: a.example,plugin=1x\n", ErrInvalid, "config:1:14: acmedomain1: plugin: \"1x\" is not a valid name"},
		{"duplicate across keys", "acme: domains=a.example\nacmedomain4: A.example,plugin=pp\n", ErrDuplicate, "config:2:14: acmedomain4: duplicate domain \"a.example\" (also in acme)"},
		{"duplicate in list", "acme: domains=a.example;A.EXAMPLE\n", ErrDuplicate, "config:1:7: acme: duplicate domain \"a.example\""},
	}
	for _, tt := range values {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.in)
			_, err := c.ACMEDomains()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("err = %q, want prefix %q", err, tt.msg)
			}
		})
	}

	c := mustParse(t, "")
	for _, err := range []error{
		c.SetACMEDomain(6, ACMEDomain{Domain: "a.example"}),
		c.SetACMEDomain(0, ACMEDomain{Domain: "a.example", Alias: "bad alias"}),
		c.SetACME(ACME{Domains: []string{"x.example", "X.example"}}),
		c.Set("ok", "two\nlines"),
		c.Set("Bad", "x"),
	} {
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDuplicate) {
			t.Errorf("bad edit accepted or wrong error: %v", err)
		}
	}
	if got := string(c.Format()); got != "" {
		t.Errorf("failed edits changed the file: %q", got)
	}
}

func FuzzConfigRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.config")
	files = append(files, "../testdata/pve8/etc/pve/nodes/pve1/config")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("#a%3A\n\nacme: domains=x.example\n  b:  2  \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigFile("fuzz", data)
		if err != nil {
			return
		}
		if got := c.Format(); string(got) != string(data) {
			t.Fatalf("untouched file changed:\n%q\n%q", data, got)
		}
		desc := c.Description()
		domains, derr := c.ACMEDomains()
		// Edit: add a property and a domain, then parse again.
		if err := c.Set("zz-fuzz", "1"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetACMEDomain(MaxACMEDomain, ACMEDomain{Domain: "fuzz.example", Plugin: "pp"}); err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfigFile("again", c.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, c.Format())
		}
		if v, _ := again.Get("zz-fuzz"); v != "1" {
			t.Fatalf("edit lost: %q", again.Format())
		}
		if again.Description() != desc {
			t.Fatalf("description changed: %q -> %q", desc, again.Description())
		}
		if derr == nil {
			again.DeleteACMEDomain(MaxACMEDomain)
			got, err := again.ACMEDomains()
			if err == nil && len(domains) > 0 && len(got) > 0 && got[0] != domains[0] {
				t.Fatalf("domains changed: %v -> %v", domains, got)
			}
		}
		// A description edit reads back.
		again.SetDescription("fuzz: 100%\nline")
		third, err := ParseConfigFile("third", again.Format())
		if err != nil || third.Description() != "fuzz: 100%\nline" {
			t.Fatalf("description edit: %v %q", err, again.Format())
		}
	})
}
