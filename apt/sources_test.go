package apt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func seedFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("testdata/sources/*")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden") {
			out = append(out, f)
		}
	}
	return out
}

// dump describes a parsed file for golden comparison.
func dump(f *SourceFile) []byte {
	type entry struct {
		Lines      [2]int
		Enabled    bool
		Types      []string
		URIs       []string
		Suites     []string
		Components []string
		Options    []Option `json:",omitempty"`
		Comment    string   `json:",omitempty"`
		Classes    []Class
	}
	var out []entry
	for _, e := range f.Entries {
		out = append(out, entry{
			Lines: [2]int{e.Line, e.EndLine}, Enabled: e.Enabled, Types: e.Types, URIs: e.URIs,
			Suites: e.Suites, Components: e.Components, Options: e.Options, Comment: e.Comment,
			Classes: e.Classes(nil),
		})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return append(b, '\n')
}

func TestSourceFilesGolden(t *testing.T) {
	for _, name := range seedFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseSourceFile(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Format(); !bytes.Equal(got, data) {
				t.Errorf("round trip changed the file:\n%s", cmp.Diff(string(data), string(got)))
			}
			golden := name + ".golden"
			got := dump(f)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSpecClassification checks that every repository line of the admin
// guide classifies as the guide names it.
func TestSpecClassification(t *testing.T) {
	tests := []struct {
		file string
		want []Kind
		ceph string
	}{
		{"spec-sources.list", []Kind{DebianMain, DebianUpdates, DebianSecurity}, ""},
		{"spec-no-subscription.list", []Kind{DebianMain, DebianUpdates, PVENoSubscription, DebianSecurity}, ""},
		{"pve-enterprise.list", []Kind{PVEEnterprise}, ""},
		{"pve-enterprise-disabled.list", []Kind{PVEEnterprise}, ""},
		{"pvetest.list", []Kind{PVETest}, ""},
		{"ceph-reef-enterprise.list", []Kind{CephEnterprise}, "reef"},
		{"ceph-reef-no-subscription.list", []Kind{CephNoSubscription}, "reef"},
		{"ceph-reef-test.list", []Kind{CephTest}, "reef"},
		{"ceph-quincy-enterprise.list", []Kind{CephEnterprise}, "quincy"},
		{"ceph-quincy-no-subscription.list", []Kind{CephNoSubscription}, "quincy"},
		{"ceph-quincy-test.list", []Kind{CephTest}, "quincy"},
		{"ceph-pacific.list", []Kind{CephNoSubscription}, "pacific"},
		{"debian.sources", []Kind{DebianMain, DebianUpdates, DebianSecurity}, ""},
		{"proxmox.sources", []Kind{PVENoSubscription, PVEEnterprise, PVETest}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/sources/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseSourceFile(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			var got []Kind
			for _, e := range f.Entries {
				for _, c := range e.Classes(nil) {
					got = append(got, c.Kind)
					if c.Ceph != tt.ceph {
						t.Errorf("%s: ceph = %q, want %q", e.Pos(), c.Ceph, tt.ceph)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kinds mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, path, in string
		want           error
		pos            string
	}{
		{"unknown type", "a.list", "deb http://x bookworm main\nrpm http://x y z\n", ErrUnknownType, "a.list:2:1"},
		{"no suite", "a.list", "deb http://x\n", ErrMalformed, "a.list:1:"},
		{"no component", "a.list", "  deb http://x bookworm\n", ErrMalformed, "a.list:1:"},
		{"flat with component", "a.list", "deb http://x ./ main\n", ErrMalformed, "a.list:1:17"},
		{"option without value", "a.list", "deb [arch=] http://x bookworm main\n", ErrMalformed, "a.list:1:6"},
		{"option not assignment", "a.list", "deb [arch] http://x bookworm main\n", ErrMalformed, "a.list:1:6"},
		{"unterminated options", "a.list", "deb [arch=amd64 http://x bookworm main\n", ErrMalformed, "a.list:1:"},
		{"type only", "a.list", "deb\n", nil, ""},
		{"not a field", "a.sources", "Types: deb\nURIs http://x\n", ErrMalformed, "a.sources:2:1"},
		{"no types", "a.sources", "URIs: http://x\nSuites: a\nComponents: main\n", ErrMalformed, "a.sources:1"},
		{"bad type", "a.sources", "\n\nTypes: deb rpm\nURIs: http://x\nSuites: a\nComponents: main\n", ErrUnknownType, "a.sources:3"},
		{"no suites", "a.sources", "Types: deb\nURIs: http://x\nComponents: main\n", ErrMalformed, "a.sources:1"},
		{"no components", "a.sources", "Types: deb\nURIs: http://x\nSuites: a\n", ErrMalformed, "a.sources:1"},
		{"continuation first", "a.sources", " Types: deb\n", ErrMalformed, "a.sources:1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSourceFile(tt.path, []byte(tt.in))
			if tt.want == nil {
				// "deb" alone: APT calls it malformed too, but a lone word
				// is treated as a type without anything else.
				if err == nil {
					t.Fatal("parsed a line with only a type")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tt.pos) {
				t.Errorf("err = %q, want a *ParseError at %s", err, tt.pos)
			}
		})
	}
	// A disabled stanza needs no more than Types.
	if _, err := ParseSourceFile("a.sources", []byte("Types: deb\nEnabled: no\n")); err != nil {
		t.Errorf("disabled stanza: %v", err)
	}
}

func mustParse(t *testing.T, path, in string) *SourceFile {
	t.Helper()
	f, err := ParseSourceFile(path, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEditsOneLine(t *testing.T) {
	in := "# header\ndeb http://deb.debian.org/debian bookworm main contrib # keep me\n#  deb http://deb.debian.org/debian bookworm-backports main\ndeb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"
	f := mustParse(t, "/etc/apt/sources.list", in)
	if len(f.Entries) != 3 {
		t.Fatalf("got %d entries", len(f.Entries))
	}
	main, bpo, sec := f.Entries[0], f.Entries[1], f.Entries[2]
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"add component", func() error { return f.AddComponent(main, NonFreeFirmware) },
			"# header\ndeb http://deb.debian.org/debian bookworm main contrib non-free-firmware # keep me\n#  deb http://deb.debian.org/debian bookworm-backports main\ndeb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"},
		{"enable", func() error { return f.SetEnabled(bpo, true) },
			"# header\ndeb http://deb.debian.org/debian bookworm main contrib non-free-firmware # keep me\ndeb http://deb.debian.org/debian bookworm-backports main\ndeb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"},
		{"disable", func() error { return f.SetEnabled(sec, false) },
			"# header\ndeb http://deb.debian.org/debian bookworm main contrib non-free-firmware # keep me\ndeb http://deb.debian.org/debian bookworm-backports main\n# deb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"},
		{"remove component", func() error { return f.RemoveComponent(main, "contrib") },
			"# header\ndeb http://deb.debian.org/debian bookworm main non-free-firmware # keep me\ndeb http://deb.debian.org/debian bookworm-backports main\n# deb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"},
		{"remove entry", func() error { return f.Remove(bpo) },
			"# header\ndeb http://deb.debian.org/debian bookworm main non-free-firmware # keep me\n# deb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\n"},
		{"add entry", func() error {
			_, err := f.Add(Entry{Enabled: true, URIs: []string{"http://download.proxmox.com/debian/pve"}, Suites: []string{"bookworm"}, Components: []string{"pve-no-subscription"}})
			return err
		}, "# header\ndeb http://deb.debian.org/debian bookworm main non-free-firmware # keep me\n# deb [arch=amd64] http://security.debian.org/debian-security bookworm-security main\ndeb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, string(f.Format())); diff != "" {
			t.Fatalf("%s: content mismatch (-want +got):\n%s", s.name, diff)
		}
	}
	if !main.HasComponent(NonFreeFirmware) || main.Comment != "keep me" {
		t.Errorf("entry not updated in place: %+v", main)
	}
	if err := f.RemoveComponent(main, "main"); err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveComponent(main, NonFreeFirmware); !errors.Is(err, ErrEdit) {
		t.Errorf("removing the last component: err = %v, want ErrEdit", err)
	}
}

func TestEditsDeb822(t *testing.T) {
	in := "# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: main contrib\nEnabled: no\n"
	f := mustParse(t, "/etc/apt/sources.list.d/debian.sources", in)
	deb, sec := f.Entries[0], f.Entries[1]
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"add component on a continuation line", func() error { return f.AddComponent(deb, NonFreeFirmware) },
			"# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: main contrib\nEnabled: no\n"},
		{"enable", func() error { return f.SetEnabled(sec, true) },
			"# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: main contrib\n"},
		{"add component lower-case key", func() error { return f.AddComponent(sec, NonFreeFirmware) },
			"# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: main contrib non-free-firmware\n"},
		{"disable", func() error { return f.SetEnabled(deb, false) },
			"# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\nEnabled: no\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: main contrib non-free-firmware\n"},
		{"remove first component", func() error { return f.RemoveComponent(sec, "main") },
			"# Debian\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\nEnabled: no\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: contrib non-free-firmware\n"},
		{"remove stanza", func() error { return f.Remove(deb) },
			"Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: contrib non-free-firmware\n"},
		{"add stanza", func() error {
			_, err := f.Add(Entry{URIs: []string{"http://download.proxmox.com/debian/pve"}, Suites: []string{"trixie"}, Components: []string{"pve-no-subscription"},
				Options: []Option{{Key: "Signed-By", Value: "/usr/share/keyrings/proxmox-archive-keyring.gpg"}}})
			return err
		}, "Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\ncomponents: contrib non-free-firmware\n\nTypes: deb\nURIs: http://download.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-no-subscription\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\nEnabled: no\n"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, string(f.Format())); diff != "" {
			t.Fatalf("%s: content mismatch (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestSignedByInline(t *testing.T) {
	data, err := os.ReadFile("testdata/sources/multiline.sources")
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, "multiline.sources", string(data))
	refs, key := f.Entries[0].SignedBy()
	if refs != nil {
		t.Errorf("refs = %q, want none", refs)
	}
	want := "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZVsXaBYJKwYBBAHaRw8BAQdAcjZ6aW1rYXlpc3RoZWtleWZvcnRoZXRlc3Rz\n=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n"
	if diff := cmp.Diff(want, string(key)); diff != "" {
		t.Errorf("inline key mismatch (-want +got):\n%s", diff)
	}
}

func fuzzSources(f *testing.F, ext string) {
	for _, name := range seedFiles(f) {
		if strings.HasSuffix(name, ext) {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := ParseSourceFile("fuzz"+ext, data)
		if err != nil {
			return
		}
		if !bytes.Equal(sf.Format(), data) {
			t.Fatalf("round trip changed the file")
		}
		// Edit, format, parse again: the edit holds and nothing else
		// moves.
		for _, e := range sf.Entries {
			if len(e.Components) == 0 {
				continue
			}
			n := len(sf.Entries)
			if err := sf.AddComponent(e, "zz-fuzz"); err != nil {
				if errors.Is(err, ErrEdit) {
					continue
				}
				t.Fatal(err)
			}
			again, err := ParseSourceFile("fuzz"+ext, sf.Format())
			if err != nil {
				t.Fatalf("edited file does not parse: %v\n%q", err, sf.Format())
			}
			if len(again.Entries) != n {
				t.Fatalf("edit changed the entry count %d -> %d", n, len(again.Entries))
			}
			found := false
			for _, e2 := range again.Entries {
				if e2.Line == e.Line && e2.HasComponent("zz-fuzz") {
					found = true
				}
			}
			if !found {
				t.Fatalf("added component not found after reparse:\n%q", sf.Format())
			}
			if err := sf.SetEnabled(e, !e.Enabled); err != nil && !errors.Is(err, ErrEdit) {
				t.Fatal(err)
			}
			break
		}
	})
}

func FuzzOneLineRoundTrip(f *testing.F) { fuzzSources(f, ".list") }

func FuzzDeb822RoundTrip(f *testing.F) { fuzzSources(f, ".sources") }

// Comments after the last entry survive edits and additions (the Rust
// crate Proxmox VE uses drops them).
func TestTrailingCommentsKept(t *testing.T) {
	for _, tt := range []struct{ path, in string }{
		{"/etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\n# old mirror, kept for reference:\n# URIs: http://ftp.de.debian.org/debian\n"},
		{"/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main\n# trailing note\n\n"},
	} {
		f := mustParse(t, tt.path, tt.in)
		if err := f.AddComponent(f.Entries[0], "contrib"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Add(Entry{Enabled: true, URIs: []string{"http://security.debian.org/debian-security"}, Suites: []string{"bookworm-security"}, Components: []string{"main"}}); err != nil {
			t.Fatal(err)
		}
		out := string(f.Format())
		for _, l := range strings.Split(tt.in, "\n") {
			if strings.HasPrefix(l, "#") && !strings.Contains(out, l+"\n") {
				t.Errorf("%s: lost %q:\n%s", tt.path, l, out)
			}
		}
		if !strings.Contains(out, "main contrib\n") || !strings.Contains(out, "bookworm-security") {
			t.Errorf("%s: edits missing:\n%s", tt.path, out)
		}
	}
}

func TestAddInlineKeyNeedsDeb822(t *testing.T) {
	f := mustParse(t, "/etc/apt/sources.list", "")
	_, err := f.Add(Entry{URIs: []string{"http://x/"}, Suites: []string{"a"}, Components: []string{"main"},
		Options: []Option{{Key: "Signed-By", Value: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nx\n-----END PGP PUBLIC KEY BLOCK-----"}}})
	if !errors.Is(err, ErrEdit) {
		t.Errorf("inline key in a .list: %v", err)
	}
	if _, err := f.Add(Entry{Types: []string{"deb", "deb-src"}, URIs: []string{"http://x/"}, Suites: []string{"a"}, Components: []string{"main"}}); !errors.Is(err, ErrEdit) {
		t.Errorf("two types on one line: %v", err)
	}
	g := mustParse(t, "/etc/apt/sources.list.d/x.sources", "")
	e, err := g.Add(Entry{URIs: []string{"http://x/"}, Suites: []string{"a"}, Components: []string{"main"}, Enabled: true,
		Options: []Option{{Key: "Signed-By", Value: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nx\n-----END PGP PUBLIC KEY BLOCK-----"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, key := e.SignedBy(); !strings.Contains(string(key), "\n\nx\n") || !strings.Contains(string(g.Format()), "Signed-By: -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n x\n") {
		t.Errorf("inline key not kept:\n%s", g.Format())
	}
}
