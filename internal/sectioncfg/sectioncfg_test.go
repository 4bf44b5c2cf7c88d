package sectioncfg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func seeds(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/*.cfg")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed files: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	extra := map[string][]byte{
		"no-eol":   []byte("dir: local\n\tpath /x"),
		"crlf":     []byte("dir: local\r\n\tpath /x\r\n"),
		"lead":     []byte("# top\n\n\ndir: local\n  # inner\n  path /x\n\n# tail\n"),
		"empty":    {},
		"only-cmt": []byte("# nothing\n"),
	}
	for name, data := range seeds(t) {
		extra[name] = data
	}
	for name, data := range extra {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Format(); !bytes.Equal(got, data) {
				t.Errorf("round trip mismatch (-want +got):\n%s", cmp.Diff(string(data), string(got)))
			}
		})
	}
}

func TestRead(t *testing.T) {
	f, err := Parse("storage.cfg", seeds(t)["testdata/storage-zfs.cfg"])
	if err != nil {
		t.Fatal(err)
	}
	s := f.Lookup("local-zfs")
	if s == nil || s.Type != "zfspool" || s.Line != 5 {
		t.Fatalf("Lookup = %+v", s)
	}
	want := []Property{
		{Key: "pool", Value: "rpool/data", Line: 6},
		{Key: "sparse", Value: "1", Flag: true, Line: 7},
		{Key: "content", Value: "images,rootdir", Line: 8},
	}
	if diff := cmp.Diff(want, s.Properties()); diff != "" {
		t.Errorf("Properties mismatch (-want +got):\n%s", diff)
	}
	if len(f.OfType("dir")) != 1 {
		t.Errorf("OfType(dir) = %v", f.OfType("dir"))
	}
}

func TestEditTouchesOnlyItsLines(t *testing.T) {
	in := "# storage\ndir: local\n        path /var/lib/vz\n        content iso\n\n# the pool\nzfspool: tank\n\tpool tank\n"
	f, err := Parse("storage.cfg", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	local := f.Lookup("local")
	local.Set("content", "iso,backup")
	local.SetFlag("disable")
	f.Lookup("tank").Set("sparse", "1")
	want := "# storage\ndir: local\n        path /var/lib/vz\n        content iso,backup\n        disable\n\n# the pool\nzfspool: tank\n\tpool tank\n\tsparse 1\n"
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("edit mismatch (-want +got):\n%s", diff)
	}

	s, err := f.Add("lvmthin", "local-lvm")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("thinpool", "data")
	s.Set("vgname", "pve")
	want += "\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n"
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("add mismatch (-want +got):\n%s", diff)
	}
	if _, err := f.Add("dir", "tank"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate id: got %v", err)
	}
	if !f.Remove("local-lvm") {
		t.Fatal("Remove failed")
	}
	want = strings.TrimSuffix(want, "\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n")
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("remove mismatch (-want +got):\n%s", diff)
	}
	f.Lookup("local").Delete("disable")
	if got := string(f.Format()); strings.Contains(got, "disable") {
		t.Errorf("Delete left the line: %q", got)
	}
	if err := local.Set("content", "a\nb"); err == nil {
		t.Error("newline in value accepted")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"property before section", "\tpath /x\n", "f.cfg:1: property outside a section"},
		{"bad header", "dir local\n", `f.cfg:1: expected "type: id"`},
		{"duplicate id", "dir: a\n\npbs: a\n", `f.cfg:3: duplicate section id "a"`},
		{"duplicate key", "dir: a\n\tpath /x\n\tpath /y\n", `f.cfg:3: section "a": duplicate property "path"`},
		{"property after blank", "dir: a\n\n\tpath /x\n", "f.cfg:3: property outside a section"},
		{"bad type", "Dir: a\n", `f.cfg:1: invalid section type "Dir"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.cfg", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrSyntax) {
				t.Errorf("got %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, data := range seeds(f) {
		f.Add(data)
	}
	f.Add([]byte("dir: a\n# c\n\tk v\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		out := cfg.Format()
		if !bytes.Equal(out, data) {
			t.Fatalf("untouched file changed:\n%q\n%q", data, out)
		}
		// Edit every section, then parse the result again.
		for _, s := range cfg.Sections() {
			s.Set("hostadm-key", "v")
		}
		again, err := Parse("fuzz", cfg.Format())
		if err != nil {
			t.Fatalf("edited output does not parse: %v\n%q", err, cfg.Format())
		}
		for _, s := range again.Sections() {
			if v, _ := s.Get("hostadm-key"); v != "v" {
				t.Fatalf("section %q lost the edit", s.ID)
			}
		}
	})
}
