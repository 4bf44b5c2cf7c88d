package apt

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Preferences locations, below the root.
const (
	PreferencesFile = "/etc/apt/preferences"
	PreferencesDir  = "/etc/apt/preferences.d"
)

// NeverPin is the priority of "Pin-Priority: never".
const NeverPin = math.MinInt16

// Pin is one record of an apt_preferences(5) file.
type Pin struct {
	// Packages the pin applies to: names, globs or /regex/, optionally
	// with ":arch" or a "src:" prefix. Empty for "Package: *", which
	// makes the pin apply to whole package lists.
	Packages []string
	// Type is "version", "release" or "origin".
	Type string
	// Data is what follows the type in the Pin field.
	Data     string
	Priority int
	Path     string
	Line     int

	match *pinMatch
}

// ParsePreferences parses an apt_preferences(5) file. Records APT skips
// (no Pin field, an unknown pin type) are skipped; records APT refuses
// return a *ParseError.
func ParsePreferences(name string, data []byte) ([]Pin, error) {
	var pins []Pin
	pr := newParagraphReader(bytes.NewReader(data))
	for {
		par, line, err := pr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		par = stripComments(par)
		if len(bytes.TrimSpace(par)) == 0 {
			continue
		}
		perr := func(format string, args ...any) error {
			return &ParseError{Path: name, Line: line, Err: fmt.Errorf(format, args...)}
		}
		pkg, ok := field(par, "Package")
		if !ok || len(pkg) == 0 {
			return nil, perr("%w: record without a Package field", ErrMalformed)
		}
		pinv, ok := field(par, "Pin")
		if !ok {
			continue
		}
		typ, data, _ := strings.Cut(string(pinv), " ")
		typ = strings.ToLower(typ)
		data = strings.TrimSpace(data)
		p := Pin{Type: typ, Data: data, Path: name, Line: line}
		if string(pkg) != "*" {
			p.Packages = strings.Fields(string(pkg))
		}
		switch {
		case typ == "version" && p.Packages != nil, typ == "release", typ == "origin":
		default:
			continue // APT warns and skips
		}
		prio := strings.TrimSpace(fieldString(par, "Pin-Priority"))
		switch n, err := strconv.Atoi(prio); {
		case prio == "never":
			if p.Packages != nil {
				return nil, perr("%w: Pin-Priority: never is only for Package: * records", ErrMalformed)
			}
			p.Priority = NeverPin
		case err != nil && prio != "":
			return nil, perr("%w: Pin-Priority %q is not a number", ErrMalformed, prio)
		case n < math.MinInt16 || n > math.MaxInt16:
			return nil, perr("%w: Pin-Priority %d is outside %d..%d", ErrMalformed, n, math.MinInt16, math.MaxInt16)
		case n == 0:
			return nil, perr("%w: no priority (or zero) specified for pin", ErrMalformed)
		default:
			if n == NeverPin {
				n = NeverPin + 1
			}
			p.Priority = n
		}
		p.match = newPinMatch(p.Type, p.Data)
		pins = append(pins, p)
	}
	return pins, nil
}

func stripComments(par []byte) []byte {
	if !bytes.Contains(par, []byte("#")) {
		return par
	}
	var b bytes.Buffer
	for _, l := range bytes.SplitAfter(par, []byte("\n")) {
		if len(l) > 0 && l[0] == '#' {
			continue
		}
		b.Write(l)
	}
	return b.Bytes()
}

// readPreferences reads /etc/apt/preferences and the files of
// /etc/apt/preferences.d APT reads (no extension or ".pref"), in APT's
// order.
func readPreferences(fsys *rootfs.FS) ([]Pin, error) {
	names := []string{PreferencesFile}
	if ents, err := fsys.ReadDir(PreferencesDir); err == nil {
		for _, de := range ents {
			if ok, _ := partName(de.Name(), []string{"pref"}, true); ok && !de.IsDir() {
				names = append(names, path.Join(PreferencesDir, de.Name()))
			}
		}
	}
	var pins []Pin
	for _, n := range names {
		data, err := fsys.ReadFile(n)
		if err != nil {
			continue
		}
		p, err := ParsePreferences(n, data)
		if err != nil {
			return nil, err
		}
		pins = append(pins, p...)
	}
	return pins, nil
}

// pinMatch is APT's pkgVersionMatch.
type pinMatch struct {
	typ string
	// version pins
	ver       string
	verPrefix bool
	// release pins
	all                                                  bool
	relVer, origin, archive, codename, label, comp, arch string
	release                                              string
	relVerPrefix                                         bool
	// origin pins
	site string
}

func newPinMatch(typ, data string) *pinMatch {
	m := &pinMatch{typ: typ}
	if data == "" {
		return m
	}
	switch typ {
	case "version":
		m.ver = data
		if strings.HasSuffix(data, "*") {
			m.ver, m.verPrefix = data[:len(data)-1], true
		}
	case "release":
		if data == "*" {
			m.all = true
			return m
		}
		if !strings.Contains(data, "=") {
			if isDigit(data[0]) {
				m.relVer = data
			} else {
				m.release = data
			}
		} else {
			for _, frag := range strings.Split(data, ",") {
				frag = strings.TrimSpace(frag)
				if len(frag) < 3 || frag[1] != '=' {
					continue
				}
				v := frag[2:]
				switch strings.ToLower(frag[:1]) {
				case "v":
					m.relVer = v
				case "o":
					m.origin = v
				case "a":
					m.archive = v
				case "n":
					m.codename = v
				case "l":
					m.label = v
				case "c":
					m.comp = v
				case "b":
					m.arch = v
				}
			}
		}
		if strings.HasSuffix(m.relVer, "*") {
			m.relVer, m.relVerPrefix = m.relVer[:len(m.relVer)-1], true
		}
	case "origin":
		m.site = strings.Trim(data, `"`)
	}
	return m
}

// matchVer is APT's MatchVer: a case-insensitive equal or prefix match.
func matchVer(a, b string, prefix bool) bool {
	if len(a) < len(b) || (!prefix && len(a) != len(b)) {
		return false
	}
	return strings.EqualFold(a[:len(b)], b)
}

// exprMatches is APT's ExpressionMatches: /regex/ (extended, case
// insensitive) or an fnmatch glob (case insensitive).
func exprMatches(pattern, s string) bool {
	if len(pattern) >= 2 && pattern[0] == '/' && pattern[len(pattern)-1] == '/' {
		re, err := regexp.Compile("(?i)" + pattern[1:len(pattern)-1])
		return err == nil && re.MatchString(s)
	}
	return globMatch(pattern, s)
}

// globMatch is fnmatch(3) with FNM_CASEFOLD and no other flag: "*" and
// "?" match any character, "/" included.
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?[\\") {
		return strings.EqualFold(pattern, s)
	}
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pattern) {
				i++
				b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
			}
		case '[':
			j := strings.IndexByte(pattern[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pattern[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}

// fileMatch reports whether a package list (or the status file, l == nil)
// matches a release or origin pin.
func (m *pinMatch) fileMatch(l *PackageList) bool {
	if l == nil {
		// The status file: only "a=now" style release pins match it.
		if m.typ != "release" {
			return false
		}
		if m.all {
			return true
		}
		if m.archive == "" && m.release == "" {
			return false
		}
		if m.archive != "" && !exprMatches(m.archive, "now") {
			return false
		}
		if m.release != "" && !exprMatches(m.release, "now") {
			return false
		}
		return m.origin == "" && m.label == "" && m.relVer == "" && m.codename == ""
	}
	switch m.typ {
	case "release":
		if m.all {
			return true
		}
		if m.relVer == "" && m.origin == "" && m.archive == "" && m.label == "" &&
			m.release == "" && m.codename == "" && m.comp == "" && m.arch == "" {
			return false
		}
		rel := l.Release
		if rel == nil {
			rel = &Release{}
		}
		if m.relVer != "" && !matchVer(rel.Version, m.relVer, m.relVerPrefix) && !exprMatches(m.relVer, rel.Version) {
			return false
		}
		if m.origin != "" && !exprMatches(m.origin, rel.Origin) {
			return false
		}
		if m.archive != "" && !exprMatches(m.archive, rel.Suite) {
			return false
		}
		if m.codename != "" && !exprMatches(m.codename, rel.Codename) {
			return false
		}
		if m.release != "" && !exprMatches(m.release, rel.Suite) && !exprMatches(m.release, rel.Codename) {
			return false
		}
		if m.label != "" && !exprMatches(m.label, rel.Label) {
			return false
		}
		if m.comp != "" && !exprMatches(m.comp, l.Component) {
			return false
		}
		if m.arch != "" && !exprMatches(m.arch, l.Arch) {
			return false
		}
		return true
	case "origin":
		return exprMatches(m.site, l.Site)
	}
	return false
}

// applyFilePins sets the priority of every list from the "Package: *"
// pins: the first matching pin wins, except that a never-pin always does.
func applyFilePins(lists []*PackageList, pins []Pin) {
	fixed := make([]bool, len(lists))
	for _, p := range pins {
		if p.Packages != nil {
			continue
		}
		for i, l := range lists {
			if (!fixed[i] || p.Priority == NeverPin) && l.Priority != NeverPin && p.match.fileMatch(l) {
				l.Priority = p.Priority
				fixed[i] = true
			}
		}
	}
}

// statusPriority is the status file's priority after "Package: *" pins.
func statusPriority(pins []Pin) int {
	for _, p := range pins {
		if p.Packages == nil && p.match.fileMatch(nil) {
			return p.Priority
		}
	}
	return 100
}

// pinAppliesTo reports whether a package pin names the package.
func pinAppliesTo(pattern, name, arch, source, nativeArch string) bool {
	src := strings.HasPrefix(pattern, "src:")
	pattern = strings.TrimPrefix(pattern, "src:")
	want := nativeArch
	if i := strings.LastIndexByte(pattern, ':'); i >= 0 {
		pattern, want = pattern[:i], pattern[i+1:]
	}
	if want != "any" && !exprMatches(want, arch) && !(arch == "all" && want == nativeArch) {
		return false
	}
	subject := name
	if src {
		subject = source
	}
	if pattern == subject {
		return true
	}
	wild := (len(pattern) > 1 && pattern[0] == '/' && pattern[len(pattern)-1] == '/') || strings.ContainsAny(pattern, "*[?")
	return wild && exprMatches(pattern, subject)
}
