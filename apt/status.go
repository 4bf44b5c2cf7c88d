package apt

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// DpkgStatus is the dpkg status database, below the root.
const DpkgStatus = "/var/lib/dpkg/status"

// ErrNotInstalled is returned for a package that is not installed.
var ErrNotInstalled = errors.New("package not installed")

// ErrNoPackage is returned for a package no list or status file knows.
var ErrNoPackage = errors.New("no such package")

// PackageStatus is one package of the dpkg status file.
type PackageStatus struct {
	Name    string
	Arch    string // "amd64", "all", ...
	Version string
	// Want is the selection: "install", "hold", "deinstall", "purge" or
	// "unknown". "hold" is what apt-mark hold sets.
	Want string
	// Flag is "ok" or "reinstreq".
	Flag string
	// State is "installed", "config-files", "unpacked", "half-configured",
	// "half-installed", "triggers-awaited", "triggers-pending" or
	// "not-installed".
	State string
	// Source is the source package, "" when it has the package's name.
	Source string
	// MultiArch is the Multi-Arch field ("same", "foreign", "allowed").
	MultiArch string
	// Line is where the package's stanza starts in the status file.
	Line int
}

// Installed reports whether a version of the package is on the system:
// any state but "not-installed" and "config-files" (APT's notion of a
// current version).
func (p *PackageStatus) Installed() bool {
	return p.State != "" && p.State != "not-installed" && p.State != "config-files"
}

// Held reports whether the package is on hold.
func (p *PackageStatus) Held() bool { return p.Want == "hold" }

// Status is the parsed dpkg status file.
type Status struct {
	Packages []PackageStatus // in file order
	byName   map[string][]int
}

// ParseStatus parses a dpkg status file. name is used in errors.
func ParseStatus(name string, r io.Reader) (*Status, error) {
	s := &Status{byName: map[string][]int{}}
	pr := newParagraphReader(r)
	for {
		par, line, err := pr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		pkg, ok := field(par, "Package")
		if !ok || len(pkg) == 0 {
			return nil, &ParseError{Path: name, Line: line, Err: fmt.Errorf("%w: stanza without Package", ErrMalformed)}
		}
		if reason := pkgNameIllegal(pkg); reason != "" {
			return nil, &ParseError{Path: name, Line: line, Err: fmt.Errorf("%w: package name %q %s", ErrMalformed, pkg, reason)}
		}
		p := PackageStatus{
			Name:      string(pkg),
			Arch:      fieldString(par, "Architecture"),
			Version:   fieldString(par, "Version"),
			MultiArch: fieldString(par, "Multi-Arch"),
			Line:      line,
		}
		if src, ok := field(par, "Source"); ok {
			// "Source: name (version)" when the versions differ.
			w, _, _ := strings.Cut(string(src), " ")
			if w != p.Name {
				p.Source = w
			}
		}
		st := strings.Fields(fieldString(par, "Status"))
		if len(st) != 3 {
			return nil, &ParseError{Path: name, Line: line, Err: fmt.Errorf("%w: package %s: Status %q is not \"want flag state\"", ErrMalformed, p.Name, strings.Join(st, " "))}
		}
		p.Want, p.Flag, p.State = st[0], st[1], st[2]
		s.byName[p.Name] = append(s.byName[p.Name], len(s.Packages))
		s.Packages = append(s.Packages, p)
	}
	return s, nil
}

// pkgNameIllegal is dpkg's pkg_name_is_illegal: a letter or digit first,
// then letters, digits and "-+._".
func pkgNameIllegal(name []byte) string {
	if !isAlpha(name[0]) && !isDigit(name[0]) {
		return "must start with an alphanumeric character"
	}
	for _, c := range name {
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '+' && c != '.' && c != '_' {
			return fmt.Sprintf("has character %q (only letters, digits and \"-+._\")", c)
		}
	}
	return ""
}

// Lookup returns the status of a package: with arch "", the one of the
// native architecture (or "all"), else any. name may be "name:arch".
func (s *Status) Lookup(name, nativeArch string) *PackageStatus {
	arch := ""
	if n, a, ok := strings.Cut(name, ":"); ok {
		name, arch = n, a
	}
	idx := s.byName[name]
	if len(idx) == 0 {
		return nil
	}
	best := -1
	for _, i := range idx {
		p := &s.Packages[i]
		switch {
		case arch != "" && p.Arch == arch:
			return p
		case arch == "" && (p.Arch == nativeArch || p.Arch == "all"):
			return p
		case arch == "" && best < 0:
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	return &s.Packages[best]
}

// Held returns the names of the packages on hold, sorted.
func (s *Status) Held() []string {
	var out []string
	for i := range s.Packages {
		if s.Packages[i].Held() {
			out = append(out, s.Packages[i].Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
