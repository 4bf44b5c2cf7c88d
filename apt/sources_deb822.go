package apt

import (
	"fmt"
	"slices"
	"strings"
)

// d822Field is one field of a stanza: lines [start, end) of the file.
type d822Field struct {
	key        string // as written
	start, end int    // 0-based line indexes
	value      string
}

// d822Stanza is a paragraph with at least one field.
type d822Stanza struct {
	start, end int // 0-based line range of the paragraph, comments included
	fields     []d822Field
	comments   []string
}

func (s *d822Stanza) field(name string) *d822Field {
	for i := range s.fields {
		if strings.EqualFold(s.fields[i].key, name) {
			return &s.fields[i]
		}
	}
	return nil
}

// splitDeb822 splits lines into stanzas with the rules of APT's tag file
// reader: blank lines separate paragraphs, lines starting with "#" are
// comments, lines starting with a blank continue the previous field.
func splitDeb822(path string, lines []string) ([]d822Stanza, error) {
	var out []d822Stanza
	var cur *d822Stanza
	flush := func(end int) {
		if cur != nil && len(cur.fields) > 0 {
			cur.end = end
			out = append(out, *cur)
		}
		cur = nil
	}
	for i, raw := range lines {
		text, _ := lineEnd(raw)
		if strings.TrimSpace(text) == "" {
			flush(i)
			continue
		}
		if cur == nil {
			cur = &d822Stanza{start: i}
		}
		switch {
		case text[0] == '#':
			cur.comments = append(cur.comments, strings.TrimSpace(text[1:]))
		case text[0] == ' ' || text[0] == '\t':
			if len(cur.fields) == 0 {
				return nil, &ParseError{Path: path, Line: i + 1, Col: 1, Err: fmt.Errorf("%w: continuation line without a field", ErrMalformed)}
			}
			f := &cur.fields[len(cur.fields)-1]
			// Consecutive lines only: a comment in between ends nothing in
			// APT either, it is just skipped.
			f.end = i + 1
			cont := strings.TrimSpace(text)
			if cont == "." {
				cont = ""
			}
			f.value += "\n" + cont
		default:
			colon := strings.IndexByte(text, ':')
			if colon <= 0 {
				return nil, &ParseError{Path: path, Line: i + 1, Col: 1, Err: fmt.Errorf("%w: %q is not a field", ErrMalformed, text)}
			}
			key := text[:colon]
			if strings.ContainsAny(key, " \t") {
				return nil, &ParseError{Path: path, Line: i + 1, Col: 1, Err: fmt.Errorf("%w: field name %q has blanks", ErrMalformed, key)}
			}
			cur.fields = append(cur.fields, d822Field{key: key, start: i, end: i + 1, value: strings.TrimSpace(text[colon+1:])})
		}
	}
	flush(len(lines))
	for k := range out {
		for j := range out[k].fields {
			out[k].fields[j].value = strings.TrimLeft(out[k].fields[j].value, "\n")
		}
	}
	return out, nil
}

func parseDeb822(path string, lines []string) ([]*Entry, error) {
	stanzas, err := splitDeb822(path, lines)
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for _, s := range stanzas {
		e, err := stanzaEntry(path, &s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func stanzaEntry(path string, s *d822Stanza) (*Entry, error) {
	first := s.fields[0].start
	perr := func(line int, format string, args ...any) error {
		return &ParseError{Path: path, Line: line + 1, Err: fmt.Errorf(format, args...)}
	}
	e := &Entry{Line: first + 1, EndLine: s.end, Enabled: true}
	if len(s.comments) > 0 {
		e.Comment = strings.Join(s.comments, "\n")
	}
	types := s.field("Types")
	if types == nil {
		return nil, perr(first, "%w: stanza has no Types field", ErrMalformed)
	}
	e.Types = strings.Fields(types.value)
	if len(e.Types) == 0 {
		return nil, perr(types.start, "%w: empty Types field", ErrMalformed)
	}
	for _, t := range e.Types {
		if t != "deb" && t != "deb-src" {
			return nil, perr(types.start, "%w %q", ErrUnknownType, t)
		}
	}
	if en := s.field("Enabled"); en != nil && en.value != "" && !stringToBool(en.value, true) {
		e.Enabled = false
	}
	seen := map[string]bool{}
	for _, f := range s.fields {
		name := canonicalField(f.key)
		if seen[name] {
			continue // APT reads the first of duplicate fields
		}
		seen[name] = true
		switch name {
		case "Types", "Enabled":
		case "URIs":
			e.URIs = strings.Fields(f.value)
		case "Suites":
			e.Suites = strings.Fields(f.value)
		case "Components":
			e.Components = strings.Fields(f.value)
		default:
			e.Options = append(e.Options, Option{Key: f.key, Name: canonicalField(f.key), Value: f.value})
		}
	}
	if !e.Enabled {
		return e, nil // APT reads nothing else of a disabled stanza
	}
	switch {
	case len(e.URIs) == 0:
		return nil, perr(first, "%w: stanza has no URIs", ErrMalformed)
	case len(e.Suites) == 0:
		return nil, perr(first, "%w: stanza has no Suites", ErrMalformed)
	}
	for _, suite := range e.Suites {
		flat := strings.HasSuffix(suite, "/")
		if flat && len(e.Components) > 0 {
			return nil, perr(s.field("Components").start, "%w: flat suite %q takes no Components", ErrMalformed, suite)
		}
		if !flat && len(e.Components) == 0 {
			return nil, perr(first, "%w: stanza has no Components", ErrMalformed)
		}
	}
	return e, nil
}

// stanzaOf finds the stanza of an entry in lines.
func (f *SourceFile) stanzaOf(lines []string, e *Entry) (*d822Stanza, error) {
	stanzas, err := splitDeb822(f.Path, lines)
	if err != nil {
		return nil, err
	}
	for i := range stanzas {
		if stanzas[i].fields[0].start == e.Line-1 {
			return &stanzas[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s: no stanza starts at line %d", ErrEdit, f.Path, e.Line)
}

func deb822SetEnabled(lines []string, e *Entry, enabled bool) ([]string, error) {
	s, err := e.file.stanzaOf(lines, e)
	if err != nil {
		return nil, err
	}
	if en := s.field("Enabled"); en != nil {
		if enabled {
			return slices.Delete(lines, en.start, en.end), nil
		}
		_, nl := lineEnd(lines[en.end-1])
		return slices.Replace(lines, en.start, en.end, en.key+": no"+nl), nil
	}
	if enabled {
		return lines, nil
	}
	last := s.fields[len(s.fields)-1].end // insert after the last field
	_, nl := lineEnd(lines[last-1])
	if nl == "" {
		lines[last-1] += "\n"
		nl = "\n"
	}
	return slices.Insert(lines, last, "Enabled: no"+nl), nil
}

// fieldWords returns the words of a field's value with their line and
// byte range.
type fieldWord struct {
	line, start, end int
	text             string
}

func fieldWords(lines []string, f *d822Field) []fieldWord {
	var out []fieldWord
	for i := f.start; i < f.end; i++ {
		text, _ := lineEnd(lines[i])
		p := 0
		if i == f.start {
			p = strings.IndexByte(text, ':') + 1
		}
		for p < len(text) {
			for p < len(text) && isCSpace(text[p]) {
				p++
			}
			q := p
			for q < len(text) && !isCSpace(text[q]) {
				q++
			}
			if q > p {
				out = append(out, fieldWord{line: i, start: p, end: q, text: text[p:q]})
			}
			p = q
		}
	}
	return out
}

func deb822AddWord(lines []string, e *Entry, field, w string) ([]string, error) {
	s, err := e.file.stanzaOf(lines, e)
	if err != nil {
		return nil, err
	}
	f := s.field(field)
	if f == nil {
		return nil, fmt.Errorf("%w: %s has no %s field", ErrEdit, e.Pos(), field)
	}
	words := fieldWords(lines, f)
	if len(words) == 0 {
		text, nl := lineEnd(lines[f.start])
		lines[f.start] = strings.TrimRight(text, " \t") + " " + w + nl
		return lines, nil
	}
	last := words[len(words)-1]
	l := lines[last.line]
	lines[last.line] = l[:last.end] + " " + w + l[last.end:]
	return lines, nil
}

func deb822RemoveWord(lines []string, e *Entry, field, w string) ([]string, error) {
	s, err := e.file.stanzaOf(lines, e)
	if err != nil {
		return nil, err
	}
	f := s.field(field)
	if f == nil {
		return nil, fmt.Errorf("%w: %s has no %s field", ErrEdit, e.Pos(), field)
	}
	words := fieldWords(lines, f)
	i := slices.IndexFunc(words, func(fw fieldWord) bool { return fw.text == w })
	if i < 0 {
		return lines, nil
	}
	fw := words[i]
	l := lines[fw.line]
	start, end := fw.start, fw.end
	firstOnLine := i == 0 || words[i-1].line != fw.line
	if firstOnLine {
		// Keep "Components: " tidy: take the blanks after the word.
		for end < len(l) && (l[end] == ' ' || l[end] == '\t') {
			end++
		}
	} else {
		for start > 0 && (l[start-1] == ' ' || l[start-1] == '\t') {
			start--
		}
	}
	lines[fw.line] = l[:start] + l[end:]
	if fw.line != f.start && isBlankLine(lines[fw.line]) {
		// An emptied continuation line would end the stanza.
		lines = slices.Delete(lines, fw.line, fw.line+1)
	}
	return lines, nil
}
