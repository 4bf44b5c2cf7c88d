package timesync

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/textline"
)

// TimesyncdConf is a parsed systemd-timesyncd configuration file
// (timesyncd.conf or a timesyncd.conf.d drop-in): "[Section]" headers and
// "Key=Value" assignments in systemd's INI dialect, where "#" and ";"
// start comments and a trailing backslash continues a line. Parsing
// keeps every line, so Format of an untouched file returns its bytes and
// an edit rewrites only the lines it touches.
type TimesyncdConf struct {
	name  string
	lines []iniLine
	noEOL bool
}

type iniKind int

const (
	iniOther iniKind = iota // blank or comment
	iniSection
	iniAssign
)

type iniLine struct {
	raw     string // may span several physical lines joined by "\n"
	kind    iniKind
	section string // the section the line is in (its own for a header)
	key     string
	value   string
	num     int // first physical line, 0 for a new line
	// open is true for an assignment whose continuation is still open
	// at the end of the file: the next line would join it.
	open bool
}

// ParseTimesyncdConf parses a timesyncd configuration file; name is
// used in errors.
func ParseTimesyncdConf(name string, data []byte) (*TimesyncdConf, error) {
	c := &TimesyncdConf{name: name}
	phys, noEOL := textline.Split(string(data))
	c.noEOL = noEOL
	section := ""
	for i := 0; i < len(phys); i++ {
		num := i + 1
		raw := phys[i]
		t := strings.TrimSpace(raw)
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
			c.lines = append(c.lines, iniLine{raw: raw, section: section, num: num})
			continue
		case t[0] == '[':
			if !strings.HasSuffix(t, "]") || len(t) < 3 {
				return nil, &ParseError{File: name, Line: num, Col: strings.Index(raw, "[") + 1, Msg: fmt.Sprintf("bad section header %q", t), Err: ErrSyntax}
			}
			section = t[1 : len(t)-1]
			c.lines = append(c.lines, iniLine{raw: raw, kind: iniSection, section: section, num: num})
			continue
		}
		// An assignment, possibly continued by trailing backslashes. As
		// in systemd, the backslash becomes a blank (the blanks around it
		// are folded into one), comment lines within are skipped, and one
		// that ends the file continues into nothing.
		full := raw
		logical := strings.TrimSuffix(raw, "\r")
		open := false
		for textline.Continues(logical) {
			logical = strings.TrimRight(logical[:len(logical)-1], " \t") + " "
			j := i + 1
			for j < len(phys) && isComment(phys[j]) {
				j++
			}
			for _, l := range phys[i+1 : min(j+1, len(phys))] {
				full += "\n" + l
			}
			if j >= len(phys) {
				i, open = len(phys)-1, true
				break
			}
			i = j
			logical += strings.TrimLeft(strings.TrimSuffix(phys[j], "\r"), " \t")
		}
		k, v, ok := strings.Cut(logical, "=")
		if !ok {
			return nil, &ParseError{File: name, Line: num, Col: len(raw) - len(strings.TrimLeft(raw, " \t")) + 1, Msg: fmt.Sprintf("%q is not a Key=Value assignment", t), Err: ErrSyntax}
		}
		if section == "" {
			return nil, &ParseError{File: name, Line: num, Col: 1, Msg: "assignment outside of a section", Err: ErrSyntax}
		}
		c.lines = append(c.lines, iniLine{raw: full, kind: iniAssign, section: section, key: strings.TrimSpace(k), value: strings.TrimSpace(v), num: num, open: open})
	}
	return c, nil
}

// isComment reports whether a physical line is a comment for systemd.
func isComment(line string) bool {
	t := strings.TrimLeft(line, " \t\n\r")
	return t != "" && (t[0] == '#' || t[0] == ';')
}

// Name returns the file name given to ParseTimesyncdConf.
func (c *TimesyncdConf) Name() string { return c.name }

// Format returns the file's text.
func (c *TimesyncdConf) Format() []byte {
	return textline.Join(c.lines, func(l iniLine) string { return l.raw }, c.noEOL)
}

// Values returns every value assigned to key in [Time], in order; an
// empty value is systemd's "reset the list".
func (c *TimesyncdConf) Values(key string) []string {
	var out []string
	for _, l := range c.lines {
		if l.kind == iniAssign && l.section == "Time" && l.key == key {
			out = append(out, l.value)
		}
	}
	return out
}

// Get returns the last value assigned to key in [Time].
func (c *TimesyncdConf) Get(key string) (string, bool) {
	v := c.Values(key)
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Line returns the line of the last assignment of key in [Time], 0 if
// there is none or it is new.
func (c *TimesyncdConf) Line(key string) int {
	n := 0
	for _, l := range c.lines {
		if l.kind == iniAssign && l.section == "Time" && l.key == key {
			n = l.num
		}
	}
	return n
}

// Servers returns the NTP= list this file leaves, applying systemd's
// list rules to prev (the list of the files read before it): each
// assignment adds its servers, an empty one clears the list. set
// reports whether the file assigns NTP at all.
func (c *TimesyncdConf) Servers(prev []string) (servers []string, set bool) {
	return applyList(prev, c.Values("NTP"))
}

// FallbackServers is Servers for FallbackNTP=.
func (c *TimesyncdConf) FallbackServers(prev []string) (servers []string, set bool) {
	return applyList(prev, c.Values("FallbackNTP"))
}

func applyList(prev, values []string) ([]string, bool) {
	out := slices.Clone(prev)
	for _, v := range values {
		if v == "" {
			out = nil
			continue
		}
		out = append(out, strings.Fields(v)...)
	}
	return out, len(values) > 0
}

// Set assigns key in [Time]: the last assignment is rewritten in place
// and earlier ones are removed; without one, the line goes after a
// commented-out "#Key=" line of [Time], or at the end of [Time], which is
// added when missing.
func (c *TimesyncdConf) Set(key, value string) error {
	if strings.ContainsAny(key, "=[]#;\n \t") || key == "" {
		return fmt.Errorf("%w: bad key %q", ErrInvalid, key)
	}
	if strings.ContainsAny(value, "\n\\") {
		return fmt.Errorf("%w: value for %s holds a line break or backslash", ErrInvalid, key)
	}
	text := key + "=" + value
	last := -1
	for i, l := range c.lines {
		if l.kind == iniAssign && l.section == "Time" && l.key == key {
			last = i
		}
	}
	if last >= 0 {
		if c.lines[last].value != value {
			c.lines[last] = iniLine{raw: text, kind: iniAssign, section: "Time", key: key, value: value}
		}
		for i := last - 1; i >= 0; i-- {
			if l := c.lines[i]; l.kind == iniAssign && l.section == "Time" && l.key == key {
				c.lines = slices.Delete(c.lines, i, i+1)
			}
		}
		return nil
	}
	nl := iniLine{raw: text, kind: iniAssign, section: "Time", key: key, value: value}
	at, end := -1, -1
	for i, l := range c.lines {
		if l.section != "Time" {
			continue
		}
		if l.kind != iniOther || strings.TrimSpace(l.raw) != "" {
			end = i
		}
		t := strings.TrimSpace(l.raw)
		if l.kind == iniOther && (strings.HasPrefix(t, "#"+key+"=") || strings.HasPrefix(t, ";"+key+"=")) {
			at = i
		}
	}
	switch {
	case at >= 0:
		c.insert(at+1, nl)
	case end >= 0:
		c.insert(end+1, nl)
	default:
		if len(c.lines) > 0 && strings.TrimSpace(c.lines[len(c.lines)-1].raw) != "" {
			c.insert(len(c.lines), iniLine{})
		}
		c.insert(len(c.lines), iniLine{raw: "[Time]", kind: iniSection, section: "Time"})
		c.insert(len(c.lines), nl)
	}
	return nil
}

func (c *TimesyncdConf) insert(i int, l iniLine) {
	// An assignment whose continuation is open at the end of the file
	// would swallow the new line; a blank line ends it, as for systemd.
	if i > 0 && c.lines[i-1].open {
		c.lines = slices.Insert(c.lines, i, iniLine{})
		i++
	}
	c.lines = slices.Insert(c.lines, i, l)
	if i == len(c.lines)-1 {
		c.noEOL = false
	}
}

// Delete removes every assignment of key in [Time] and reports whether
// there was one.
func (c *TimesyncdConf) Delete(key string) bool {
	n := len(c.lines)
	c.lines = slices.DeleteFunc(c.lines, func(l iniLine) bool {
		return l.kind == iniAssign && l.section == "Time" && l.key == key
	})
	return len(c.lines) != n
}

// SetServers sets NTP= to the given servers (host names or addresses,
// space-separated in the file); no servers removes the assignment.
func (c *TimesyncdConf) SetServers(servers []string) error {
	for _, s := range servers {
		if err := checkHost(s); err != nil {
			return err
		}
	}
	if len(servers) == 0 {
		c.Delete("NTP")
		return nil
	}
	return c.Set("NTP", strings.Join(servers, " "))
}
