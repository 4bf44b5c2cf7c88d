package zfs

import (
	"bytes"
	"strings"

	"github.com/hostadm/hostadm/internal/textline"
)

// ModprobeConf is a modprobe.d configuration file, such as
// /etc/modprobe.d/zfs.conf, kept line by line: formatting an untouched
// file gives back its bytes, and edits change only the lines they touch.
type ModprobeConf struct {
	name  string
	lines []string // physical lines without their newline
	final bool     // the file ended with a newline
}

// ParseModprobe parses a modprobe.d file. Only "options" lines are
// interpreted; an options line without a module name is an error.
func ParseModprobe(name string, data []byte) (*ModprobeConf, error) {
	m := &ModprobeConf{name: name}
	if len(data) > 0 {
		s := string(data)
		m.final = strings.HasSuffix(s, "\n")
		m.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	for _, l := range m.logical() {
		f := strings.Fields(l.text)
		if len(f) == 1 && f[0] == "options" {
			return nil, &ParseError{File: name, Line: l.first + 1, Col: 1, Msg: "options without a module name"}
		}
	}
	return m, nil
}

type logicalLine struct {
	first, last int // physical line indexes
	text        string
}

// logical reads lines as modprobe does: a backslash before the end of
// a line joins the next line without a space, a backslash before any
// other character keeps that character, and one that ends the file is
// dropped. Blank lines and comments are left out.
func (m *ModprobeConf) logical() []logicalLine {
	var out []logicalLine
	for i := 0; i < len(m.lines); i++ {
		l := logicalLine{first: i}
		var b strings.Builder
		for ; i < len(m.lines); i++ {
			if !unescapeLine(&b, m.lines[i]) {
				break
			}
		}
		l.last = min(i, len(m.lines)-1)
		l.text = b.String()
		if t := strings.TrimSpace(l.text); t != "" && t[0] != '#' {
			out = append(out, l)
		}
	}
	return out
}

// unescapeLine appends a physical line's text to b and reports whether
// it ends with a continuation backslash.
func unescapeLine(b *strings.Builder, s string) (continues bool) {
	for j := 0; j < len(s); j++ {
		if s[j] != '\\' {
			b.WriteByte(s[j])
			continue
		}
		if j == len(s)-1 {
			return true
		}
		j++
		b.WriteByte(s[j])
	}
	return false
}

// Option returns a module parameter set by an options line: the last
// one, as modprobe applies them in order, with its 1-based line.
func (m *ModprobeConf) Option(module, param string) (value string, line int, ok bool) {
	for _, l := range m.logical() {
		f := strings.Fields(l.text)
		if len(f) < 3 || f[0] != "options" || !sameModule(f[1], module) {
			continue
		}
		for _, kv := range f[2:] {
			if k, v, found := strings.Cut(kv, "="); found && k == param {
				value, line, ok = v, l.first+1, true
			}
		}
	}
	return value, line, ok
}

// sameModule compares module names, for which "-" and "_" are the same.
func sameModule(a, b string) bool {
	return strings.ReplaceAll(a, "-", "_") == strings.ReplaceAll(b, "-", "_")
}

// SetOption sets a module parameter: in place where options lines set
// it, else at the end of the module's last options line, else on a new
// line at the end of the file.
func (m *ModprobeConf) SetOption(module, param, value string) error {
	const bad = " \t\n=\\#"
	if module == "" || param == "" || strings.ContainsAny(module, bad) || strings.ContainsAny(param, bad) {
		return invalidf("invalid module option %q %q", module, param)
	}
	if value == "" || strings.ContainsAny(value, " \t\n\\#") {
		return invalidf("module option %s=%q: value must be a single word", param, value)
	}
	want := param + "=" + value
	set := false
	for changed := true; changed; {
		changed = false
		for _, l := range m.logical() {
			f := strings.Fields(l.text)
			if len(f) < 3 || f[0] != "options" || !sameModule(f[1], module) {
				continue
			}
			for j := 2; j < len(f); j++ {
				if k, _, found := strings.Cut(f[j], "="); found && k == param {
					set = true
					if f[j] != want {
						f[j] = want
						m.replace(l, strings.Join(f, " "))
						changed = true
						break
					}
				}
			}
			if changed {
				break
			}
		}
	}
	if set {
		return nil
	}
	last := -1
	for _, l := range m.logical() {
		if f := strings.Fields(l.text); len(f) >= 2 && f[0] == "options" && sameModule(f[1], module) {
			last = l.last
		}
	}
	if last >= 0 {
		// A module's last options line can only end with a backslash
		// at the end of the file, where modprobe drops it.
		if textline.Continues(m.lines[last]) {
			m.lines[last] = m.lines[last][:len(m.lines[last])-1]
		}
		m.lines[last] += " " + want
		return nil
	}
	if n := len(m.lines); n > 0 && textline.Continues(m.lines[n-1]) {
		m.lines = append(m.lines, "") // end the dangling continuation
	}
	m.lines = append(m.lines, "options "+module+" "+want)
	m.final = true
	return nil
}

// DeleteOption removes a module parameter from every options line, and
// lines left without parameters. It reports whether it was set.
func (m *ModprobeConf) DeleteOption(module, param string) bool {
	found := false
	ls := m.logical()
	for i := len(ls) - 1; i >= 0; i-- {
		l := ls[i]
		f := strings.Fields(l.text)
		if len(f) < 3 || f[0] != "options" || !sameModule(f[1], module) {
			continue
		}
		keep := f[:2]
		for _, kv := range f[2:] {
			if k, _, ok := strings.Cut(kv, "="); ok && k == param {
				found = true
				continue
			}
			keep = append(keep, kv)
		}
		if len(keep) == len(f) {
			continue
		}
		if len(keep) == 2 {
			m.lines = append(m.lines[:l.first], m.lines[l.last+1:]...)
		} else {
			m.replace(l, strings.Join(keep, " "))
		}
	}
	return found
}

// replace rewrites a logical line as one physical line, escaping its
// backslashes again.
func (m *ModprobeConf) replace(l logicalLine, text string) {
	text = strings.ReplaceAll(text, `\`, `\\`)
	m.lines = append(m.lines[:l.first], append([]string{text}, m.lines[l.last+1:]...)...)
}

// Format returns the file's text.
func (m *ModprobeConf) Format() []byte {
	var b bytes.Buffer
	for i, l := range m.lines {
		b.WriteString(l)
		if i < len(m.lines)-1 || m.final {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
