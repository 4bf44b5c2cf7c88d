package apt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Syntax is the syntax of a sources file.
type Syntax int

const (
	// OneLine is the one-line-style of sources.list and *.list files:
	// "deb [options] URI suite component...".
	OneLine Syntax = iota + 1
	// Deb822 is the deb822 style of *.sources files: stanzas of
	// "Types:", "URIs:", "Suites:", "Components:" and option fields.
	Deb822
)

func (s Syntax) String() string {
	switch s {
	case OneLine:
		return "one-line"
	case Deb822:
		return "deb822"
	}
	return fmt.Sprintf("Syntax(%d)", int(s))
}

// SyntaxOf returns the syntax APT reads a sources file in: deb822 for a
// ".sources" extension, one-line for everything else.
func SyntaxOf(path string) Syntax {
	if strings.HasSuffix(path, ".sources") {
		return Deb822
	}
	return OneLine
}

// Sentinel errors of sources files; a *ParseError wraps one of them.
var (
	// ErrMalformed is a line or stanza APT would refuse.
	ErrMalformed = errors.New("malformed entry")
	// ErrUnknownType is a type other than deb and deb-src.
	ErrUnknownType = errors.New("unknown type")
)

// ParseError is an error at a position in a file.
type ParseError struct {
	Path string
	Line int // 1-based
	Col  int // 1-based byte column; 0 if unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrEdit is returned for an edit that cannot be made, such as removing
// the last component of a repository.
var ErrEdit = errors.New("cannot edit")

// SourceFile is a sources file, kept losslessly: Format returns the input
// byte for byte until an edit, and an edit rewrites only the lines of the
// entries it changes.
type SourceFile struct {
	// Path is the file's name below the root, such as
	// "/etc/apt/sources.list.d/pve-enterprise.list".
	Path   string
	Syntax Syntax
	// Entries are the repositories in file order, disabled ones included:
	// commented-out "# deb ..." lines of one-line files and "Enabled: no"
	// stanzas.
	Entries []*Entry

	lines []string // each with its line terminator, if any

	// digest and exists describe the content read from disk, so that a
	// write refuses to overwrite a concurrent edit.
	digest rootfs.Digest
	exists bool
}

// NewSourceFile returns an empty file to add entries to; its syntax
// follows the path's extension.
func NewSourceFile(path string) *SourceFile {
	return &SourceFile{Path: path, Syntax: SyntaxOf(path)}
}

// Entry is one repository line or stanza.
type Entry struct {
	// Line and EndLine are the 1-based first and last lines of the
	// entry (the same for a one-line entry).
	Line, EndLine int
	Enabled       bool
	// Types are "deb" and/or "deb-src".
	Types      []string
	URIs       []string
	Suites     []string
	Components []string
	// Options are the entry's other settings in file order: the
	// "[key=value]" options of a one-line entry, the other fields of a
	// stanza (Signed-By, Architectures, Trusted, ...).
	Options []Option
	// Comment is the trailing comment of a one-line entry, or the
	// comment lines inside a stanza, without the "#" markers.
	Comment string

	file *SourceFile
}

// Option is one option of an entry.
type Option struct {
	// Key as written: "signed-by" or "arch+" in one-line entries,
	// "Signed-By" or "Architectures-Add" in stanzas.
	Key string
	// Name is the deb822 field name the option stands for, whatever the
	// syntax ("Signed-By", "Architectures", "Architectures-Add", ...),
	// or Key when APT knows no such option.
	Name string
	// Value as written, with the continuation lines of a multi-line
	// field joined by "\n" and " ." lines turned into empty lines.
	Value string
}

// listOptionNames maps one-line option keys to deb822 field names, as
// APT's sourcelist.cc does.
var listOptionNames = map[string]string{
	"arch": "Architectures", "arch+": "Architectures-Add", "arch-": "Architectures-Remove",
	"lang": "Languages", "lang+": "Languages-Add", "lang-": "Languages-Remove",
	"target": "Targets", "target+": "Targets-Add", "target-": "Targets-Remove",
	"trusted": "Trusted", "check-valid-until": "Check-Valid-Until",
	"valid-until-min": "Valid-Until-Min", "valid-until-max": "Valid-Until-Max",
	"check-date": "Check-Date", "date-max-future": "Date-Max-Future",
	"signed-by": "Signed-By", "pdiffs": "PDiffs", "by-hash": "By-Hash",
	"inrelease-path": "InRelease-Path",
}

// canonicalField returns the canonical spelling of a deb822 field name.
func canonicalField(key string) string {
	for _, n := range listOptionNames {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	for _, n := range []string{"Types", "URIs", "Suites", "Components", "Enabled"} {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return key
}

// Option returns the value of the option with the given deb822 name
// ("Signed-By", "Architectures", ...), whichever syntax set it.
func (e *Entry) Option(name string) (string, bool) {
	for _, o := range e.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return "", false
}

// SignedBy returns the keyrings or fingerprints named by the Signed-By
// option, or the inline OpenPGP key block a stanza holds instead.
func (e *Entry) SignedBy() (refs []string, inlineKey []byte) {
	v, ok := e.Option("Signed-By")
	if !ok {
		return nil, nil
	}
	if strings.Contains(v, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		return nil, []byte(v + "\n")
	}
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }), nil
}

// File returns the file the entry belongs to.
func (e *Entry) File() *SourceFile { return e.file }

// Pos returns "path:line" for messages.
func (e *Entry) Pos() string { return fmt.Sprintf("%s:%d", e.file.Path, e.Line) }

// String formats the entry the way a one-line file writes it (several
// types, URIs or suites, which only deb822 stanzas hold, are joined with
// commas).
func (e *Entry) String() string {
	var b strings.Builder
	if !e.Enabled {
		b.WriteString("# ")
	}
	b.WriteString(strings.Join(e.Types, ","))
	b.WriteByte(' ')
	if opts := e.listOptions(); opts != "" {
		b.WriteString("[" + opts + "] ")
	}
	b.WriteString(strings.Join(e.URIs, ","))
	b.WriteByte(' ')
	b.WriteString(strings.Join(e.Suites, ","))
	for _, c := range e.Components {
		b.WriteByte(' ')
		b.WriteString(c)
	}
	return b.String()
}

func (e *Entry) listOptions() string {
	var parts []string
	for _, o := range e.Options {
		key := o.Key
		for k, n := range listOptionNames {
			if n == o.Name {
				key = k
			}
		}
		if strings.Contains(o.Value, "\n") {
			continue // an inline key has no one-line spelling
		}
		parts = append(parts, key+"="+strings.Join(strings.Fields(o.Value), ","))
	}
	return strings.Join(parts, " ")
}

// HasComponent reports whether the entry lists component c.
func (e *Entry) HasComponent(c string) bool { return slices.Contains(e.Components, c) }

// ParseSourceFile parses a sources file in the syntax its name calls for
// (see [SyntaxOf]). Path is used in errors and kept in the result.
func ParseSourceFile(path string, data []byte) (*SourceFile, error) {
	return parseSourceFile(path, SyntaxOf(path), data)
}

func parseSourceFile(path string, syn Syntax, data []byte) (*SourceFile, error) {
	f := &SourceFile{Path: path, Syntax: syn, lines: splitLines(string(data))}
	if err := f.reparse(); err != nil {
		return nil, err
	}
	return f, nil
}

// splitLines splits s into lines that keep their terminators.
func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// Format returns the file's content.
func (f *SourceFile) Format() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l)
	}
	return b.Bytes()
}

// reparse rebuilds Entries from lines, keeping the identity of existing
// *Entry values position by position.
func (f *SourceFile) reparse() error {
	var entries []*Entry
	var err error
	switch f.Syntax {
	case Deb822:
		entries, err = parseDeb822(f.Path, f.lines)
	default:
		entries, err = parseOneLine(f.Path, f.lines)
	}
	if err != nil {
		return err
	}
	for i, e := range entries {
		e.file = f
		if i < len(f.Entries) {
			*f.Entries[i] = *e
			entries[i] = f.Entries[i]
		}
	}
	f.Entries = entries
	return nil
}

// edit applies fn to a copy of the lines and keeps the result only if it
// still parses.
func (f *SourceFile) edit(fn func(lines []string) ([]string, error)) error {
	return f.editRemoving(nil, fn)
}

// editRemoving is edit for an edit that removes entry gone.
func (f *SourceFile) editRemoving(gone *Entry, fn func(lines []string) ([]string, error)) error {
	old, oldEntries := f.lines, f.Entries
	saved := make([]Entry, len(oldEntries))
	for i, e := range oldEntries {
		saved[i] = *e
	}
	nl, err := fn(slices.Clone(old))
	if err != nil {
		return err
	}
	f.lines = nl
	if gone != nil {
		f.Entries = slices.DeleteFunc(slices.Clone(oldEntries), func(e *Entry) bool { return e == gone })
	}
	if err := f.reparse(); err != nil {
		f.lines, f.Entries = old, oldEntries
		for i, e := range oldEntries {
			*e = saved[i]
		}
		return fmt.Errorf("%w: the edit would make the file invalid: %v", ErrEdit, err)
	}
	return nil
}

// ErrForeignEntry is returned for an entry of another file.
var ErrForeignEntry = errors.New("entry belongs to another file")

func (f *SourceFile) check(e *Entry) error {
	if e == nil || e.file != f || !slices.Contains(f.Entries, e) {
		return ErrForeignEntry
	}
	return nil
}

// SetEnabled enables or disables an entry: a one-line entry is commented
// out with "# " or has its "#" removed; a stanza gets "Enabled: no" or
// loses its Enabled field.
func (f *SourceFile) SetEnabled(e *Entry, enabled bool) error {
	if err := f.check(e); err != nil {
		return err
	}
	if e.Enabled == enabled {
		return nil
	}
	return f.edit(func(lines []string) ([]string, error) {
		if f.Syntax == Deb822 {
			return deb822SetEnabled(lines, e, enabled)
		}
		return oneLineSetEnabled(lines, e, enabled)
	})
}

// AddComponent appends a component to an entry unless it is there.
func (f *SourceFile) AddComponent(e *Entry, c string) error {
	if err := f.check(e); err != nil {
		return err
	}
	if e.HasComponent(c) {
		return nil
	}
	if !validWord(c) {
		return fmt.Errorf("%w: invalid component %q", ErrEdit, c)
	}
	if len(e.Components) == 0 {
		return fmt.Errorf("%w: %s has a flat suite without components", ErrEdit, e.Pos())
	}
	return f.edit(func(lines []string) ([]string, error) {
		if f.Syntax == Deb822 {
			return deb822AddWord(lines, e, "Components", c)
		}
		return oneLineAddComponent(lines, e, c)
	})
}

// RemoveComponent removes a component from an entry. Removing the last
// component is refused: remove the entry instead.
func (f *SourceFile) RemoveComponent(e *Entry, c string) error {
	if err := f.check(e); err != nil {
		return err
	}
	if !e.HasComponent(c) {
		return nil
	}
	if len(e.Components) == 1 {
		return fmt.Errorf("%w: %s: %q is the only component; remove the entry instead", ErrEdit, e.Pos(), c)
	}
	return f.edit(func(lines []string) ([]string, error) {
		if f.Syntax == Deb822 {
			return deb822RemoveWord(lines, e, "Components", c)
		}
		return oneLineRemoveComponent(lines, e, c)
	})
}

// Remove removes an entry: its line, or its stanza and one blank line
// that separated it from the next.
func (f *SourceFile) Remove(e *Entry) error {
	if err := f.check(e); err != nil {
		return err
	}
	return f.editRemoving(e, func(lines []string) ([]string, error) {
		start, end := e.Line-1, e.EndLine // [start, end)
		if f.Syntax == Deb822 {
			s, err := f.stanzaOf(lines, e)
			if err != nil {
				return nil, err
			}
			start, end = s.start, s.end
			switch {
			case end < len(lines) && isBlankLine(lines[end]):
				end++
			case start > 0 && isBlankLine(lines[start-1]):
				start--
			}
		}
		return slices.Delete(lines, start, end), nil
	})
}

// Add appends an entry written in the file's syntax and returns it. Only
// the exported fields of e are used; Line and EndLine are set from the
// file.
func (f *SourceFile) Add(e Entry) (*Entry, error) {
	if err := validateNew(&e); err != nil {
		return nil, err
	}
	var text string
	if f.Syntax == Deb822 {
		text = e.deb822()
	} else {
		if len(e.Types) != 1 || len(e.URIs) != 1 || len(e.Suites) != 1 {
			return nil, fmt.Errorf("%w: a one-line entry has one type, URI and suite; add each on its own", ErrEdit)
		}
		for _, o := range e.Options {
			if strings.Contains(o.Value, "\n") {
				return nil, fmt.Errorf("%w: option %s spans lines (an inline key needs a .sources file)", ErrEdit, o.Name)
			}
		}
		text = e.String() + "\n"
		if e.Comment != "" {
			text = "# " + strings.ReplaceAll(e.Comment, "\n", "\n# ") + "\n" + text
		}
	}
	n := len(f.Entries)
	err := f.edit(func(lines []string) ([]string, error) {
		if k := len(lines); k > 0 && !strings.HasSuffix(lines[k-1], "\n") {
			lines[k-1] += "\n"
		}
		if f.Syntax == Deb822 && len(lines) > 0 && !isBlankLine(lines[len(lines)-1]) {
			lines = append(lines, "\n")
		}
		return append(lines, splitLines(text)...), nil
	})
	if err != nil {
		return nil, err
	}
	if len(f.Entries) != n+1 {
		return nil, fmt.Errorf("%w: the new entry did not parse as one entry", ErrEdit)
	}
	return f.Entries[n], nil
}

func validateNew(e *Entry) error {
	if len(e.Types) == 0 {
		e.Types = []string{"deb"}
	}
	for _, t := range e.Types {
		if t != "deb" && t != "deb-src" {
			return fmt.Errorf("%w: %w %q", ErrEdit, ErrUnknownType, t)
		}
	}
	if len(e.URIs) == 0 || len(e.Suites) == 0 {
		return fmt.Errorf("%w: an entry needs a URI and a suite", ErrEdit)
	}
	flat := strings.HasSuffix(e.Suites[0], "/")
	if flat != (len(e.Components) == 0) {
		return fmt.Errorf("%w: an entry needs components unless its suite is a flat path ending in /", ErrEdit)
	}
	for _, w := range slices.Concat(e.URIs, e.Suites, e.Components) {
		if !validWord(w) {
			return fmt.Errorf("%w: invalid word %q", ErrEdit, w)
		}
	}
	for i := range e.Options {
		o := &e.Options[i]
		if o.Name == "" {
			o.Name = canonicalField(o.Key)
		}
	}
	return nil
}

func validWord(w string) bool {
	return w != "" && !strings.ContainsAny(w, " \t\r\n#[]\"")
}

// deb822 formats the entry as a stanza.
func (e *Entry) deb822() string {
	var b strings.Builder
	if e.Comment != "" {
		for _, l := range strings.Split(e.Comment, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	fmt.Fprintf(&b, "Types: %s\nURIs: %s\nSuites: %s\n", strings.Join(e.Types, " "), strings.Join(e.URIs, " "), strings.Join(e.Suites, " "))
	if len(e.Components) > 0 {
		fmt.Fprintf(&b, "Components: %s\n", strings.Join(e.Components, " "))
	}
	for _, o := range e.Options {
		name := o.Name
		if name == "" {
			name = canonicalField(o.Key)
		}
		b.WriteString(name + ":")
		for i, l := range strings.Split(o.Value, "\n") {
			switch {
			case i == 0:
				b.WriteString(" " + l + "\n")
			case l == "":
				b.WriteString(" .\n")
			default:
				b.WriteString(" " + l + "\n")
			}
		}
	}
	if !e.Enabled {
		b.WriteString("Enabled: no\n")
	}
	return b.String()
}

func isBlankLine(l string) bool { return strings.TrimSpace(l) == "" }

// lineEnd splits a line into its text and its terminator.
func lineEnd(l string) (text, nl string) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2], "\r\n"
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], "\n"
	}
	return l, ""
}

// stringToBool is APT's StringToBool.
func stringToBool(s string, def bool) bool {
	switch strings.ToLower(s) {
	case "0", "no", "false", "without", "off", "disable":
		return false
	case "1", "yes", "true", "with", "on", "enable":
		return true
	}
	return def
}
