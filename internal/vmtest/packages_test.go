package vmtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
)

func TestParseDebRecords(t *testing.T) {
	out := `Package: python3.11
Version: 3.11.2-6+deb12u9
Section: python
Depends: python3.11-minimal (= 3.11.2-6+deb12u9), libpython3.11-stdlib (= 3.11.2-6+deb12u9), media-types | mime-support
Description-en: Interactive high-level object-oriented language (version 3.11)
 Python is a high-level, interactive, object-oriented language.
 .
 Version: not a field

Package: dpkg
Essential: yes
Version: 1.21.22
Section: admin
Depends: tar (>= 1.28-1)
Pre-Depends: libbz2-1.0, libc6 (>= 2.34), zlib1g (>= 1:1.1.4)

Package: libfuse2
Version: 2.9.9-6+b1
Section: libs
Depends: libc6 (>= 2.34),
 fuse [linux-any] | fuse3 [linux-any]
`
	want := map[string]*debRecord{
		"python3.11": {Version: "3.11.2-6+deb12u9", Section: "python",
			Depends: [][]string{{"python3.11-minimal"}, {"libpython3.11-stdlib"}, {"media-types", "mime-support"}}},
		"dpkg":     {Version: "1.21.22", Section: "admin", Essential: true, Depends: [][]string{{"tar"}, {"libbz2-1.0"}, {"libc6"}, {"zlib1g"}}},
		"libfuse2": {Version: "2.9.9-6+b1", Section: "libs", Depends: [][]string{{"libc6"}, {"fuse", "fuse3"}}},
	}
	if diff := cmp.Diff(want, parseDebRecords([]byte(out))); diff != "" {
		t.Errorf("parseDebRecords mismatch (-want +got):\n%s", diff)
	}
}

func TestParseDepends(t *testing.T) {
	got := parseDepends("python3:any, iproute2, debconf (>= 0.5) | debconf-2.0, foo:amd64 (<< 2) [amd64] <!nocheck>")
	want := [][]string{{"python3"}, {"iproute2"}, {"debconf", "debconf-2.0"}, {"foo"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseDepends mismatch (-want +got):\n%s", diff)
	}
}

func TestIsLibSection(t *testing.T) {
	for s, want := range map[string]bool{"libs": true, "contrib/libs": true, "oldlibs": true, "python": false, "admin": false, "": false} {
		if got := isLibSection(s); got != want {
			t.Errorf("isLibSection(%q) = %v", s, got)
		}
	}
}

// fakeAPT answers apt-cache show and dpkg-query from a table of records
// (name -> "version|section|essential|depends") and installed versions.
func fakeAPT(t *testing.T, records map[string]string, installed map[string]string) *runnertest.Fake {
	f := runnertest.New(t)
	f.Handle(func(c runner.Cmd) (runner.Result, error) {
		var b strings.Builder
		for _, p := range c.Args[4:] {
			r, ok := records[p]
			if !ok {
				continue // apt-cache show prints nothing for virtual packages
			}
			f := strings.SplitN(r, "|", 4)
			fmt.Fprintf(&b, "Package: %s\nVersion: %s\nSection: %s\n", p, f[0], f[1])
			if f[2] == "yes" {
				b.WriteString("Essential: yes\n")
			}
			if f[3] != "" {
				fmt.Fprintf(&b, "Depends: %s\n", f[3])
			}
			b.WriteString("\n")
		}
		return runner.Result{Stdout: []byte(b.String())}, nil
	}, "apt-cache", "show", "--no-all-versions", "--")
	f.Handle(func(c runner.Cmd) (runner.Result, error) {
		var b strings.Builder
		missing := false
		for _, p := range c.Args[5:] {
			if v, ok := installed[p]; ok {
				fmt.Fprintf(&b, "%s\t%s\tii \n", p, v)
			} else {
				missing = true
			}
		}
		res := runner.Result{Stdout: []byte(b.String())}
		if missing {
			res.ExitCode = 1
			return res, &runner.ExitError{Argv: c.Args, ExitCode: 1, Stderr: "dpkg-query: no packages found matching x"}
		}
		return res, nil
	}, "dpkg-query", "-W")
	return f
}

func TestPackageClosure(t *testing.T) {
	records := map[string]string{
		"ifupdown2":             "3.0.0-1.1|admin||python3:any, iproute2",
		"iproute2":              "6.1.0-3|net||libc6 (>= 2.34)",
		"python3":               "3.11.2-1+b1|python||python3.11 (>= 3.11.2-1~), libpython3-stdlib (= 3.11.2-1+b1), python3-minimal",
		"python3-minimal":       "3.11.2-1+b1|python||python3.11-minimal, dpkg (>= 1.13.20)",
		"python3.11":            "3.11.2-6|python||python3.11-minimal (= 3.11.2-6), libpython3.11-stdlib (= 3.11.2-6), media-types | mime-support",
		"python3.11-minimal":    "3.11.2-6|python||libpython3.11-minimal (= 3.11.2-6), libexpat1 (>= 2.1~beta3), zlib1g (>= 1:1.2.0)",
		"libpython3-stdlib":     "3.11.2-1+b1|python||libpython3.11-stdlib",
		"libpython3.11-stdlib":  "3.11.2-6|python||libpython3.11-minimal, libdb5.3, libnsl2",
		"libpython3.11-minimal": "3.11.2-6|python||libc6 (>= 2.14), libssl3 (>= 3.0.0)",
		"media-types":           "10.0.0|net||",
		"mime-support":          "3.66|net||",
		"dpkg":                  "1.21.22|admin|yes|tar",
		"libc6":                 "2.36-9|libs||libgcc-s1",
		"libexpat1":             "2.5.0-1|libs||libc6",
		"zlib1g":                "1:1.2.13|libs||libc6",
		"libssl3":               "3.0.19-1|libs||libc6",
		"libdb5.3":              "5.3.28|libs||libc6",
		"libnsl2":               "1.3.0-2|libs||libc6, libtirpc3",
		"libtirpc3":             "1.3.3|libs||libc6",
	}
	installed := map[string]string{
		"libc6": "2.36-9", "libexpat1": "2.5.0-1", "zlib1g": "1:1.2.13", "libssl3": "3.0.19-1",
		"libdb5.3": "5.3.27", // another version: the libraries come from here
		// libnsl2 is not installed here: unpacked, with its own dependencies.
		"libtirpc3": "1.3.3",
	}
	e := &Env{run: fakeAPT(t, records, installed)}
	got, vers, err := e.packageClosure(context.Background(), []string{"python3", "ifupdown2", "zlib1g"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ifupdown2", "libnsl2", "libpython3-stdlib", "libpython3.11-minimal", "libpython3.11-stdlib",
		"media-types", "python3", "python3-minimal", "python3.11", "python3.11-minimal",
		"zlib1g", // named: unpacked even though this machine has it
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("closure mismatch (-want +got):\n%s", diff)
	}
	if vers["python3.11"] != "3.11.2-6" || vers["zlib1g"] != "1:1.2.13" {
		t.Errorf("versions: %v", vers)
	}

	e = &Env{run: fakeAPT(t, records, installed)}
	if _, _, err := e.packageClosure(context.Background(), []string{"python3", "nosuch"}); err == nil || !strings.Contains(err.Error(), "APT has no package nosuch") {
		t.Errorf("unknown package: %v", err)
	}
}
