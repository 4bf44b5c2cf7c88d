package boot

import (
	"strings"
)

// The boot package reads the dpkg status file and orders kernel versions
// itself rather than importing the apt package, which would pull its
// OpenPGP dependencies into every boot-loader tool.

const dpkgStatusFile = "/var/lib/dpkg/status"

// dpkgPackage is the part of a dpkg status stanza the boot package needs.
type dpkgPackage struct {
	name, version string
	want, state   string // "install ok installed" → want "install", state "installed"
}

func (p dpkgPackage) installed() bool {
	return (p.want == "install" || p.want == "hold") && p.state == "installed"
}

// parseDpkgStatus reads the Package, Version and Status fields of each
// stanza.
func parseDpkgStatus(b []byte) []dpkgPackage {
	var out []dpkgPackage
	var cur dpkgPackage
	flush := func() {
		if cur.name != "" {
			out = append(out, cur)
		}
		cur = dpkgPackage{}
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.name = v
		case "Version":
			cur.version = v
		case "Status":
			f := strings.Fields(v)
			if len(f) == 3 {
				cur.want, cur.state = f[0], f[2]
			}
		}
	}
	flush()
	return out
}

// compareVersions orders two Debian version strings (epoch, upstream
// version, revision; "~" sorts before everything, letters before other
// characters).
func compareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if c := compareInts(ea, eb); c != 0 {
		return c
	}
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(ra, rb)
}

func splitVersion(v string) (epoch, upstream, revision string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func compareInts(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func order(c byte) int {
	switch {
	case c == '~':
		return -1
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == 0:
		return 0
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func compareFragment(a, b string) int {
	for a != "" || b != "" {
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			var ca, cb byte
			if a != "" && !isDigit(a[0]) {
				ca = a[0]
			}
			if b != "" && !isDigit(b[0]) {
				cb = b[0]
			}
			if oa, ob := order(ca), order(cb); oa != ob {
				if oa < ob {
					return -1
				}
				return 1
			}
			if ca != 0 {
				a = a[1:]
			}
			if cb != 0 {
				b = b[1:]
			}
		}
		i, j := 0, 0
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareInts(a[:i], b[:j]); c != 0 {
			return c
		}
		a, b = a[i:], b[j:]
	}
	return 0
}
