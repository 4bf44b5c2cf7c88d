package netcfg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/network/interfaces":           {Data: []byte("auto lo\niface lo inet loopback\n\nsource interfaces.d/*\nsource-directory /etc/network/extra\nsource /etc/network/missing\nsource /etc/network/loop\n")},
		"etc/network/interfaces.d/b-vmbr1": {Data: []byte("auto vmbr1\niface vmbr1 inet manual\n\tbridge-ports none\n")},
		"etc/network/interfaces.d/a-eno1":  {Data: []byte("iface eno1 inet manual\n")},
		"etc/network/interfaces.d/sub/x":   {Data: []byte("iface nope inet manual\n")},
		"etc/network/extra/vmbr2":          {Data: []byte("auto vmbr2\niface vmbr2 inet manual\n\tbridge-ports none\n")},
		"etc/network/extra/skip.conf":      {Data: []byte("iface skipped inet manual\n")},
		"etc/network/loop":                 {Data: []byte("source /etc/network/loop\niface looped inet manual\n")},
	}
	f, err := LoadFS(fsys, "/etc/network/interfaces")
	if f == nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range f.Files() {
		names = append(names, x.Name)
	}
	want := []string{"/etc/network/interfaces", "/etc/network/interfaces.d/a-eno1", "/etc/network/interfaces.d/b-vmbr1", "/etc/network/extra/vmbr2", "/etc/network/loop"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 || !errors.Is(list[0], ErrInclude) || !errors.Is(list[1], ErrInclude) {
		t.Fatalf("errors = %v", err)
	}
	if list[0].Pos.Line != 6 || list[1].Pos != (Pos{File: "/etc/network/loop", Line: 1, Col: 1}) {
		t.Errorf("error positions: %v, %v", list[0].Pos, list[1].Pos)
	}
	// ifupdown2 reads source lines, not source-directory.
	n := NewNetwork(f)
	for name, want := range map[string]bool{"eno1": true, "vmbr1": true, "looped": true, "vmbr2": false, "nope": false, "skipped": false} {
		if got := n.Interface(name) != nil; got != want {
			t.Errorf("interface %s configured = %v, want %v", name, got, want)
		}
	}
	fs := n.Validate()
	for _, c := range []struct {
		check string
		line  int
	}{{"source-directory", 5}, {"include", 6}, {"include", 1}} {
		if !hasCheck(fs, c.check, c.line) {
			t.Errorf("no %s finding at line %d: %v", c.check, c.line, fs)
		}
	}
}

func TestHostCurrentFollowsSourcesInsideRoot(t *testing.T) {
	h, root := hostFixture(t)
	os.MkdirAll(filepath.Join(root, "etc/network/interfaces.d"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/network/interfaces.d/sdn"), []byte("auto vxlan1\niface vxlan1\n\tvxlan-id 1\n"), 0o644)
	cur, err := h.Current()
	if err != nil || cur.Err != nil {
		t.Fatalf("Current: %v, %v", err, cur.Err)
	}
	if i := cur.Network().Interface("vxlan1"); i == nil || !i.Auto || len(i.Unknown) != 1 {
		t.Errorf("vxlan1 from interfaces.d = %+v", i)
	}
}
