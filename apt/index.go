package apt

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// ListsDir is where APT keeps downloaded indexes, below the root.
const ListsDir = "/var/lib/apt/lists"

// URIToFileName returns the name APT gives a downloaded file of uri in
// the lists directory (apt-pkg's URItoFileName): user, password and
// scheme dropped, unsafe characters %-quoted, "/" turned into "_".
func URIToFileName(uri string) string {
	// Strip "scheme:" and "//user:pass@".
	if i := strings.IndexByte(uri, ':'); i >= 0 && !strings.Contains(uri[:i], "/") {
		uri = uri[i+1:]
	}
	uri = strings.TrimPrefix(uri, "//")
	host, rest, _ := strings.Cut(uri, "/")
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	if rest != "" || strings.HasSuffix(uri, "/") {
		uri = host + "/" + rest
	} else {
		uri = host
	}
	const bad = "\\|{}[]<>\"^~_=!@#$%^&*"
	var b strings.Builder
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		switch {
		case c == '/':
			b.WriteByte('_')
		case strings.IndexByte(bad, c) >= 0 || c <= 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "%%%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// uriEncode is APT's pkgAcquire::URIEncode for suites and paths: "+",
// "~", blanks, "%" and non-printable bytes are %-quoted.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("+~%", c) >= 0 {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// metaURI is APT's constructMetaIndexURI.
func metaURI(uri, suite, file string) string {
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	switch {
	case suite == "/":
	case strings.HasSuffix(suite, "/"):
		uri += uriEncode(suite)
	default:
		uri += "dists/" + uriEncode(suite) + "/"
	}
	return uri + uriEncode(file)
}

// PackageList is one downloaded Packages index of a repository.
type PackageList struct {
	// Path is the file below the root, compression extension included.
	Path        string
	Compression Compression
	URI         string
	Suite       string // as configured
	Component   string // "" for a flat repository
	Arch        string
	// Site is the host name of the URI (what "Pin: origin" matches).
	Site string
	// Release describes the repository; nil if no Release file was found.
	Release *Release
	// Priority is the pin priority of the list: 500 by default, 100 for
	// ButAutomaticUpgrades, 1 for NotAutomatic, or what preferences say.
	Priority int
	// Entry is the sources entry that names the list.
	Entry *Entry
}

// Archive is the name "apt list" shows for the list: the Release's Suite.
func (l *PackageList) Archive() string {
	if l.Release != nil && l.Release.Suite != "" {
		return l.Release.Suite
	}
	return "unknown"
}

// findCompressed returns the existing file for base with any of the
// compressions APT may have stored it in.
func findCompressed(fsys *rootfs.FS, base string) (string, Compression, bool) {
	for _, c := range compressions {
		name := base
		if c != Uncompressed {
			name += "." + string(c)
		}
		if fi, err := fsys.Stat(name); err == nil && fi.Mode().IsRegular() {
			return name, c, true
		}
	}
	return "", "", false
}

// entryArchs returns the architectures an entry's lists are for.
func entryArchs(e *Entry, archs []string) []string {
	if v, ok := e.Option("Architectures"); ok {
		return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	}
	out := archs
	if v, ok := e.Option("Architectures-Add"); ok {
		out = append(append([]string(nil), out...), strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	if v, ok := e.Option("Architectures-Remove"); ok {
		rm := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		var kept []string
		for _, a := range out {
			if !containsString(rm, a) {
				kept = append(kept, a)
			}
		}
		out = kept
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hostOf returns the host name of a URI.
func hostOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// PackageLists returns the downloaded Packages lists of the enabled "deb"
// entries in src, in APT's order, for the given architectures (native
// first). Lists that were never downloaded are skipped; a list named by
// two entries is returned once.
func packageLists(fsys *rootfs.FS, src *Sources, archs []string) []*PackageList {
	var out []*PackageList
	seen := map[string]bool{}
	releases := map[string]*Release{}
	for _, e := range src.Entries() {
		if !e.Enabled || !containsString(e.Types, "deb") {
			continue
		}
		arches := entryArchs(e, archs)
		for _, uri := range e.URIs {
			for _, suite := range e.Suites {
				suite = strings.ReplaceAll(suite, "$(ARCH)", archs[0])
				rel, ok := releases[uri+" "+suite]
				if !ok {
					rel = readRelease(fsys, uri, suite)
					releases[uri+" "+suite] = rel
				}
				var targets [][2]string // component, arch
				if strings.HasSuffix(suite, "/") {
					targets = append(targets, [2]string{"", ""})
				} else {
					for _, comp := range e.Components {
						for _, a := range append(arches, "all") {
							targets = append(targets, [2]string{comp, a})
						}
					}
				}
				for _, t := range targets {
					file := "Packages"
					if t[0] != "" {
						file = t[0] + "/binary-" + t[1] + "/Packages"
					}
					base := path.Join(ListsDir, URIToFileName(metaURI(uri, suite, file)))
					name, c, ok := findCompressed(fsys, base)
					if !ok || seen[name] {
						continue
					}
					seen[name] = true
					l := &PackageList{
						Path: name, Compression: c, URI: uri, Suite: suite,
						Component: t[0], Arch: t[1], Site: hostOf(uri), Release: rel, Entry: e,
					}
					l.Priority = defaultPriority(rel)
					out = append(out, l)
				}
			}
		}
	}
	return out
}

func defaultPriority(rel *Release) int {
	switch {
	case rel == nil:
		return 500
	case rel.ButAutomaticUpgrades:
		return 100
	case rel.NotAutomatic:
		return 1
	}
	return 500
}

// readRelease reads the InRelease or Release file of a repository; nil if
// there is none.
func readRelease(fsys *rootfs.FS, uri, suite string) *Release {
	for _, name := range []string{"InRelease", "Release"} {
		data, err := fsys.ReadFile(path.Join(ListsDir, URIToFileName(metaURI(uri, suite, name))))
		if err != nil {
			continue
		}
		if rel, err := ParseRelease(data); err == nil {
			return rel
		}
	}
	return nil
}
