package netcfg

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCanonical: the canonical layout keeps ifupdown2's reading of every
// interface, is idempotent, and lays out the default bridge as Proxmox VE
// writes it.
func TestCanonical(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.interfaces")
	files = append(files, "../testdata/pve8/etc/network/interfaces")
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data := []byte(mustReadFile(t, name))
			f, _ := Parse(name, data)
			before := queryAll(t, f)
			f.Canonical("")
			once := f.Format()
			g, _ := Parse(name, once)
			if diff := cmp.Diff(before, queryAll(t, g)); diff != "" {
				t.Errorf("canonical layout changes the meaning (-before +after):\n%s\n%s", diff, once)
			}
			g.Canonical("")
			if twice := g.Format(); string(twice) != string(once) {
				t.Errorf("not idempotent:\n%s\nthen\n%s", once, twice)
			}
		})
	}
	f, _ := Parse("x", specExample(t, "masquerade"))
	f.Canonical("")
	want := "auto lo\niface lo inet loopback\n\nauto eno1\n#real IP address\niface eno1 inet static\n\taddress 198.51.100.5/24\n\tgateway 198.51.100.1\n\nauto vmbr0\n#private sub network\niface vmbr0 inet static\n\taddress 10.10.10.1/24\n\tbridge-ports none\n\tbridge-stp off\n\tbridge-fd 0\n\n\tpost-up echo 1 > /proc/sys/net/ipv4/ip_forward\n\tpost-up iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE\n\tpost-down iptables -t nat -D POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE\n"
	if diff := cmp.Diff(want, string(f.Format())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// queryAll is ifupdown2's reading of every stanza, auto or not.
func queryAll(t *testing.T, f *File) []QueryIface {
	t.Helper()
	var names []string
	for _, i := range NewNetwork(f).Interfaces {
		names = append(names, i.Name)
	}
	if len(names) == 0 {
		return nil
	}
	q, err := Query(f, names...)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
