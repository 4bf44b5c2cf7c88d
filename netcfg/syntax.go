package netcfg

import (
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a file: the name the file was parsed under, a
// 1-based line and a 1-based byte column (0 when the whole line is meant).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as "file:line:col", leaving out what is
// unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// File is one interfaces file as written: a sequence of statements, each
// of which keeps its exact text. Formatting a file that was not changed
// reproduces its bytes exactly; a changed statement is rewritten alone, in
// the style (indentation, separators, line endings) of its neighbours.
//
// The statements follow ifupdown2's reading: an iface stanza extends from
// its header to the next auto, allow-*, source, iface or vlan line, and
// every other non-comment line in between is one of its options.
type File struct {
	// Name is the file's name as given to [Parse]; positions carry it.
	Name string
	// Stmts are the top-level statements in file order.
	Stmts []Stmt

	lf bool // written with "\n" line ends (after Canonical)
}

// MarshalText encodes the position as [Pos.String] does.
func (p Pos) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Stmt is a top-level statement: [*Comment], [*Auto], [*Source],
// [*Stanza] or [*BadLine].
type Stmt interface {
	// Pos returns the position of the statement's first line.
	Pos() Pos
	stmtNode() *node
}

// node holds what every statement and option keeps of its text.
type node struct {
	pos Pos
	// raw is the exact text of the physical lines of the statement's own
	// line, terminators included; empty for a node made by an edit (or
	// laid out anew by Canonical).
	raw string
	// indent is the indentation of a node without raw text; a node with
	// raw text keeps the raw text's.
	indent string
}

func (n *node) stmtNode() *node { return n }

// Pos returns the position of the line.
func (n *node) Pos() Pos { return n.pos }

// Comment is a blank line or a comment line ("# ..."), kept verbatim.
type Comment struct {
	node
	// Text is the logical line with surrounding blanks trimmed: "" for a
	// blank line, "#..." for a comment.
	Text string
}

// Auto is an "auto" or "allow-CLASS" line.
type Auto struct {
	node
	// Keyword is "auto" or "allow-CLASS" (such as "allow-hotplug").
	Keyword string
	// Names are the interfaces listed; "all" in an auto line marks every
	// stanza that follows.
	Names []string
}

// Class returns the allow class ("hotplug" for "allow-hotplug"), or ""
// for an auto line. ifupdown2 treats "allow-auto" as a class named "auto".
func (a *Auto) Class() string {
	if a.Keyword == "auto" {
		return ""
	}
	_, class, _ := strings.Cut(a.Keyword, "-")
	class, _, _ = strings.Cut(class, "-")
	return class
}

// Source is a "source PATTERN" or "source-directory DIR" line.
type Source struct {
	node
	// Directory is true for source-directory.
	Directory bool
	// Path is the pattern or directory as written.
	Path string
	// Files are the files it includes, in reading order, once [LoadFS]
	// has resolved it.
	Files []*File

	loadErr error // why LoadFS could not follow the line
}

// Keyword returns "source" or "source-directory".
func (s *Source) Keyword() string {
	if s.Directory {
		return "source-directory"
	}
	return "source"
}

// BadLine is a line ifupdown2 cannot read: an unknown top-level keyword
// (such as "mapping"), an option line without a value, or a malformed
// statement. It is kept verbatim.
type BadLine struct {
	node
	// Text is the logical line, trimmed.
	Text string
	// Err says what is wrong; it unwraps to [ErrSyntax].
	Err error
	// Template is true when the line looks like template code (mako's
	// "%for", "${...}"), which hostadm never evaluates.
	Template bool
}

// Stanza is an "iface NAME [FAMILY [METHOD]]" stanza (or ifupdown2's
// "vlan NAME ..." stanza) with its option lines.
type Stanza struct {
	node
	// Keyword is "iface" or "vlan".
	Keyword string
	// Name is the interface name as written, including a ":label" suffix
	// or an ifupdown2 range such as "swp[1-4]".
	Name string
	// Family is "inet", "inet6" or "" when left out.
	Family string
	// Method is "static", "manual", "dhcp", "loopback", "auto", ... or ""
	// when left out.
	Method string
	// Extra are further words on the header line, which ifupdown2 ignores.
	Extra []string
	// Body holds the stanza's option lines with the comments and blank
	// lines between them, up to its last option. Comments after the last
	// option belong to the file, before the next statement.
	Body []Entry
}

// Entry is a line of a stanza's body: [*Option], [*Comment] or [*BadLine].
type Entry interface {
	Pos() Pos
	stmtNode() *node
}

// Option is one "key value" line of a stanza.
type Option struct {
	node
	// Key is the option name as written ("bridge-ports", "bridge_ports").
	Key string
	// Value is the rest of the line with inner blanks as written.
	Value string
	// Template is true when the line looks like template code.
	Template bool
}

// NormKey returns the key as ifupdown2 reads it, with "_" turned into "-".
func (o *Option) NormKey() string { return normKey(o.Key) }

func normKey(k string) string {
	if strings.IndexByte(k, '_') < 0 {
		return k
	}
	return strings.ReplaceAll(k, "_", "-")
}

// Options returns the stanza's options in order.
func (s *Stanza) Options() []*Option {
	var out []*Option
	for _, e := range s.Body {
		if o, ok := e.(*Option); ok {
			out = append(out, o)
		}
	}
	return out
}

// Get returns the value of the last option named key ("_" and "-" are the
// same), and whether there is one.
func (s *Stanza) Get(key string) (string, bool) {
	key = normKey(key)
	for i := len(s.Body) - 1; i >= 0; i-- {
		if o, ok := s.Body[i].(*Option); ok && o.NormKey() == key {
			return o.Value, true
		}
	}
	return "", false
}

// Values returns the values of every option named key, in order.
func (s *Stanza) Values(key string) []string {
	key = normKey(key)
	var out []string
	for _, e := range s.Body {
		if o, ok := e.(*Option); ok && o.NormKey() == key {
			out = append(out, o.Value)
		}
	}
	return out
}

// Set gives the option key the value: the last line with that key is
// changed (others with the same key are removed), or a line is added after
// the last option. The key keeps its spelling where a line exists.
func (s *Stanza) Set(key, value string) {
	nk := normKey(key)
	last := -1
	for i, e := range s.Body {
		if o, ok := e.(*Option); ok && o.NormKey() == nk {
			last = i
		}
	}
	if last < 0 {
		s.Add(key, value)
		return
	}
	keep := s.Body[last].(*Option)
	keep.Value = value
	s.Body = slices.DeleteFunc(s.Body, func(e Entry) bool {
		o, ok := e.(*Option)
		return ok && o != keep && o.NormKey() == nk
	})
}

// Add appends an option line after the stanza's last option, indented like
// the option before it (a tab in an empty stanza, as Proxmox VE writes).
func (s *Stanza) Add(key, value string) *Option {
	o := &Option{Key: key, Value: value}
	o.indent = "\t"
	for i := len(s.Body) - 1; i >= 0; i-- {
		if p, ok := s.Body[i].(*Option); ok {
			o.indent = p.indentOf()
			break
		}
	}
	s.Body = append(s.Body, o)
	return o
}

// Delete removes every option named key and reports whether there was one.
func (s *Stanza) Delete(key string) bool {
	nk := normKey(key)
	n := len(s.Body)
	s.Body = slices.DeleteFunc(s.Body, func(e Entry) bool {
		o, ok := e.(*Option)
		return ok && o.NormKey() == nk
	})
	return len(s.Body) != n
}

// Stanzas returns the file's stanzas in order (not those of included
// files).
func (f *File) Stanzas() []*Stanza {
	var out []*Stanza
	for _, st := range f.Stmts {
		if s, ok := st.(*Stanza); ok {
			out = append(out, s)
		}
	}
	return out
}

// Stanza returns the first stanza for name (with any family), or nil.
func (f *File) Stanza(name string) *Stanza {
	for _, st := range f.Stmts {
		if s, ok := st.(*Stanza); ok && s.Name == name {
			return s
		}
	}
	return nil
}

// AddStanza appends a stanza "iface NAME FAMILY METHOD" to the file,
// separated from what precedes it by a blank line, and returns it. With
// auto, an "auto NAME" line is written before it.
func (f *File) AddStanza(name, family, method string, auto bool) *Stanza {
	if n := len(f.Stmts); n > 0 {
		if c, ok := f.Stmts[n-1].(*Comment); !ok || c.Text != "" {
			f.Stmts = append(f.Stmts, &Comment{})
		}
	}
	if auto {
		f.Stmts = append(f.Stmts, &Auto{Keyword: "auto", Names: []string{name}})
	}
	s := &Stanza{Keyword: "iface", Name: name, Family: family, Method: method}
	f.Stmts = append(f.Stmts, s)
	return s
}

// RemoveStanza removes the stanza s, the comment lines directly above it,
// and name from every auto and allow- line (dropping lines left empty). It
// reports whether s was in the file.
func (f *File) RemoveStanza(s *Stanza) bool {
	i := slices.IndexFunc(f.Stmts, func(st Stmt) bool { return st == Stmt(s) })
	if i < 0 {
		return false
	}
	j := i
	for j > 0 {
		c, ok := f.Stmts[j-1].(*Comment)
		if !ok || c.Text == "" {
			break
		}
		j--
	}
	// Also drop one blank line so the stanzas around stay evenly spaced.
	end := i + 1
	if end < len(f.Stmts) {
		if c, ok := f.Stmts[end].(*Comment); ok && c.Text == "" && (j == 0 || isBlank(f.Stmts[j-1])) {
			end++
		}
	}
	f.Stmts = slices.Delete(f.Stmts, j, end)
	others := false
	for _, st := range f.Stmts {
		if o, ok := st.(*Stanza); ok && o.Name == s.Name {
			others = true
		}
	}
	if !others {
		f.SetAuto(s.Name, false)
		f.dropFromAllow(s.Name)
	}
	return true
}

func isBlank(st Stmt) bool {
	c, ok := st.(*Comment)
	return ok && c.Text == ""
}

func (f *File) dropFromAllow(name string) {
	f.Stmts = slices.DeleteFunc(f.Stmts, func(st Stmt) bool {
		a, ok := st.(*Auto)
		if !ok || a.Keyword == "auto" {
			return false
		}
		a.Names = slices.DeleteFunc(a.Names, func(n string) bool { return n == name })
		return len(a.Names) == 0
	})
}

// SetAuto marks name auto (adding "auto NAME" directly above its first
// stanza, where ifupdown2 needs it) or not auto (removing it from every
// auto line, dropping lines left empty).
func (f *File) SetAuto(name string, auto bool) {
	if !auto {
		f.Stmts = slices.DeleteFunc(f.Stmts, func(st Stmt) bool {
			a, ok := st.(*Auto)
			if !ok || a.Keyword != "auto" || !slices.Contains(a.Names, name) {
				return false
			}
			a.Names = slices.DeleteFunc(a.Names, func(n string) bool { return n == name })
			return len(a.Names) == 0
		})
		return
	}
	first := -1
	for i, st := range f.Stmts {
		switch st := st.(type) {
		case *Auto:
			if st.Keyword == "auto" && (slices.Contains(st.Names, name) || slices.Contains(st.Names, "all")) && first < 0 {
				return
			}
		case *Stanza:
			if st.Name == name && first < 0 {
				first = i
			}
		}
	}
	a := &Auto{Keyword: "auto", Names: []string{name}}
	if first < 0 {
		f.Stmts = append(f.Stmts, a)
		return
	}
	// Keep the comments directly above the stanza above the auto line too.
	at := first
	for at > 0 {
		c, ok := f.Stmts[at-1].(*Comment)
		if !ok || c.Text == "" {
			break
		}
		at--
	}
	f.Stmts = slices.Insert(f.Stmts, at, Stmt(a))
}
