package apt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// policyTree writes a small root with a main and a backports archive
// (NotAutomatic + ButAutomaticUpgrades, as Debian's backports), a dpkg
// status and the given preferences.
func policyTree(t *testing.T, prefs, aptConf string) string {
	t.Helper()
	root := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stanza := func(name, version, arch string) string {
		return fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: T <t@example.org>\nDescription: test package %s\n", name, version, arch, name)
	}
	status := func(name, version, want string) string {
		return fmt.Sprintf("Package: %s\nStatus: %s ok installed\nArchitecture: amd64\nVersion: %s\nMaintainer: T <t@example.org>\nDescription: test package %s\n", name, want, version, name)
	}
	write("etc/apt/sources.list", "deb http://deb.example.org/debian bookworm main\ndeb http://deb.example.org/debian bookworm-backports main\n")
	lists := "var/lib/apt/lists/deb.example.org_debian_dists_"
	write(lists+"bookworm_Release", "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nVersion: 12.8\nArchitectures: amd64\nComponents: main\n")
	write(lists+"bookworm-backports_Release", "Origin: Debian Backports\nLabel: Debian Backports\nSuite: stable-backports\nCodename: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\nArchitectures: amd64\nComponents: main\n")
	write(lists+"bookworm_main_binary-amd64_Packages", strings.Join([]string{
		stanza("foo", "1.0", "amd64"), stanza("bar", "0.9", "amd64"), stanza("baz", "1.0", "all"),
		stanza("qux", "1.0", "amd64"), stanza("qux", "1.5", "amd64"), stanza("dpkg", "1.21.22", "amd64"),
	}, "\n"))
	write(lists+"bookworm-backports_main_binary-amd64_Packages", strings.Join([]string{
		stanza("foo", "2.0~bpo12+1", "amd64"), stanza("bar", "1.0~bpo12+1", "amd64"), stanza("bar", "1.1~bpo12+1", "amd64"),
		stanza("baz", "2.0~bpo12+1", "all"),
	}, "\n"))
	write("var/lib/dpkg/status", strings.Join([]string{
		status("bar", "1.0~bpo12+1", "install"), status("dpkg", "1.21.22", "install"),
		status("foo", "1.0", "install"), status("qux", "2.0", "hold"),
	}, "\n"))
	if prefs != "" {
		write("etc/apt/preferences.d/test", prefs)
	}
	if aptConf != "" {
		write("etc/apt/apt.conf.d/90test", aptConf)
	}
	return root
}

// TestPolicyAgainstAPT compares candidate selection with APT's under
// different pins: the same "apt list -a" and "apt list --upgradable".
func TestPolicyAgainstAPT(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, prefs, defaultRelease string }{
		{"defaults", "", ""},
		{"backports at 500", "Package: *\nPin: release a=stable-backports\nPin-Priority: 500\n", ""},
		{"one package from backports", "Package: foo\nPin: release n=bookworm-backports\nPin-Priority: 990\n", ""},
		{"downgrade pin", "Package: qux\nPin: version 1.*\nPin-Priority: 1001\n", ""},
		{"pin below installed", "Package: qux\nPin: version 1.5\nPin-Priority: 999\n", ""},
		{"never from backports", "Package: *\nPin: release o=Debian Backports\nPin-Priority: never\n", ""},
		{"glob package, negative", "# keep ba* away from backports\nPackage: ba*\nPin: release o=Debian Backports\nPin-Priority: -1\n", ""},
		{"regex package and origin pin", "Package: /^(foo|baz)$/\nPin: origin deb.example.org\nPin-Priority: 50\n\nPackage: *\nPin: release l=Debian Backports\nPin-Priority: 600\n", ""},
		{"status file pin", "Package: *\nPin: release a=now\nPin-Priority: 1001\n", ""},
		{"label and component", "Package: *\nPin: release l=Debian, c=main\nPin-Priority: 90\n", ""},
		{"first pin wins", "Package: foo\nPin: version 2.0*\nPin-Priority: 700\n\nPackage: foo\nPin: version 2.0~bpo12+1\nPin-Priority: 50\n", ""},
		{"default release backports", "", "stable-backports"},
		{"default release before preferences", "Package: *\nPin: release n=bookworm-backports\nPin-Priority: 50\n", "bookworm-backports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := ""
			var oracleOpts []string
			if tt.defaultRelease != "" {
				// Written for hostadm; APT has read its configuration
				// before -o Dir applies, so it gets the setting as -o.
				conf = "// test\nAPT {\n  Default-Release \"" + tt.defaultRelease + "\";\n};\n"
				oracleOpts = []string{"-o", "APT::Default-Release=" + tt.defaultRelease}
			}
			root := policyTree(t, tt.prefs, conf)
			c, err := New(&Config{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			want := aptList(t, root, append(oracleOpts, "-a", "foo", "bar", "baz", "qux")...)
			var got []string
			for _, name := range []string{"bar", "baz", "foo", "qux"} {
				vs, err := c.Versions(name)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vs {
					got = append(got, aptListLine(v, vs))
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("apt list -a mismatch (-apt +hostadm):\n%s", diff)
			}
			want = aptList(t, root, append(oracleOpts, "--upgradable")...)
			ups, err := c.Upgradable()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, upgradableLines(ups)); diff != "" {
				t.Errorf("apt list --upgradable mismatch (-apt +hostadm):\n%s", diff)
			}
		})
	}
}
