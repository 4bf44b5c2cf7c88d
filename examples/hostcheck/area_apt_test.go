package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func aptFindings(t *testing.T, root string) []Finding {
	t.Helper()
	out, stderr, code := runCheck(t, "--root", root, "--json", "--only", "apt", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Sections[0].Findings
}

func findCheck(fs []Finding, check string) (Finding, bool) {
	for _, f := range fs {
		if f.Check == check {
			return f, true
		}
	}
	return Finding{}, false
}

func TestAptFixture(t *testing.T) {
	fs := aptFindings(t, fixture)
	for _, tt := range []struct {
		check, summary, where string
		sev                   Severity
	}{
		{"apt.repositories", "standard: no-subscription, ceph-quincy-enterprise", "", OK},
		{"apt.non-free-firmware", "bookworm-updates lacks the non-free-firmware", "/etc/apt/sources.list:3", Warning},
		{"apt.enterprise-without-subscription", "ceph-quincy-enterprise", "/etc/apt/sources.list.d/ceph.list:1", Warning},
		{"apt.no-subscription", "no-subscription repository is enabled", "", Info},
		{"apt.signatures", "4 repositories signed by trusted keys", "", OK},
		{"apt.no-lists", "ceph-quincy", "", Info},
		{"apt.held", "intel-microcode", "", Info},
		{"apt.security-updates", "4 of 9 upgradable", "", Warning},
		{"apt.pve-update", "pve-manager 8.3.1", "", Info},
	} {
		f, ok := findCheck(fs, tt.check)
		if !ok {
			t.Errorf("no %s finding in %+v", tt.check, fs)
			continue
		}
		if !strings.Contains(f.Summary, tt.summary) || f.Severity != tt.sev || f.Where != tt.where {
			t.Errorf("%s: %s %q at %q, want %s %q at %q", tt.check, f.Severity, f.Summary, f.Where, tt.sev, tt.summary, tt.where)
		}
	}
	if f, ok := findCheck(fs, "apt.ignored-file"); ok {
		t.Errorf("a .dpkg-old file is ignored silently by APT, got %+v", f)
	}
}

// TestAptProblems builds a broken tree: an old suite, a test repository,
// an unsupported Ceph release, a malformed file, a tampered release key
// and an interrupted dpkg.
func TestAptProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n")
	write("usr/bin/pveversion", "")
	write("var/lib/dpkg/status", "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n")
	write("var/lib/dpkg/updates/0001", "Package: foo\n")
	write("etc/apt/sources.list", "deb http://deb.debian.org/debian bullseye main\ndeb http://download.proxmox.com/debian/pve bookworm pvetest\n")
	write("etc/apt/sources.list.d/ceph.list", "deb http://download.proxmox.com/debian/ceph-pacific bookworm main\n")
	write("etc/apt/sources.list.d/broken.sources", "Types: deb\nURIs: http://x\n")
	write("etc/apt/sources.list.d/notes.txt", "hello\n")
	write("etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg", "not the published key")
	write("var/lib/apt/lists/deb.debian.org_debian_dists_bullseye_Release", "Origin: Debian\nSuite: oldoldstable\nCodename: bullseye\nValid-Until: Sat, 01 Jan 2022 00:00:00 UTC\n")
	write("var/lib/apt/lists/deb.debian.org_debian_dists_bullseye_main_binary-amd64_Packages", "")
	fs := aptFindings(t, dir)
	for check, want := range map[string]string{
		"apt.suite-old":             "bullseye",
		"apt.test-repository":       "test",
		"apt.ceph-unsupported":      "Pacific",
		"apt.parse-error":           "no Suites",
		"apt.ignored-file":          "invalid filename extension",
		"apt.no-security":           "no Debian security repository",
		"apt.release-key":           "checksum mismatch",
		"apt.dpkg-interrupted":      "dpkg was interrupted",
		"apt.non-free-firmware":     "bullseye",
		"apt.no-lists":              "no package lists",
		"apt.no-proxmox-repository": "",
	} {
		f, ok := findCheck(fs, check)
		if check == "apt.non-free-firmware" {
			// bullseye predates the component: no such finding.
			if ok {
				t.Errorf("non-free-firmware finding for a bullseye line: %+v", f)
			}
			continue
		}
		if check == "apt.no-proxmox-repository" {
			if ok {
				t.Errorf("pvetest counts as a Proxmox VE repository: %+v", f)
			}
			continue
		}
		if !ok {
			t.Errorf("no %s finding in %+v", check, fs)
			continue
		}
		if !strings.Contains(f.Summary, want) {
			t.Errorf("%s: %q lacks %q", check, f.Summary, want)
		}
	}
	if f, _ := findCheck(fs, "apt.parse-error"); f.Where != "/etc/apt/sources.list.d/broken.sources:1" || f.Severity != Error {
		t.Errorf("parse error finding: %+v", f)
	}
}
