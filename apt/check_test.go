package apt

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opt   CheckOptions
		want  []string // check@line
	}{
		{"clean bookworm with subscription",
			map[string]string{"/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main non-free-firmware\ndeb http://security.debian.org/debian-security bookworm-security main non-free-firmware\n",
				"/etc/apt/sources.list.d/pve-enterprise.list": "deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\n"},
			CheckOptions{Codename: "bookworm", Subscription: true, PVE: true}, nil},
		{"suites",
			map[string]string{"/etc/apt/sources.list": "deb http://deb.debian.org/debian stable main non-free-firmware\ndeb http://deb.debian.org/debian trixie main non-free-firmware\ndeb http://deb.debian.org/debian sid main non-free-firmware\ndeb http://deb.debian.org/debian forky main non-free-firmware\ndeb http://security.debian.org/debian-security bookworm main non-free-firmware\ndeb http://deb.debian.org/debian oldstable main\n"},
			CheckOptions{Codename: "bookworm"},
			[]string{"suite-stable@1", "suite-next-release@2", "suite-unstable@3", "suite-unstable@4", "security-suite@5", "suite-old@6", "non-free-firmware@6"}},
		{"duplicates across files and stanzas",
			map[string]string{"/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main non-free-firmware\ndeb http://security.debian.org/debian-security bookworm-security main non-free-firmware\n",
				"/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: bookworm\nComponents: contrib main\n"},
			CheckOptions{Codename: "bookworm"},
			[]string{"non-free-firmware@1", "duplicate@1"}},
		{"ceph releases and microcode",
			map[string]string{"/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n",
				"/etc/apt/sources.list.d/ceph.list": "deb http://download.proxmox.com/debian/ceph-squid bookworm no-subscription\ndeb http://download.proxmox.com/debian/ceph-octopus bookworm main\n# deb http://download.proxmox.com/debian/ceph-pacific bookworm main\n"},
			CheckOptions{Codename: "bookworm", Microcode: true, PVE: true},
			[]string{"non-free-firmware@1", "non-free-firmware@2", "no-subscription@0", "ceph-unsupported@2"}},
		{"no security, no Proxmox VE repository",
			map[string]string{"/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main non-free-firmware\n# deb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n"},
			CheckOptions{Codename: "bookworm", PVE: true},
			[]string{"no-security@0", "no-proxmox-repository@0"}},
		{"trixie deb822",
			map[string]string{"/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: trixie-security\nComponents: main non-free-firmware\n",
				"/etc/apt/sources.list.d/ceph.sources": "Types: deb\nURIs: http://download.proxmox.com/debian/ceph-reef\nSuites: trixie\nComponents: no-subscription\n"},
			CheckOptions{Codename: "trixie"},
			[]string{"ceph-unsupported@1", "non-free-firmware@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &Sources{}
			var names []string
			for n := range tt.files {
				names = append(names, n)
			}
			slices.Sort(names)
			slices.SortStableFunc(names, func(a, b string) int {
				// sources.list first, as APT reads it.
				return strings.Compare(strings.TrimPrefix(a, SourcesList), strings.TrimPrefix(b, SourcesList))
			})
			for _, n := range names {
				f, err := ParseSourceFile(n, []byte(tt.files[n]))
				if err != nil {
					t.Fatal(err)
				}
				src.Files = append(src.Files, f)
			}
			var got []string
			for _, f := range Check(src, tt.opt) {
				got = append(got, f.Check+"@"+strconv.Itoa(f.Line))
				if f.Advice == "" {
					t.Errorf("%s has no advice", f.Check)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
