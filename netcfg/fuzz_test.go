package netcfg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles adds every interfaces file under testdata (the guide's
// examples, the quirk files, the fixture host's) to a fuzz corpus.
func seedFiles(f *testing.F, patterns ...string) [][]byte {
	f.Helper()
	var out [][]byte
	for _, pat := range patterns {
		m, _ := filepath.Glob(pat)
		for _, name := range m {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		f.Fatal("no seed files")
	}
	return out
}

// FuzzInterfaces: any input formats back byte for byte, reads and
// validates without panic, and an edit through the API survives
// formatting and parsing again without disturbing other stanzas.
func FuzzInterfaces(f *testing.F) {
	for _, b := range seedFiles(f, "testdata/spec/*.interfaces", "testdata/query/*.interfaces", "../testdata/pve8/etc/network/interfaces") {
		f.Add(string(b), "mtu", "9000")
	}
	f.Add("iface a\\\n inet manual\n\tup x \\\n y\r\n#c", "bridge-ports", "eno1 eno2")
	f.Fuzz(func(t *testing.T, in, key, value string) {
		file, _ := Parse("fuzz", []byte(in))
		if got := string(file.Format()); got != in {
			t.Fatalf("round trip:\n%q\nwant\n%q", got, in)
		}
		n := NewNetwork(file)
		_ = n.Validate()
		_, _ = n.Ordered()
		_, _ = Query(file)
		MarshalQuery(nil)

		// Edits need a key and value ifupdown2 reads back as written.
		if !editable(key, value) {
			return
		}
		stanzas := file.Stanzas()
		if len(stanzas) > 0 {
			s := stanzas[0]
			s.Set(key, value)
			again, _ := Parse("fuzz", file.Format())
			as := again.Stanzas()
			if len(as) != len(stanzas) {
				t.Fatalf("Set(%q, %q) changed the number of stanzas from %d to %d:\n%s", key, value, len(stanzas), len(as), file.Format())
			}
			if got, ok := as[0].Get(key); !ok || got != value {
				t.Fatalf("after Set(%q, %q): Get = %q, %v\n%s", key, value, got, ok, file.Format())
			}
			for i := 1; i < len(as); i++ {
				if len(as[i].Options()) != len(stanzas[i].Options()) {
					t.Fatalf("Set on the first stanza changed stanza %d:\n%s", i, file.Format())
				}
			}
			// Formatting the re-parsed file is stable.
			if string(again.Format()) != string(file.Format()) {
				t.Fatal("format of the edited file is not stable")
			}
		}
		name := "hostadmfz0"
		s := file.AddStanza(name, "inet", "manual", true)
		s.Add(key, value)
		again, _ := Parse("fuzz", file.Format())
		i := NewNetwork(again).Interface(name)
		if i == nil || !i.Auto {
			t.Fatalf("added stanza not read back as auto: %+v\n%s", i, file.Format())
		}
		if v, ok := i.Get(key); !ok || v != value {
			t.Fatalf("added option %q = %q, %v\n%s", key, v, ok, file.Format())
		}
		if !again.RemoveStanza(again.Stanza(name)) {
			t.Fatal("RemoveStanza found nothing")
		}
		if NewNetwork(again).Interface(name) != nil {
			t.Fatalf("stanza still there after RemoveStanza:\n%s", again.Format())
		}
	})
}

// editable reports whether an option key and value read back unchanged.
func editable(key, value string) bool {
	if key == "" || value == "" || strings.ContainsAny(key+value, "\\\r\n\u0085\u2028\u2029") || strings.ContainsFunc(key, pyIsSpace) {
		return false
	}
	if isKeyword(key) || strings.HasPrefix(key, "#") || strings.Contains(key, "_") || strings.Contains(value, "$IFACE") {
		return false
	}
	return strings.TrimFunc(value, pyIsSpaceOrBreak) == value
}

// FuzzLinkFile: any .link file formats back byte for byte, and Set
// survives formatting and parsing again.
func FuzzLinkFile(f *testing.F) {
	for _, b := range seedFiles(f, "../testdata/pve8/etc/systemd/network/*.link", "testdata/link/*.link") {
		f.Add(string(b), "Link", "MTUBytes", "9000")
	}
	f.Add("[Match]\nMACAddress=aa:bb:cc:dd:ee:ff\n[Link]\nName=nic0 \\", "Link", "MTUBytes", "9000")
	f.Fuzz(func(t *testing.T, in, section, key, value string) {
		lf, _ := ParseLink("fuzz", []byte(in))
		if got := string(lf.Format()); got != in {
			t.Fatalf("round trip:\n%q\nwant\n%q", got, in)
		}
		_, _ = lf.MatchMACs()
		_ = lf.LinkName()
		// A bare CR before an added line would merge with its LF.
		if strings.Contains(strings.ReplaceAll(in, "\r\n", ""), "\r") || section == "" || key == "" ||
			strings.ContainsAny(section, "[]\r\n") || strings.TrimSpace(section) != section ||
			strings.ContainsAny(key, "=[#;\r\n\\") || strings.TrimSpace(key) != key || strings.ContainsFunc(key, pyIsSpace) ||
			strings.ContainsAny(value, "\r\n\\") || strings.TrimSpace(value) != value {
			return
		}
		lf.Set(section, key, value)
		again, _ := ParseLink("fuzz", lf.Format())
		if got, ok := again.Get(section, key); !ok || got != value {
			t.Fatalf("after Set(%q, %q, %q): Get = %q, %v\n%s", section, key, value, got, ok, lf.Format())
		}
	})
}
