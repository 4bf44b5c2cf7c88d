package apt

import (
	"bytes"
	"math"
	"os"
	"testing"
)

func addFile(f *testing.F, name string) {
	f.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

// FuzzParseStatus checks that any status file parses without a panic and
// that every package it returns can be looked up again.
func FuzzParseStatus(f *testing.F) {
	addFile(f, fixture+"/var/lib/dpkg/status")
	f.Add([]byte("Package: a\nStatus: hold ok installed\nArchitecture: all\nVersion: 1\n\n\nPackage: a\nStatus: install ok installed\nArchitecture: i386\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatus("status", bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range st.Packages {
			p := &st.Packages[i]
			if p.Name == "" || p.Want == "" || p.State == "" {
				t.Fatalf("incomplete package %+v", p)
			}
			if st.Lookup(p.Name+":"+p.Arch, "amd64") == nil && p.Arch != "" {
				t.Fatalf("%s:%s not found again", p.Name, p.Arch)
			}
		}
	})
}

func FuzzParseRelease(f *testing.F) {
	addFile(f, fixture+"/var/lib/apt/lists/download.proxmox.com_debian_pve_dists_bookworm_InRelease")
	f.Add([]byte("Origin: Debian\nSuite: stable\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rel, err := ParseRelease(data)
		if err == nil && rel == nil {
			t.Fatal("nil release without an error")
		}
	})
}

func FuzzParsePreferences(f *testing.F) {
	addFile(f, fixture+"/etc/apt/preferences.d/pve-qemu-kvm")
	f.Add([]byte("Package: *\nPin: release a=stable-backports\nPin-Priority: never\n\n# c\nPackage: /^lib/ foo:i386\nPin: origin \"deb.debian.org\"\nPin-Priority: -10\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pins, err := ParsePreferences("prefs", data)
		if err != nil {
			return
		}
		for _, p := range pins {
			if p.Priority == 0 || p.Priority < math.MinInt16 || p.Priority > math.MaxInt16 || p.match == nil {
				t.Fatalf("bad pin %+v", p)
			}
			// Matching must not panic on odd patterns.
			l := &PackageList{Release: &Release{Suite: "stable", Origin: "Debian"}, Site: "deb.debian.org", Component: "main", Arch: "amd64"}
			p.match.fileMatch(l)
			p.match.fileMatch(nil)
			for _, pat := range p.Packages {
				pinAppliesTo(pat, "libfoo", "amd64", "foo", "amd64")
			}
		}
	})
}
