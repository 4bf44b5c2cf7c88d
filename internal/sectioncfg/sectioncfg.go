// Package sectioncfg reads and writes the Proxmox section-config format
// (storage.cfg, status.cfg, acme plugins.cfg) without losing anything:
//
//	# comment
//	zfspool: local-zfs
//		pool rpool/data
//		sparse
//		content images,rootdir
//
// A section starts with a "type: id" header and holds indented "key value"
// lines; a key alone is a flag whose value is "1". A blank line ends the
// section. Comments and blank lines are kept where they are, so an
// untouched file formats byte for byte, and an edit rewrites only the lines
// it touches.
package sectioncfg

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ErrSyntax is matched by every parse error.
var ErrSyntax = errors.New("syntax error")

// ParseError reports a malformed line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) hold.
func (e *ParseError) Is(target error) bool { return target == ErrSyntax }

// File is a parsed section-config file.
type File struct {
	name     string
	lead     []string // lines before the first section
	sections []*Section
	// noEOL is set when the file did not end with a newline.
	noEOL bool
}

// Section is one "type: id" block. Trailing comments and blank lines after
// its last property belong to it, up to the next header.
type Section struct {
	Type string
	ID   string
	// Line is the header's line number in the parsed file, 0 for a new
	// section.
	Line   int
	header string
	lines  []line
	indent string
}

type line struct {
	raw   string
	key   string // empty for comments and blank lines
	value string
	flag  bool // key without value
	num   int
	dirty bool
}

func (l line) blank() bool { return l.key == "" && strings.TrimSpace(l.raw) == "" }

var (
	headerRE = regexp.MustCompile(`^(\S+):\s*(\S+)\s*$`)
	propRE   = regexp.MustCompile(`^(\s+)(\S+)(?:\s+(.*\S))?\s*$`)
	typeRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// Parse parses data; name is used in errors.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		f.noEOL = true
	}
	text = strings.TrimSuffix(text, "\n")
	if len(data) == 0 {
		return f, nil
	}
	var cur *Section
	inBody := false // whether property lines may follow
	for i, raw := range strings.Split(text, "\n") {
		num := i + 1
		content := strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(content)
		switch {
		case trimmed == "":
			inBody = false
			f.appendTrivia(cur, raw, num)
		case strings.HasPrefix(trimmed, "#"):
			f.appendTrivia(cur, raw, num)
		case content[0] != ' ' && content[0] != '\t':
			m := headerRE.FindStringSubmatch(content)
			if m == nil {
				return nil, &ParseError{name, num, fmt.Sprintf("expected %q, got %q", "type: id", content)}
			}
			if !typeRE.MatchString(m[1]) {
				return nil, &ParseError{name, num, fmt.Sprintf("invalid section type %q", m[1])}
			}
			if f.Lookup(m[2]) != nil {
				return nil, &ParseError{name, num, fmt.Sprintf("duplicate section id %q", m[2])}
			}
			cur = &Section{Type: m[1], ID: m[2], Line: num, header: raw, indent: "\t"}
			f.sections = append(f.sections, cur)
			inBody = true
		default:
			if cur == nil || !inBody {
				return nil, &ParseError{name, num, fmt.Sprintf("property outside a section: %q", trimmed)}
			}
			m := propRE.FindStringSubmatch(content)
			key, val := m[2], m[3]
			if _, ok := cur.Get(key); ok {
				return nil, &ParseError{name, num, fmt.Sprintf("section %q: duplicate property %q", cur.ID, key)}
			}
			if !cur.hasProps() {
				cur.indent = m[1]
			}
			cur.lines = append(cur.lines, line{raw: raw, key: key, value: val, flag: m[3] == "", num: num})
		}
	}
	return f, nil
}

func (f *File) appendTrivia(cur *Section, raw string, num int) {
	if cur == nil {
		f.lead = append(f.lead, raw)
		return
	}
	cur.lines = append(cur.lines, line{raw: raw, num: num})
}

func (s *Section) hasProps() bool {
	return slices.ContainsFunc(s.lines, func(l line) bool { return l.key != "" })
}

// Name returns the file name given to Parse.
func (f *File) Name() string { return f.name }

// Sections returns the sections in file order.
func (f *File) Sections() []*Section { return slices.Clone(f.sections) }

// Lookup returns the section with the given id, or nil. Ids are unique
// across types, as Proxmox requires.
func (f *File) Lookup(id string) *Section {
	for _, s := range f.sections {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// OfType returns the sections of one type.
func (f *File) OfType(typ string) []*Section {
	var out []*Section
	for _, s := range f.sections {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// ErrExists is returned when adding a section whose id is taken.
var ErrExists = errors.New("section exists")

// Add appends a new, empty section, separated from the previous one by a
// blank line.
func (f *File) Add(typ, id string) (*Section, error) {
	if !typeRE.MatchString(typ) {
		return nil, fmt.Errorf("invalid section type %q", typ)
	}
	if id == "" || strings.ContainsAny(id, " \t\r\n") {
		return nil, fmt.Errorf("invalid section id %q", id)
	}
	if f.Lookup(id) != nil {
		return nil, fmt.Errorf("%s: %q: %w", f.name, id, ErrExists)
	}
	indent := "\t"
	if n := len(f.sections); n > 0 {
		indent = f.sections[n-1].indent
		last := f.sections[n-1]
		if k := len(last.lines); k == 0 || !last.lines[k-1].blank() {
			last.lines = append(last.lines, line{raw: ""})
		}
	} else if k := len(f.lead); k > 0 && strings.TrimSpace(f.lead[k-1]) != "" {
		f.lead = append(f.lead, "")
	}
	s := &Section{Type: typ, ID: id, header: typ + ": " + id, indent: indent}
	f.sections = append(f.sections, s)
	return s, nil
}

// Remove deletes the section with the given id, with its trailing comments
// and blank lines, and reports whether it existed.
func (f *File) Remove(id string) bool {
	for i, s := range f.sections {
		if s.ID != id {
			continue
		}
		f.sections = slices.Delete(f.sections, i, i+1)
		if i == len(f.sections) {
			// The last section went: drop the separator left at the end.
			if i > 0 {
				prev := f.sections[i-1]
				if k := len(prev.lines); k > 0 && prev.lines[k-1].blank() {
					prev.lines = prev.lines[:k-1]
				}
			} else if k := len(f.lead); k > 0 && strings.TrimSpace(f.lead[k-1]) == "" {
				f.lead = f.lead[:k-1]
			}
		}
		return true
	}
	return false
}

// Get returns a property's value; a flag has the value "1".
func (s *Section) Get(key string) (string, bool) {
	for _, l := range s.lines {
		if l.key == key {
			if l.flag {
				return "1", true
			}
			return l.value, true
		}
	}
	return "", false
}

// Property is one key and value, in file order.
type Property struct {
	Key   string
	Value string // "1" for a flag
	Flag  bool   // written as a key alone
	Line  int    // 0 for a property added since parsing
}

// Properties returns the section's properties in file order.
func (s *Section) Properties() []Property {
	var out []Property
	for _, l := range s.lines {
		if l.key == "" {
			continue
		}
		v := l.value
		if l.flag {
			v = "1"
		}
		out = append(out, Property{Key: l.key, Value: v, Flag: l.flag, Line: l.num})
	}
	return out
}

// Keys returns the property keys in file order.
func (s *Section) Keys() []string {
	var out []string
	for _, l := range s.lines {
		if l.key != "" {
			out = append(out, l.key)
		}
	}
	return out
}

// Set sets a property, in place if it exists, else after the last property.
// A value with a newline is refused.
func (s *Section) Set(key, value string) error {
	return s.set(key, value, false)
}

// SetFlag sets a property written as a key alone ("sparse", "disable").
func (s *Section) SetFlag(key string) error {
	return s.set(key, "", true)
}

func (s *Section) set(key, value string, flag bool) error {
	if key == "" || strings.ContainsAny(key, " \t\r\n#") {
		return fmt.Errorf("invalid property key %q", key)
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("property %q: value contains a newline", key)
	}
	value = strings.TrimSpace(value)
	if value == "" && !flag {
		return fmt.Errorf("property %q: empty value", key)
	}
	for i := range s.lines {
		l := &s.lines[i]
		if l.key == key {
			if l.value == value && l.flag == flag {
				return nil
			}
			l.value, l.flag, l.dirty = value, flag, true
			return nil
		}
	}
	at := 0
	for i, l := range s.lines {
		if l.key != "" {
			at = i + 1
		}
	}
	s.lines = slices.Insert(s.lines, at, line{key: key, value: value, flag: flag, dirty: true})
	return nil
}

// Delete removes a property and reports whether it existed.
func (s *Section) Delete(key string) bool {
	for i, l := range s.lines {
		if l.key == key {
			s.lines = slices.Delete(s.lines, i, i+1)
			return true
		}
	}
	return false
}

// Format returns the file's text.
func (f *File) Format() []byte {
	var b bytes.Buffer
	for _, l := range f.lead {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for _, s := range f.sections {
		b.WriteString(s.header)
		b.WriteByte('\n')
		for _, l := range s.lines {
			if l.dirty {
				b.WriteString(s.indent)
				b.WriteString(l.key)
				if !l.flag {
					b.WriteByte(' ')
					b.WriteString(l.value)
				}
			} else {
				b.WriteString(l.raw)
			}
			b.WriteByte('\n')
		}
	}
	out := b.Bytes()
	if f.noEOL && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}
