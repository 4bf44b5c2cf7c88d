package apt

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidVersion is matched by every [*VersionError].
var ErrInvalidVersion = errors.New("invalid version")

// VersionError reports a version string that dpkg refuses in a package's
// control data. Reason is dpkg's own wording.
type VersionError struct {
	Version string
	Reason  string
}

func (e *VersionError) Error() string {
	return "version " + strconv.Quote(e.Version) + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidVersion) hold.
func (e *VersionError) Unwrap() error { return ErrInvalidVersion }

// Version is a Debian package version: [epoch:]upstream[-revision].
type Version struct {
	Epoch    uint32
	Upstream string
	Revision string
}

// String formats v the way dpkg writes it: the epoch when it is not zero
// or the upstream part holds a colon, the revision when it is not empty.
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != 0 || strings.IndexByte(v.Upstream, ':') >= 0 {
		b.WriteString(strconv.FormatUint(uint64(v.Epoch), 10))
		b.WriteByte(':')
	}
	b.WriteString(v.Upstream)
	if v.Revision != "" {
		b.WriteByte('-')
		b.WriteString(v.Revision)
	}
	return b.String()
}

// Compare orders v against w as dpkg does: -1, 0 or +1.
func (v Version) Compare(w Version) int {
	switch {
	case v.Epoch > w.Epoch:
		return 1
	case v.Epoch < w.Epoch:
		return -1
	}
	if r := verrevcmp(v.Upstream, w.Upstream); r != 0 {
		return r
	}
	return verrevcmp(v.Revision, w.Revision)
}

// ParseVersion parses s with the rules of dpkg's parseversion: blanks
// around the version are ignored; the epoch is a decimal number no larger
// than 2147483647; the upstream part starts with a digit and holds only
// letters, digits and ".+~-:"; the revision (after the last hyphen) holds
// only letters, digits and ".+~". dpkg --compare-versions only warns about
// the last three rules, but dpkg refuses such versions in package control
// data, and so does ParseVersion.
//
// ParseVersion does not allocate unless it returns an error.
func ParseVersion(s string) (Version, error) {
	v, reason := parseVersion(s)
	if reason != "" {
		return Version{}, &VersionError{Version: s, Reason: reason}
	}
	return v, nil
}

// MustParseVersion is like [ParseVersion] but panics on an invalid version.
// It is meant for constants in programs and tests.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// CompareVersions compares two version strings with dpkg's ordering and
// returns -1, 0 or +1, or an error wrapping [ErrInvalidVersion] when either
// string is not a valid version (see [ParseVersion]). It does not allocate
// for valid versions.
func CompareVersions(a, b string) (int, error) {
	if a == b {
		if _, r := parseVersion(a); r != "" {
			return 0, &VersionError{Version: a, Reason: r}
		}
		return 0, nil
	}
	va, ra := parseVersion(a)
	if ra != "" {
		return 0, &VersionError{Version: a, Reason: ra}
	}
	vb, rb := parseVersion(b)
	if rb != "" {
		return 0, &VersionError{Version: b, Reason: rb}
	}
	return va.Compare(vb), nil
}

// ValidVersion reports whether s is a valid version (see [ParseVersion]).
func ValidVersion(s string) bool {
	_, r := parseVersion(s)
	return r == ""
}

// compareVersionsLax orders two version strings the way APT does for
// strings it has already accepted from package lists: no validation.
// Invalid strings order as their parts would.
func compareVersionsLax(a, b string) int {
	va, _ := parseVersionLax(a)
	vb, _ := parseVersionLax(b)
	return va.Compare(vb)
}

func isBlank(c byte) bool  { return c == ' ' || c == '\t' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool  { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isCSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// parseVersion returns the parsed version, or the reason it is invalid in
// dpkg's words.
func parseVersion(s string) (Version, string) {
	v, reason := parseVersionLax(s)
	if reason != "" {
		return v, reason
	}
	up := v.Upstream
	if !isDigit(up[0]) {
		return Version{}, "version number does not start with digit"
	}
	for i := 1; i < len(up); i++ {
		if charClass[up[i]]&classUpstream == 0 {
			return Version{}, "invalid character in version number"
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		if charClass[v.Revision[i]]&classRevision == 0 {
			return Version{}, "invalid character in revision number"
		}
	}
	return v, ""
}

// parseVersionLax splits s into its parts with dpkg's structural rules
// (blanks, epoch, empty parts) but without the character rules.
func parseVersionLax(s string) (Version, string) {
	start := 0
	for start < len(s) && isBlank(s[start]) {
		start++
	}
	if start == len(s) {
		return Version{}, "version string is empty"
	}
	end := start
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	for i := end; i < len(s); i++ {
		if !isBlank(s[i]) {
			return Version{}, "version string has embedded spaces"
		}
	}
	str := s[start:end]
	var v Version
	if colon := strings.IndexByte(str, ':'); colon >= 0 {
		epoch, reason := parseEpoch(str[:colon])
		if reason != "" {
			return Version{}, reason
		}
		if colon+1 == len(str) {
			return Version{}, "nothing after colon in version number"
		}
		v.Epoch = epoch
		str = str[colon+1:]
	}
	if h := strings.LastIndexByte(str, '-'); h >= 0 {
		if h+1 == len(str) {
			return Version{}, "revision number is empty"
		}
		v.Upstream, v.Revision = str[:h], str[h+1:]
	} else {
		v.Upstream = str
	}
	if v.Upstream == "" {
		return Version{}, "version number is empty"
	}
	return v, ""
}

// parseEpoch mirrors C's strtol(s, &end, 10) followed by dpkg's checks
// that the number ends exactly at the colon and fits in an int.
func parseEpoch(s string) (uint32, string) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits := i
	var n uint64
	overflow := false
	for i < len(s) && isDigit(s[i]) {
		if n > (1<<63)/10 {
			overflow = true
		} else {
			n = n*10 + uint64(s[i]-'0')
			if n > 1<<63 {
				overflow = true
			}
		}
		i++
	}
	switch {
	case i == digits:
		// strtol consumed nothing: its end pointer is the start.
		return 0, "epoch in version is empty"
	case i != len(s):
		return 0, "epoch in version is not number"
	case neg && n != 0:
		return 0, "epoch in version is negative"
	case overflow || n > 1<<31-1:
		return 0, "epoch in version is too big"
	}
	return uint32(n), ""
}

// Character classes of dpkg's version syntax.
const (
	classUpstream = 1 << iota // letters, digits and ".+~-:"
	classRevision             // letters, digits and ".+~"
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if isDigit(b) || isAlpha(b) || b == '.' || b == '+' || b == '~' {
			t[c] = classUpstream | classRevision
		}
		if b == '-' || b == ':' {
			t[c] = classUpstream
		}
	}
	return t
}()

// orderTab is dpkg's weight of a character in the non-digit parts
// (order() in lib/dpkg/version.c): digits and the end weigh 0, letters
// their code, "~" -1 so that it sorts before everything, even the end,
// and other characters their code plus 256, after all letters.
var orderTab = func() (t [256]int16) {
	for c := 1; c < 256; c++ {
		b := byte(c)
		switch {
		case isDigit(b):
		case isAlpha(b):
			t[c] = int16(c)
		case b == '~':
			t[c] = -1
		default:
			t[c] = int16(c) + 256
		}
	}
	return t
}()

// at returns the weight of s[i], or of the end past it.
func at(s string, i int) int {
	if i < len(s) {
		return int(orderTab[s[i]])
	}
	return 0
}

// verrevcmp is dpkg's comparison of an upstream version or a revision:
// alternating non-digit parts (compared by order) and digit parts
// (compared numerically, without a length limit).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := at(a, i), at(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
