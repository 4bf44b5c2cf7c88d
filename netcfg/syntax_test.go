package netcfg

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEdits(t *testing.T) {
	tests := []struct {
		name, in, want string
		edit           func(f *File)
	}{
		{"set keeps indent and spacing",
			"auto vmbr0\niface vmbr0 inet static\n        address  10.0.0.2/24\n        gateway  10.0.0.1\n",
			"auto vmbr0\niface vmbr0 inet static\n        address  10.0.0.3/24\n        gateway  10.0.0.1\n",
			func(f *File) { f.Stanza("vmbr0").Set("address", "10.0.0.3/24") }},
		{"set by other spelling keeps the written key",
			"iface vmbr0 inet manual\n\tbridge_ports eno1\n",
			"iface vmbr0 inet manual\n\tbridge_ports eno2\n",
			func(f *File) { f.Stanza("vmbr0").Set("bridge-ports", "eno2") }},
		{"add after the last option, before trailing comments",
			"iface vmbr0 inet manual\n    bridge-ports eno1\n    # stp below\n    bridge-stp off\n\n# next\niface eno1 inet manual\n",
			"iface vmbr0 inet manual\n    bridge-ports eno1\n    # stp below\n    bridge-stp off\n    mtu 9000\n\n# next\niface eno1 inet manual\n",
			func(f *File) { f.Stanza("vmbr0").Add("mtu", "9000") }},
		{"set removes earlier duplicates",
			"iface a inet manual\n\tmtu 1400\n\tup x\n\tmtu 1500\n",
			"iface a inet manual\n\tup x\n\tmtu 9000\n",
			func(f *File) { f.Stanza("a").Set("mtu", "9000") }},
		{"delete",
			"iface a inet manual\n\tmtu 1400\n\tup x\n\tmtu 1500\n",
			"iface a inet manual\n\tup x\n",
			func(f *File) { f.Stanza("a").Delete("mtu") }},
		{"CRLF kept for changed and new lines",
			"iface a inet manual\r\n\tmtu 1400\r\n",
			"iface a inet static\r\n\tmtu 1500\r\n\taddress 10.0.0.1/24\r\n",
			func(f *File) {
				s := f.Stanza("a")
				s.Method = "static"
				s.Set("mtu", "1500")
				s.Add("address", "10.0.0.1/24")
			}},
		{"append to a file without final newline",
			"auto lo\niface lo inet loopback",
			"auto lo\niface lo inet loopback\n\nauto vmbr1\niface vmbr1 inet manual\n\tbridge-ports none\n",
			func(f *File) { f.AddStanza("vmbr1", "inet", "manual", true).Add("bridge-ports", "none") }},
		{"set auto above the stanza and its comments",
			"auto lo\niface lo inet loopback\n\n# uplink\niface eno1 inet dhcp\n",
			"auto lo\niface lo inet loopback\n\nauto eno1\n# uplink\niface eno1 inet dhcp\n",
			func(f *File) { f.SetAuto("eno1", true) }},
		{"unset auto from a shared line and drop an emptied line",
			"auto lo eno1\nauto eno2\niface eno1 inet dhcp\niface eno2 inet dhcp\n",
			"auto lo\niface eno1 inet dhcp\niface eno2 inet dhcp\n",
			func(f *File) { f.SetAuto("eno1", false); f.SetAuto("eno2", false) }},
		{"remove a stanza with its comment, auto and allow lines",
			"auto lo\niface lo inet loopback\n\nauto vmbr1\nallow-hotplug vmbr1 eno9\n# test bridge\niface vmbr1 inet manual\n\tbridge-ports none\n\niface eno1 inet manual\n",
			"auto lo\niface lo inet loopback\n\nallow-hotplug eno9\n\niface eno1 inet manual\n",
			func(f *File) { f.RemoveStanza(f.Stanza("vmbr1")) }},
		{"untouched lines stay byte for byte",
			"auto   lo\t\niface  lo  inet   loopback  \n",
			"auto   lo\t\niface  lo  inet   loopback  \niface eno1 inet manual\n",
			func(f *File) {
				f.Stmts = append(f.Stmts, &Stanza{Keyword: "iface", Name: "eno1", Family: "inet", Method: "manual"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(f)
			if diff := cmp.Diff(tt.want, string(f.Format())); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	in := "auto\nallow eth0\niface\nmapping eth0\n  script x\niface eth0 ipx static\niface eth1 inet6 bootp\niface eth2 inet static\n  bridge-ports\nsource\n"
	f, err := Parse("/etc/network/interfaces", []byte(in))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	want := []string{
		`/etc/network/interfaces:1:1: auto: no interfaces listed`,
		`/etc/network/interfaces:2:1: allow: missing class (allow-CLASS)`,
		`/etc/network/interfaces:3:1: iface: missing interface name`,
		`/etc/network/interfaces:4:1: unknown keyword "mapping"`,
		`/etc/network/interfaces:5:3: unknown keyword "script"`,
		`/etc/network/interfaces:6:1: iface eth0: "ipx"`,
		`/etc/network/interfaces:7:1: iface eth1: "bootp" for inet6`,
		`/etc/network/interfaces:9:3: iface eth2: option "bridge-ports" has no value`,
		`/etc/network/interfaces:10:1: source: missing path`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	for _, sentinel := range []error{ErrSyntax, ErrFamily, ErrMethod} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(err, %v) = false", sentinel)
		}
	}
	if string(f.Format()) != in {
		t.Error("a file with errors does not round-trip")
	}
}

// A backslash joins lines, across blank lines, as ifupdown2 reads it.
func TestContinuation(t *testing.T) {
	in := "iface a inet manual\n\tpost-up echo 1 \\\n\n\t  2\\3\n\tmtu 9000\n"
	f, _ := Parse("t", []byte(in))
	s := f.Stanza("a")
	if got, _ := s.Get("post-up"); got != "echo 1 2 3" {
		t.Errorf("post-up = %q", got)
	}
	if got, _ := s.Get("mtu"); got != "9000" {
		t.Errorf("mtu = %q", got)
	}
	if p := s.Options()[1].Pos(); p.Line != 5 {
		t.Errorf("mtu at line %d, want 5", p.Line)
	}
	if fs := Check(f); !hasCheck(fs, "backslash", 4) {
		t.Errorf("no backslash warning: %v", fs)
	}
}

func TestSplitWords(t *testing.T) {
	for _, s := range []string{"", "a", "a b", "a  b\tc", "a \v", "iface eth0 inet static extra more words", "\u00a0x y\u2003", "a\x1cb"} {
		var buf [2]string
		if got, want := splitWords(s, buf[:0]), pySplit(s, -1); !cmp.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, pySplit = %q", s, got, want)
		}
	}
}
