package netcfg

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hostadm/hostadm/internal/textline"
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

// inetMethods and inet6Methods list the address methods that ifupdown2
// accepts, plus "auto" (SLAAC) for inet6, which Proxmox VE writes.
var (
	inetMethods  = []string{"static", "manual", "loopback", "dhcp", "dhcp6", "ppp", "tunnel"}
	inet6Methods = []string{"static", "manual", "loopback", "dhcp", "dhcp6", "ppp", "tunnel", "auto"}
)

// familyMethods returns the methods of an address family, nil for an
// unknown family.
func familyMethods(family string) []string {
	switch family {
	case "inet":
		return inetMethods
	case "inet6":
		return inet6Methods
	}
	return nil
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
	p := &parser{f: &File{Name: name}, text: string(data)}
	p.hasCR = strings.IndexByte(p.text, '\r') >= 0
	if strings.IndexByte(p.text, '\\') >= 0 {
		// Backslashes join lines: work out the logical lines first.
		p.units = logicalLines(data)
	}
	p.f.Stmts = make([]Stmt, 0, strings.Count(p.text, "\n")/4+4)
	for {
		u, ok := p.next()
		if !ok {
			break
		}
		p.stmt(u)
	}
	return p.f, p.errs.err()
}

type parser struct {
	f    *File
	text string
	// off and line are the position of the next physical line when
	// reading line by line; units and ui replace them for a file with
	// backslash continuations.
	off, line int
	units     []unit
	ui        int
	// back is a logical line read ahead and given back.
	back    unit
	hasBack bool
	buf     []unit // a stanza's body lines, reused
	hasCR   bool   // the file has carriage returns
	errs    ErrorList

	options  slab[Option]
	autos    slab[Auto]
	comments slab[Comment]
	stanzas  slab[Stanza]
}

// next returns the next logical line.
func (p *parser) next() (unit, bool) {
	switch {
	case p.hasBack:
		p.hasBack = false
		return p.back, true
	case p.units != nil:
		if p.ui >= len(p.units) {
			return unit{}, false
		}
		p.ui++
		return p.units[p.ui-1], true
	case p.off >= len(p.text):
		return unit{}, false
	}
	rest := p.text[p.off:]
	body, eol, _ := textline.Cut(rest, p.hasCR)
	next := len(body) + len(eol)
	p.line++
	p.off += next
	u := unit{raw: rest[:next], line: p.line}
	u.indent = body[:len(body)-len(strings.TrimLeft(body, " \t"))]
	u.text = strings.Trim(body, lineTrim)
	return u, true
}

// unread gives a line back to be read again.
func (p *parser) unread(u unit) { p.back, p.hasBack = u, true }

func (p *parser) errorf(pos Pos, sentinel error, format string, args ...any) error {
	err := &Error{Pos: pos, Err: errorf(sentinel, format, args...)}
	p.errs = append(p.errs, err)
	return err.Err
}

// unit is one logical line: one physical line, or several joined by
// backslashes.
type unit struct {
	raw    string // exact bytes with terminators
	text   string // ifupdown2's logical text, trimmed
	line   int    // 1-based number of the first physical line
	indent string // leading blanks of the first physical line
}

// node returns the node of a statement on u; col > 0 points at its first
// word.
func (p *parser) node(u *unit) node {
	return node{pos: Pos{File: p.f.Name, Line: u.line, Col: len(u.indent) + 1}, raw: u.raw}
}

func (p *parser) stmt(uv unit) {
	u := &uv
	if ignoreLine(u.text) {
		p.f.Stmts = append(p.f.Stmts, p.comment(u))
		return
	}
	var arr [6]string
	words := splitWords(u.text, arr[:0])
	switch kw := words[0]; {
	case kw == "iface" || kw == "vlan":
		p.stanza(u, words)
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
}

func (p *parser) comment(u *unit) *Comment {
	n := p.node(u)
	n.pos.Col = 0
	c := p.comments.new()
	c.node, c.Text = n, u.text
	return c
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
	a := p.autos.new()
	a.node, a.Keyword, a.Names = n, kw, slices.Clone(names)
	p.f.Stmts = append(p.f.Stmts, a)
}

func (p *parser) stanza(u *unit, words []string) {
	n := p.node(u)
	if len(words) < 2 || words[1] == "" {
		err := p.errorf(n.pos, ErrSyntax, "%s: missing interface name", words[0])
		p.f.Stmts = append(p.f.Stmts, &BadLine{node: n, Text: u.text, Err: err})
		return
	}
	s := p.stanzas.new()
	s.node, s.Keyword, s.Name = n, words[0], words[1]
	if len(words) > 2 {
		s.Family = words[2]
	}
	if len(words) > 3 {
		s.Method = words[3]
	}
	if len(words) > 4 {
		s.Extra = pySplit(u.text, -1)[4:]
	}
	if s.Family != "" {
		if ms := familyMethods(s.Family); ms == nil {
			p.errorf(n.pos, ErrFamily, "iface %s: %q", s.Name, s.Family)
		} else if s.Method != "" && !contains(ms, s.Method) {
			p.errorf(n.pos, ErrMethod, "iface %s: %q for %s", s.Name, s.Method, s.Family)
		}
	}
	p.f.Stmts = append(p.f.Stmts, s)

	// Read the body up to the next keyword line; comments after the last
	// option belong to the file.
	p.buf = p.buf[:0]
	last := -1
	for {
		v, ok := p.next()
		if !ok {
			break
		}
		if !ignoreLine(v.text) {
			if key, _, _, _ := cutWord(v.text); isKeyword(key) {
				p.unread(v)
				break
			}
			last = len(p.buf)
		}
		p.buf = append(p.buf, v)
	}
	if last >= 0 {
		s.Body = make([]Entry, 0, last+1)
	}
	for j := 0; j <= last; j++ {
		v := &p.buf[j]
		if ignoreLine(v.text) {
			s.Body = append(s.Body, p.comment(v))
			continue
		}
		key, _, value, hasValue := cutWord(v.text)
		vn := p.node(v)
		if !hasValue {
			err := p.errorf(vn.pos, ErrSyntax, "iface %s: option %q has no value", s.Name, v.text)
			s.Body = append(s.Body, &BadLine{node: vn, Text: v.text, Err: err, Template: isTemplate(v.text)})
			continue
		}
		o := p.options.new()
		o.node, o.Key, o.Value, o.Template = vn, key, value, isTemplate(v.text)
		s.Body = append(s.Body, o)
	}
	for j := last + 1; j < len(p.buf); j++ {
		p.f.Stmts = append(p.f.Stmts, p.comment(&p.buf[j]))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ignoreLine is ifupdown2's test for blank and comment lines.
func ignoreLine(text string) bool {
	return text == "" || text[0] == '#'
}

// isTemplate reports whether a line looks like mako template code.
func isTemplate(text string) bool {
	if !strings.ContainsAny(text, "%$<") {
		return false
	}
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

// cutWord splits text at its first run of blanks as ifupdown2's
// re.split(r'[\s\t]\s*', text, 1) does, without allocating.
func cutWord(text string) (word, sep, rest string, ok bool) {
	i := 0
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\t' || (c >= '\n' && c <= '\r') || (c >= 0x1c && c <= 0x1f) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if pyIsSpace(r) {
			break
		}
		i += size
	}
	if i == len(text) {
		return text, "", "", false
	}
	j := i
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if !pyIsSpace(r) {
			break
		}
		j += size
	}
	return text[:i], text[i:j], text[j:], true
}

// splitWords is pySplit(text, -1) into buf while it has room, then
// allocating.
func splitWords(text string, buf []string) []string {
	for {
		w, _, rest, ok := cutWord(text)
		buf = append(buf, w)
		if !ok {
			return buf
		}
		text = rest
		if rest == "" {
			return append(buf, "")
		}
	}
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
	text := string(data)
	type phys struct{ start, end, next int } // text [start,end), terminator [end,next)
	lines := make([]phys, 0, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; i < len(text); {
		j := i + strings.IndexAny(text[i:], "\r\n")
		if j < i {
			j = len(text)
		}
		next := j
		if next < len(text) {
			if text[next] == '\r' && next+1 < len(text) && text[next+1] == '\n' {
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
	var joined []bool
	if strings.IndexByte(text, '\\') >= 0 {
		joined = make([]bool, len(lines))
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
		for b := 0; b < len(text); b++ {
			if text[b] != '\\' {
				continue
			}
			k := lineOf(b)
			// Leftwards: blanks, and breaks that end earlier lines.
			for off, kk := b, k; ; {
				if off > lines[kk].start {
					r, size := utf8.DecodeLastRuneInString(text[lines[kk].start:off])
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
					r, size := utf8.DecodeRuneInString(text[off:lines[kk].end])
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
	}
	units := make([]unit, 0, len(lines))
	for k := 0; k < len(lines); {
		first := k
		for joined != nil && k < len(lines)-1 && joined[k] {
			k++
		}
		last := k
		k++
		u := unit{raw: text[lines[first].start:lines[last].next], line: first + 1}
		firstText := text[lines[first].start:lines[first].end]
		u.indent = firstText[:len(firstText)-len(strings.TrimLeft(firstText, " \t"))]
		if first == last && (joined == nil || strings.IndexByte(firstText, '\\') < 0) {
			u.text = strings.Trim(firstText, lineTrim)
		} else {
			parts := make([]string, 0, last-first+1)
			for l := first; l <= last; l++ {
				parts = append(parts, text[lines[l].start:lines[l].end])
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
