package netcfg

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors that parse and validation errors unwrap to.
var (
	// ErrSyntax marks a line ifupdown2 cannot read.
	ErrSyntax = errors.New("syntax error")
	// ErrFamily marks an address family other than inet and inet6.
	ErrFamily = errors.New("unsupported address family")
	// ErrMethod marks an address method ifupdown2 does not know.
	ErrMethod = errors.New("unsupported address method")
	// ErrInclude marks a source line that cannot be followed: a cycle, a
	// missing file or an unreadable directory.
	ErrInclude = errors.New("cannot include")
)

// Error is a problem at a position in a file.
type Error struct {
	Pos Pos
	Err error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Unwrap returns the cause, which matches one of the package's sentinels.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of errors in file order; errors.Is and errors.As see
// every element.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Unwrap returns the elements.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// methods lists the address methods per family that ifupdown2 accepts,
// plus "auto" (SLAAC) for inet6, which Proxmox VE writes.
var methods = map[string][]string{
	"inet":  {"static", "manual", "loopback", "dhcp", "dhcp6", "ppp", "tunnel"},
	"inet6": {"static", "manual", "loopback", "dhcp", "dhcp6", "ppp", "tunnel", "auto"},
}

// Parse reads an interfaces file. It always returns a *File that formats
// back to data byte for byte; the error, an [ErrorList], lists the lines
// ifupdown2 would complain about (they are kept in the file as
// [*BadLine] or as they are).
//
// Lines are read as ifupdown2 reads them: a backslash joins the text
// around it with one blank, across line breaks; CR LF and lone CR end
// lines; comments are whole lines starting with "#". Template code (mako)
// is not evaluated, as ifupdown2 does not evaluate it unless python3-mako
// is installed; such lines are marked.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{f: &File{Name: name}}
	p.units = logicalLines(data)
	for i := 0; i < len(p.units); {
		i = p.stmt(i)
	}
	for _, st := range p.f.Stmts {
		seal(st.(regen))
		if s, ok := st.(*Stanza); ok {
			for _, e := range s.Body {
				seal(e.(regen))
			}
		}
	}
	return p.f, p.errs.err()
}

type parser struct {
	f     *File
	units []unit
	errs  ErrorList
}

func (p *parser) errorf(pos Pos, sentinel error, format string, args ...any) error {
	err := &Error{Pos: pos, Err: errorf(sentinel, format, args...)}
	p.errs = append(p.errs, err)
	return err.Err
}

// unit is one logical line: one physical line, or several joined by
// backslashes.
type unit struct {
	raw    string // exact bytes with terminators
	eol    string // terminator of the last physical line
	text   string // ifupdown2's logical text, trimmed
	line   int    // 1-based number of the first physical line
	indent string // leading blanks of the first physical line
}

// node returns the node of a statement on u; col > 0 points at its first
// word.
func (p *parser) node(u *unit) node {
	return node{pos: Pos{File: p.f.Name, Line: u.line, Col: len(u.indent) + 1}, raw: u.raw, eol: u.eol, indent: u.indent}
}

func (p *parser) stmt(i int) int {
	u := &p.units[i]
	if ignoreLine(u.text) {
		p.f.Stmts = append(p.f.Stmts, p.comment(u))
		return i + 1
	}
	words := pySplit(u.text, -1)
	switch kw := words[0]; {
	case kw == "iface" || kw == "vlan":
		return p.stanza(i, words)
	case kw == "auto" || isAllow(kw):
		p.auto(u, words)
	case kw == "source" || kw == "source-directory":
		n := p.node(u)
		if len(words) < 2 || words[1] == "" {
			err := p.errorf(n.pos, ErrSyntax, "%s: missing path", kw)
			p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err})
			break
		}
		p.f.Stmts = append(p.f.Stmts, &Source{node: n, Directory: kw == "source-directory", Path: words[1]})
	default:
		n := p.node(u)
		err := p.errorf(n.pos, ErrSyntax, "unknown keyword %q", kw)
		p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err, Template: isTemplate(u.text)})
	}
	return i + 1
}

func (p *parser) comment(u *unit) *Comment {
	n := p.node(u)
	n.pos.Col = 0
	return &Comment{node: n, Text: u.text}
}

// isAllow reports whether word starts an allow line as ifupdown2 sees it.
func isAllow(word string) bool {
	head, _, _ := strings.Cut(word, "-")
	return head == "allow"
}

// isKeyword reports whether word ends a stanza, as in ifupdown2.
func isKeyword(word string) bool {
	switch word {
	case "source", "auto", "iface", "vlan":
		return true
	}
	return isAllow(word)
}

func (p *parser) auto(u *unit, words []string) {
	n := p.node(u)
	kw := words[0]
	names := words[1:]
	if len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	switch {
	case kw != "auto" && !strings.Contains(kw, "-"):
		err := p.errorf(n.pos, ErrSyntax, "%s: missing class (allow-CLASS)", kw)
		p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err})
		return
	case len(names) == 0:
		err := p.errorf(n.pos, ErrSyntax, "%s: no interfaces listed", kw)
		p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err})
		return
	}
	p.f.Stmts = append(p.f.Stmts, &Auto{node: n, Keyword: kw, Names: names, sep: firstSep(u.text)})
}

func (p *parser) stanza(i int, words []string) int {
	u := &p.units[i]
	n := p.node(u)
	if len(words) < 2 || words[1] == "" {
		err := p.errorf(n.pos, ErrSyntax, "%s: missing interface name", words[0])
		p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err})
		return i + 1
	}
	s := &Stanza{node: n, Keyword: words[0], Name: words[1], sep: firstSep(u.text)}
	if len(words) > 2 {
		s.Family = words[2]
	}
	if len(words) > 3 {
		s.Method = words[3]
	}
	if len(words) > 4 {
		s.Extra = words[4:]
	}
	if s.Family != "" {
		if ms, ok := methods[s.Family]; !ok {
			p.errorf(n.pos, ErrFamily, "iface %s: %q", s.Name, s.Family)
		} else if s.Method != "" && !contains(ms, s.Method) {
			p.errorf(n.pos, ErrMethod, "iface %s: %q for %s", s.Name, s.Method, s.Family)
		}
	}
	p.f.Stmts = append(p.f.Stmts, s)

	var pending []Entry // comments not yet known to be inside the body
	j := i + 1
	for ; j < len(p.units); j++ {
		v := &p.units[j]
		if ignoreLine(v.text) {
			pending = append(pending, p.comment(v))
			continue
		}
		attrs := pySplit(v.text, 1)
		if isKeyword(attrs[0]) {
			break
		}
		s.Body = append(s.Body, pending...)
		pending = nil
		vn := p.node(v)
		if len(attrs) < 2 {
			err := p.errorf(vn.pos, ErrSyntax, "iface %s: option %q has no value", s.Name, v.text)
			s.Body = append(s.Body, &BadLine{node: vn, Text: v.text, Err: err, Template: isTemplate(v.text)})
			continue
		}
		s.Body = append(s.Body, &Option{node: vn, Key: attrs[0], Value: attrs[1], Template: isTemplate(v.text),
			sep: v.text[len(attrs[0]) : len(v.text)-len(attrs[1])]})
	}
	for _, c := range pending {
		p.f.Stmts = append(p.f.Stmts, c.(*Comment))
	}
	return j
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstSep returns the blank run after the first word of text, " " if
// none.
func firstSep(text string) string {
	i := strings.IndexFunc(text, pyIsSpace)
	if i < 0 {
		return " "
	}
	j := i
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if !pyIsSpace(r) {
			break
		}
		j += size
	}
	return text[i:j]
}

// ignoreLine is ifupdown2's test for blank and comment lines.
func ignoreLine(text string) bool {
	return text == "" || text[0] == '#'
}

// isTemplate reports whether a line looks like mako template code.
func isTemplate(text string) bool {
	t := strings.TrimLeft(text, " \t")
	if strings.HasPrefix(t, "%") && !strings.HasPrefix(t, "%%") {
		return true
	}
	return strings.Contains(text, "${") || strings.Contains(text, "<%") || strings.Contains(text, "</%")
}

// lineTrim is the set ifupdown2 strips from each line.
const lineTrim = "\n\t\r "

// pyIsSpace is Python's str.isspace for one character, which \s matches
// in ifupdown2's regular expressions.
func pyIsSpace(r rune) bool {
	switch {
	case r >= 0x1c && r <= 0x1f:
		return true
	case r == 0x85 || r == 0xa0:
		return true
	}
	return unicode.IsSpace(r)
}

// pySplit splits text as ifupdown2's re.split(r'[\s\t]\s*', text, max)
// does: at every run of blanks, at most max times when max >= 0. A run at
// either end yields an empty word there.
func pySplit(text string, max int) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !pyIsSpace(r) {
			i += size
			continue
		}
		if max >= 0 && len(out) == max {
			break
		}
		out = append(out, text[start:i])
		j := i + size
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !pyIsSpace(r) {
				break
			}
			j += size
		}
		start, i = j, j
	}
	return append(out, text[start:])
}

// logicalLines splits data into physical lines (ended by LF, CR LF or a
// lone CR, as Python's universal newlines read them) and joins those that
// ifupdown2 joins: it replaces every backslash, with the blanks and line
// breaks on both sides of it, by one blank.
func logicalLines(data []byte) []unit {
	type phys struct{ start, end, next int } // text [start,end), terminator [end,next)
	var lines []phys
	for i := 0; i < len(data); {
		j := i
		for j < len(data) && data[j] != '\n' && data[j] != '\r' {
			j++
		}
		next := j
		if next < len(data) {
			if data[next] == '\r' && next+1 < len(data) && data[next+1] == '\n' {
				next += 2
			} else {
				next++
			}
		}
		lines = append(lines, phys{i, j, next})
		i = next
	}
	// joined[k] is true when the break after line k is eaten by a
	// backslash on either side of it.
	joined := make([]bool, len(lines))
	lineOf := func(off int) int { // index of the line holding offset off
		lo, hi := 0, len(lines)-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if lines[mid].start <= off {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo
	}
	for b := 0; b < len(data); b++ {
		if data[b] != '\\' {
			continue
		}
		k := lineOf(b)
		// Leftwards: blanks, and breaks that end earlier lines.
		for off, kk := b, k; ; {
			if off > lines[kk].start {
				r, size := utf8.DecodeLastRune(data[lines[kk].start:off])
				if !pyIsSpaceOrBreak(r) {
					break
				}
				off -= size
				continue
			}
			if kk == 0 {
				break
			}
			kk--
			joined[kk] = true
			off = lines[kk].end
		}
		// Rightwards.
		for off, kk := b+1, k; ; {
			if off < lines[kk].end {
				r, size := utf8.DecodeRune(data[off:lines[kk].end])
				if !pyIsSpaceOrBreak(r) {
					break
				}
				off += size
				continue
			}
			if kk+1 >= len(lines) || lines[kk].end == lines[kk].next {
				break
			}
			joined[kk] = true
			kk++
			off = lines[kk].start
		}
	}
	var units []unit
	for k := 0; k < len(lines); {
		first := k
		for k < len(lines)-1 && joined[k] {
			k++
		}
		last := k
		k++
		raw := string(data[lines[first].start:lines[last].next])
		u := unit{raw: raw, eol: string(data[lines[last].end:lines[last].next]), line: first + 1}
		firstText := string(data[lines[first].start:lines[first].end])
		u.indent = firstText[:len(firstText)-len(strings.TrimLeft(firstText, " \t"))]
		if first == last && strings.IndexByte(firstText, '\\') < 0 {
			u.text = strings.Trim(firstText, lineTrim)
		} else {
			parts := make([]string, 0, last-first+1)
			for l := first; l <= last; l++ {
				parts = append(parts, string(data[lines[l].start:lines[l].end]))
			}
			pieces := strings.Split(strings.Join(parts, "\n"), "\\")
			for i, pc := range pieces {
				pieces[i] = strings.TrimFunc(pc, pyIsSpaceOrBreak)
			}
			u.text = strings.Trim(strings.Join(pieces, " "), lineTrim)
		}
		units = append(units, u)
	}
	return units
}

func pyIsSpaceOrBreak(r rune) bool { return r == '\n' || r == '\r' || pyIsSpace(r) }

// kindError is a message that matches a sentinel without repeating its
// text.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.kind }

// errorf formats a message that unwraps to sentinel.
func errorf(sentinel error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: sentinel}
}
