package netcfg

import (
	"errors"
	"fmt"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/textline"
)

// ErrLink marks a .link file or pin that systemd would not apply as
// intended.
var ErrLink = errors.New("invalid link file")

// LinkFile is a systemd .link file (systemd.link(5)) as written: sections
// such as [Match] and [Link] with Key=Value lines, comments and blank
// lines. Formatting an untouched file returns its bytes exactly; [LinkFile.Set]
// and [LinkFile.Delete] rewrite only the lines they touch.
type LinkFile struct {
	// Name is the name the file was parsed under.
	Name  string
	Lines []*LinkLine
}

// LinkLine is one logical line of a .link file (a line ending in a
// backslash continues on the next).
type LinkLine struct {
	// Section is the section the line is in ("Match", "Link"); for a
	// section header, the section it opens. Empty before the first
	// header.
	Section string
	// Header is true for a "[Section]" line.
	Header bool
	// Key and Value are set for a Key=Value line, with blanks around them
	// removed.
	Key, Value string
	// Text is the trimmed text of a comment, blank or unreadable line.
	Text string
	// Err is set for a line that is neither.
	Err error
	// Num is the 1-based number of the line's first physical line.
	Num int

	raw, orig, indent string
	// open is true for a line whose continuation is still open at the
	// end of the file: a line added after it would join it.
	open bool
}

func (l *LinkLine) regen() string {
	switch {
	case l.Header:
		return "[" + l.Section + "]"
	case l.Key != "":
		return l.indent + l.Key + "=" + l.Value
	}
	return l.Text
}

// ParseLink reads a .link file. It always returns the file; the error
// lists lines systemd would ignore (a key outside a section, a line
// without "="), which are kept.
func ParseLink(name string, data []byte) (*LinkFile, error) {
	f := &LinkFile{Name: name}
	var errs ErrorList
	section := ""
	num := 0
	text := string(data)
	for len(text) > 0 {
		// One logical line, read as systemd does: physical lines joined
		// while they end in an unescaped backslash (not in a comment),
		// skipping comment lines within; a continuation still open at
		// the end of the file ends there.
		var raw strings.Builder
		var logical strings.Builder
		first := num + 1
		open, cont := false, false
		for {
			num++
			var body, eol string
			body, eol, text = textline.Cut(text, true)
			raw.WriteString(body + eol)
			comment := isLinkComment(body)
			switch {
			case cont && comment:
			case !comment && textline.Continues(body):
				body = body[:len(body)-1]
				if len(text) > 0 {
					body += " "
				}
				logical.WriteString(body)
				cont = true
			default:
				logical.WriteString(body)
				cont = false
			}
			if !cont || len(text) == 0 {
				open = cont
				break
			}
		}
		line := logical.String()
		l := &LinkLine{Num: first, raw: raw.String(), Section: section, open: open}
		t := strings.TrimSpace(line)
		l.indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
			l.Text = line
		case t[0] == '[' && t[len(t)-1] == ']':
			section = strings.TrimSpace(t[1 : len(t)-1])
			l.Header, l.Section = true, section
		default:
			k, v, ok := strings.Cut(t, "=")
			switch {
			case !ok || strings.TrimSpace(k) == "":
				l.Text = line
				l.Err = errorf(ErrLink, "%q is not Key=Value", t)
			case section == "":
				l.Text = line
				l.Err = errorf(ErrLink, "%s is outside a section", strings.TrimSpace(k))
			default:
				l.Key, l.Value = strings.TrimSpace(k), strings.TrimSpace(v)
			}
			if l.Err != nil {
				errs = append(errs, &Error{Pos: Pos{File: name, Line: first}, Err: l.Err})
			}
		}
		l.orig = l.regen()
		f.Lines = append(f.Lines, l)
	}
	return f, errs.err()
}

// Format returns the file's text.
func (f *LinkFile) Format() []byte {
	return textline.Format(f.Lines, func(l *LinkLine) string { return l.raw },
		func(l *LinkLine) (string, bool) { t := l.regen(); return t, t != l.orig })
}

// Values returns the values of key in section, in order. An empty value
// resets a list in systemd, so only the values after the last empty one
// count; Values returns them all as written.
func (f *LinkFile) Values(section, key string) []string {
	var out []string
	for _, l := range f.Lines {
		if !l.Header && l.Section == section && l.Key == key {
			out = append(out, l.Value)
		}
	}
	return out
}

// Get returns the last value of key in section.
func (f *LinkFile) Get(section, key string) (string, bool) {
	v := f.Values(section, key)
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Set gives key in section the value: its last line is changed, or a line
// is added at the end of the section (which is added at the end of the
// file if missing, after a blank line).
func (f *LinkFile) Set(section, key, value string) {
	last, end := -1, -1
	for i, l := range f.Lines {
		if l.Section != section {
			continue
		}
		if !l.Header && l.Key == key {
			last = i
		}
		if l.Header || l.Key != "" || l.Err != nil || strings.TrimSpace(l.Text) != "" {
			end = i
		}
	}
	if last >= 0 {
		f.Lines[last].Value = value
		return
	}
	nl := &LinkLine{Section: section, Key: key, Value: value}
	if end >= 0 {
		add := []*LinkLine{nl}
		if f.Lines[end].continues() {
			add = []*LinkLine{{Section: section}, nl}
		}
		f.Lines = append(f.Lines[:end+1], append(add, f.Lines[end+1:]...)...)
		return
	}
	if n := len(f.Lines); n > 0 {
		if last := f.Lines[n-1]; last.Header || last.Key != "" || last.Err != nil || strings.TrimSpace(last.Text) != "" {
			f.Lines = append(f.Lines, &LinkLine{Section: last.Section})
		}
	}
	f.Lines = append(f.Lines, &LinkLine{Section: section, Header: true}, nl)
}

// continues reports whether a line added after l would continue it: l
// is unchanged and its continuation is open at the end of the file.
func (l *LinkLine) continues() bool {
	return l.open && l.regen() == l.orig
}

// isLinkComment reports whether a physical line is a comment for systemd.
func isLinkComment(line string) bool {
	t := strings.TrimLeft(line, " \t")
	return t != "" && (t[0] == '#' || t[0] == ';')
}

// Delete removes every line of key in section and reports whether there
// was one.
func (f *LinkFile) Delete(section, key string) bool {
	out := f.Lines[:0]
	found := false
	for _, l := range f.Lines {
		if !l.Header && l.Section == section && l.Key == key {
			found = true
			continue
		}
		out = append(out, l)
	}
	f.Lines = out
	return found
}

// MatchMACs returns the MAC addresses the [Match] section's MACAddress
// lines list (blank-separated; an empty value resets the list).
func (f *LinkFile) MatchMACs() ([]net.HardwareAddr, error) {
	var out []net.HardwareAddr
	for _, v := range f.Values("Match", "MACAddress") {
		if v == "" {
			out = nil
			continue
		}
		for _, w := range strings.Fields(v) {
			mac, err := net.ParseMAC(w)
			if err != nil {
				return out, errorf(ErrLink, "%s: MACAddress %q: %v", f.Name, w, err)
			}
			out = append(out, mac)
		}
	}
	return out, nil
}

// LinkName returns the [Link] section's Name, "" if none.
func (f *LinkFile) LinkName() string {
	v, _ := f.Get("Link", "Name")
	return v
}

// LinkDir is where the admin guide puts link files.
const LinkDir = "/etc/systemd/network"

// linkID is what an <id> of a pin file name may hold.
var linkID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// PinPath returns the file of a pin: LinkDir/<prio>-<id>.link, where prio
// must be below 99 so that the file comes before systemd's
// 99-default.link (which would otherwise name the device).
func PinPath(prio int, id string) (string, error) {
	switch {
	case prio < 0 || prio >= 99:
		return "", errorf(ErrLink, "priority %d: want 0 to 98, before systemd's 99-default.link", prio)
	case !linkID.MatchString(id):
		return "", errorf(ErrLink, "id %q: want letters, digits, \"_\", \".\" and \"-\"", id)
	}
	return path.Join(LinkDir, fmt.Sprintf("%02d-%s.link", prio, id)), nil
}

// NewPinLink returns the link file that gives the device with the MAC
// address mac the name, as the admin guide writes it:
//
//	[Match]
//	MACAddress=aa:bb:cc:dd:ee:ff
//
//	[Link]
//	Name=enwan0
//
// The name must pass [CheckPinName].
func NewPinLink(mac net.HardwareAddr, name string) (*LinkFile, error) {
	if len(mac) != 6 {
		return nil, errorf(ErrLink, "MAC address %q: want 6 bytes", mac)
	}
	if err := CheckPinName(name); err != nil {
		return nil, err
	}
	f, _ := ParseLink("", nil)
	f.Set("Match", "MACAddress", mac.String())
	f.Set("Link", "Name", name)
	return f, nil
}

// kernelNames are name patterns the kernel or common drivers give
// devices.
var kernelNames = regexp.MustCompile(`^(eth|wlan|usb|ib|wwan|bond|vmbr|vlan|tap|veth|fwbr|fwln|fwpr|vxlan|dummy|team|br|virbr|docker|tun|ppp|sit|gre|ip6tnl|ipip|ovs-system|lo)[0-9]*$|^lo$`)

// CheckPinName checks a name for a .link pin: a valid kernel name that
// cannot clash with names the kernel or systemd give other devices (ethN,
// a predictable name such as eno1 or enp3s0, bondN, vmbrN, ...), as the
// admin guide advises. Names not starting with "en" or "eth" are refused
// too: Proxmox VE treats only those as physical devices.
func CheckPinName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if strings.Contains(name, ".") {
		return errorf(ErrLink, "%s: a dot would make it look like a VLAN", name)
	}
	if !strings.HasPrefix(name, "en") && !strings.HasPrefix(name, "eth") {
		return errorf(ErrLink, "%s: start the name with en or eth so that Proxmox VE sees a physical device", name)
	}
	if kernelNames.MatchString(name) {
		return errorf(ErrLink, "%s: the kernel names devices like this; pick a name such as enwan0", name)
	}
	if _, err := ParsePredictableName(name); err == nil {
		return errorf(ErrLink, "%s: systemd's naming scheme may give this name to another device; pick a name such as enwan0", name)
	}
	return nil
}

// NamingScheme returns the value of the net.naming-scheme= parameter of a
// kernel command line ("v252"), the last one as the kernel does, and
// whether there is one.
func NamingScheme(cmdline string) (string, bool) {
	var val string
	found := false
	for _, p := range cmdlineParams(cmdline) {
		if k, v, ok := strings.Cut(p, "="); ok && k == "net.naming-scheme" {
			val, found = v, true
		}
	}
	return val, found
}

// cmdlineParams splits a kernel command line at blanks outside double
// quotes, removing the quotes as the kernel does.
func cmdlineParams(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// ValidNamingScheme reports whether a net.naming-scheme value is one
// systemd knows the shape of: "latest", or "v" and a systemd version
// (v238 and later; Debian 12's systemd 252 knows up to v252), optionally
// with a distribution suffix such as "rhel-9.0".
func ValidNamingScheme(v string) bool {
	if v == "latest" {
		return true
	}
	if n, ok := strings.CutPrefix(v, "v"); ok {
		x, err := strconv.Atoi(n)
		return err == nil && x >= 238
	}
	return distroScheme.MatchString(v)
}

var distroScheme = regexp.MustCompile(`^[a-z]+-[0-9]+(\.[0-9]+)*$`)
