package apt

import (
	"fmt"
	"slices"
	"strings"
)

// word is a token of a one-line entry with its byte range in the line.
type word struct {
	text       string // unquoted
	start, end int
}

// quoteWord reads one word at s[pos:] the way APT's ParseQuoteWord does:
// leading spaces skipped, "..." and [...] quote blanks, quotes removed and
// %xx sequences decoded. It returns the word and the position after the
// blanks that follow it.
func quoteWord(s string, pos int) (w word, next int, ok bool) {
	for pos < len(s) && s[pos] == ' ' {
		pos++
	}
	if pos >= len(s) {
		return word{}, pos, false
	}
	i := pos
	for i < len(s) && !isCSpace(s[i]) {
		switch s[i] {
		case '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return word{}, pos, false
			}
			i += j + 1
		case '[':
			j := strings.IndexByte(s[i+1:], ']')
			if j < 0 {
				return word{}, pos, false
			}
			i += j + 1
		}
		i++
	}
	raw := s[pos:i]
	var b strings.Builder
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		if c == '%' && k+2 < len(raw) && isHex(raw[k+1]) && isHex(raw[k+2]) {
			b.WriteByte(unhex(raw[k+1])<<4 | unhex(raw[k+2]))
			k += 2
			continue
		}
		if c != '"' {
			b.WriteByte(c)
		}
	}
	w = word{text: b.String(), start: pos, end: i}
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	return w, i, true
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// oneLine is the parse of one line of a one-line file.
type oneLine struct {
	entry      *Entry
	typeStart  int    // offset of the type word
	components []word // with offsets in the line text
	hashAt     int    // offset of the "#" of a disabled entry, else -1
}

// commentStart returns the offset of the "#" that starts a comment, or
// len(s): a "#" inside [...] options does not count, as in APT.
func commentStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && strings.Count(s[:i], "[") <= strings.Count(s[:i], "]") {
			return i
		}
	}
	return len(s)
}

// parseOneLineEntry parses the text of a line (no terminator) starting at
// offset from. It returns nil for a line without an entry.
func parseOneLineEntry(path string, lineno int, text string, from int) (*oneLine, error) {
	perr := func(col int, format string, args ...any) error {
		return &ParseError{Path: path, Line: lineno, Col: col + 1, Err: fmt.Errorf(format, args...)}
	}
	cs := commentStart(text[from:]) + from
	body := strings.TrimRight(text[:cs], " \t\r")
	pos := from
	for pos < len(body) && isCSpace(body[pos]) {
		pos++
	}
	if pos >= len(body) {
		return nil, nil
	}
	typeEnd := pos
	for typeEnd < len(body) && body[typeEnd] != ' ' && body[typeEnd] != '\t' && body[typeEnd] != '\v' {
		typeEnd++
	}
	typ := body[pos:typeEnd]
	if typeEnd == len(body) {
		return nil, perr(pos, "%w: a type and nothing else", ErrMalformed)
	}
	if typ != "deb" && typ != "deb-src" {
		return nil, perr(pos, "%w %q", ErrUnknownType, typ)
	}
	ol := &oneLine{typeStart: pos, hashAt: -1}
	e := &Entry{Line: lineno, EndLine: lineno, Enabled: true, Types: []string{typ}}
	if cs < len(text) {
		e.Comment = strings.TrimSpace(text[cs+1:])
	}
	p := typeEnd
	for p < len(body) && isCSpace(body[p]) {
		p++
	}
	if p < len(body) && body[p] == '[' {
		p++
		for p < len(body) && isCSpace(body[p]) {
			p++
		}
		for {
			if p >= len(body) {
				return nil, perr(p, "%w: [option] unterminated", ErrMalformed)
			}
			if body[p] == ']' {
				p++
				break
			}
			w, next, ok := quoteWord(body, p)
			if !ok {
				return nil, perr(p, "%w: [option] unparsable", ErrMalformed)
			}
			opt := w.text
			closed := false
			if strings.HasSuffix(opt, "]") {
				opt = opt[:len(opt)-1]
				closed = true
			}
			if len(opt) < 2 {
				return nil, perr(w.start, "%w: [option] too short", ErrMalformed)
			}
			key, value, ok := strings.Cut(opt, "=")
			switch {
			case !ok:
				return nil, perr(w.start, "%w: [option] %q is not an assignment", ErrMalformed, opt)
			case key == "":
				return nil, perr(w.start, "%w: [option] no key", ErrMalformed)
			case value == "":
				return nil, perr(w.start, "%w: [option] %s has no value", ErrMalformed, key)
			}
			name, known := listOptionNames[key]
			if !known {
				name = key
			}
			e.Options = append(e.Options, Option{Key: key, Name: name, Value: value})
			p = next
			if closed {
				break
			}
		}
		for p < len(body) && isCSpace(body[p]) {
			p++
		}
	}
	uri, p, ok := quoteWord(body, p)
	if !ok {
		return nil, perr(p, "%w: no URI", ErrMalformed)
	}
	suite, p, ok := quoteWord(body, p)
	if !ok {
		return nil, perr(p, "%w: no suite", ErrMalformed)
	}
	e.URIs = []string{uri.text}
	e.Suites = []string{suite.text}
	for {
		c, next, ok := quoteWord(body, p)
		if !ok {
			break
		}
		ol.components = append(ol.components, c)
		e.Components = append(e.Components, c.text)
		p = next
	}
	flat := strings.HasSuffix(suite.text, "/")
	switch {
	case flat && len(e.Components) > 0:
		return nil, perr(ol.components[0].start, "%w: a flat suite %q takes no components", ErrMalformed, suite.text)
	case !flat && len(e.Components) == 0:
		return nil, perr(len(body), "%w: no component", ErrMalformed)
	}
	ol.entry = e
	return ol, nil
}

// parseOneLineLine parses one line: an entry, a disabled entry ("# deb
// ..." that would parse once uncommented), or nothing.
func parseOneLineLine(path string, lineno int, raw string) (*oneLine, error) {
	text, _ := lineEnd(raw)
	i := 0
	for i < len(text) && isCSpace(text[i]) {
		i++
	}
	if i < len(text) && text[i] == '#' {
		j := i + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
			j++
		}
		if !strings.HasPrefix(text[j:], "deb ") && !strings.HasPrefix(text[j:], "deb-src ") &&
			!strings.HasPrefix(text[j:], "deb\t") && !strings.HasPrefix(text[j:], "deb-src\t") {
			return nil, nil
		}
		ol, err := parseOneLineEntry(path, lineno, text, j)
		if err != nil || ol == nil {
			return nil, nil // a comment that merely looks like an entry
		}
		ol.entry.Enabled = false
		ol.hashAt = i
		return ol, nil
	}
	return parseOneLineEntry(path, lineno, text, 0)
}

func parseOneLine(path string, lines []string) ([]*Entry, error) {
	var out []*Entry
	for i, l := range lines {
		ol, err := parseOneLineLine(path, i+1, l)
		if err != nil {
			return nil, err
		}
		if ol != nil {
			out = append(out, ol.entry)
		}
	}
	return out, nil
}

func (f *SourceFile) oneLineAt(lines []string, e *Entry) (*oneLine, error) {
	if e.Line < 1 || e.Line > len(lines) {
		return nil, fmt.Errorf("%w: %s has no line %d", ErrEdit, f.Path, e.Line)
	}
	ol, err := parseOneLineLine(f.Path, e.Line, lines[e.Line-1])
	if err != nil {
		return nil, err
	}
	if ol == nil {
		return nil, fmt.Errorf("%w: %s:%d holds no entry", ErrEdit, f.Path, e.Line)
	}
	return ol, nil
}

func oneLineSetEnabled(lines []string, e *Entry, enabled bool) ([]string, error) {
	ol, err := e.file.oneLineAt(lines, e)
	if err != nil {
		return nil, err
	}
	l := lines[e.Line-1]
	if enabled {
		// Drop the "#" and the blanks up to the type.
		lines[e.Line-1] = l[:ol.hashAt] + l[ol.typeStart:]
	} else {
		lines[e.Line-1] = l[:ol.typeStart] + "# " + l[ol.typeStart:]
	}
	return lines, nil
}

func oneLineAddComponent(lines []string, e *Entry, c string) ([]string, error) {
	ol, err := e.file.oneLineAt(lines, e)
	if err != nil {
		return nil, err
	}
	l := lines[e.Line-1]
	at := ol.components[len(ol.components)-1].end
	lines[e.Line-1] = l[:at] + " " + c + l[at:]
	return lines, nil
}

func oneLineRemoveComponent(lines []string, e *Entry, c string) ([]string, error) {
	ol, err := e.file.oneLineAt(lines, e)
	if err != nil {
		return nil, err
	}
	l := lines[e.Line-1]
	i := slices.IndexFunc(ol.components, func(w word) bool { return w.text == c })
	w := ol.components[i]
	start := w.start
	for start > 0 && (l[start-1] == ' ' || l[start-1] == '\t') {
		start--
	}
	lines[e.Line-1] = l[:start] + l[w.end:]
	return lines, nil
}
