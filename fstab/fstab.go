package fstab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/parseerr"
)

// Errors matched with errors.Is.
var (
	// ErrSyntax is matched by every parse error.
	ErrSyntax = errors.New("syntax error")
	// ErrExists is returned when adding an entry whose mount point is
	// already in the file.
	ErrExists = errors.New("mount point already in fstab")
	// ErrInvalid is returned for an entry that cannot be written: an empty
	// field, a negative dump or pass number, a newline in a value.
	ErrInvalid = errors.New("invalid fstab entry")
)

// ParseError reports a malformed line: File, Line, Col (the 1-based
// column of the offending field, 0 if none) and Msg. Its Err is
// ErrSyntax.
type ParseError = parseerr.Error

// File is a parsed fstab.
type File struct {
	name  string
	lines []*line
}

// line is one line of the file: a comment, a blank line or an entry.
type line struct {
	raw string // without the line terminator
	eol string // "\n", "\r\n" or "" for a last line without newline

	entry *Entry
	orig  Entry    // the entry as parsed, to see whether it changed
	seps  []string // whitespace before, between and after the fields
	toks  []string // the fields as written
}

// Entry is one mount: the six fields of fstab(5). A dump or pass field that
// the line leaves out reads as 0 and stays left out while it is 0.
type Entry struct {
	Source     Source
	MountPoint string // unescaped: "\040" reads as a space
	Type       string // "ext4", "btrfs", "swap", "nfs", "fuse.sshfs", ...
	Options    Options
	Freq       int // fs_freq, for dump(8)
	PassNo     int // fs_passno, the fsck(8) order: 1 for /, 2 for others, 0 for none
	// Line is the entry's line number in the parsed file, 0 for an added
	// entry.
	Line int
}

// Parse parses an fstab; name is used in errors. Comment and blank lines
// are kept; a line with fewer than three or more than six fields, or a
// dump or pass field that is not a number, is an error.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name}
	rest := string(data)
	for n := 1; rest != ""; n++ {
		raw, after, found := strings.Cut(rest, "\n")
		rest = after
		l := &line{raw: raw}
		if found {
			l.eol = "\n"
		}
		if found && strings.HasSuffix(raw, "\r") {
			l.raw, l.eol = raw[:len(raw)-1], "\r"+l.eol
		}
		if err := l.parse(name, n); err != nil {
			return nil, err
		}
		f.lines = append(f.lines, l)
	}
	return f, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func (l *line) parse(file string, n int) error {
	s := l.raw
	trimmed := strings.TrimLeft(s, " \t\r")
	if trimmed == "" || trimmed[0] == '#' {
		return nil
	}
	var cols []int
	i := 0
	for {
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		l.seps = append(l.seps, s[i:j])
		if j == len(s) {
			break
		}
		k := j
		for k < len(s) && !isSpace(s[k]) {
			k++
		}
		l.toks = append(l.toks, s[j:k])
		cols = append(cols, j+1)
		i = k
	}
	errf := func(field int, format string, args ...any) error {
		col := 0
		if field >= 0 && field < len(cols) {
			col = cols[field]
		}
		return &ParseError{File: file, Line: n, Col: col, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
	}
	switch {
	case len(l.toks) < 3:
		return errf(len(l.toks)-1, "want at least 3 fields (device, mount point, type), have %d", len(l.toks))
	case len(l.toks) > 6:
		return errf(6, "unexpected seventh field %q (fstab has six fields; comments start a line)", l.toks[6])
	}
	e := &Entry{Line: n}
	e.Source = ParseSource(unescape(l.toks[0]))
	e.MountPoint = unescape(l.toks[1])
	e.Type = unescape(l.toks[2])
	if len(l.toks) > 3 {
		opts, err := ParseOptions(l.toks[3])
		if err != nil {
			return errf(3, "options: %v", err)
		}
		e.Options = opts
	}
	for i, p := range []*int{&e.Freq, &e.PassNo} {
		if len(l.toks) <= 4+i {
			break
		}
		v, err := strconv.Atoi(l.toks[4+i])
		if err != nil || v < 0 {
			return errf(4+i, "%s field %q is not a number", []string{"dump", "pass"}[i], l.toks[4+i])
		}
		*p = v
	}
	l.entry = e
	l.orig = e.clone()
	return nil
}

func (e *Entry) clone() Entry {
	c := *e
	c.Options = slices.Clone(e.Options)
	return c
}

func (e *Entry) equal(o *Entry) bool {
	return e.Source == o.Source && e.MountPoint == o.MountPoint && e.Type == o.Type &&
		slices.Equal(e.Options, o.Options) && e.Freq == o.Freq && e.PassNo == o.PassNo
}

// Validate reports whether the entry can be written.
func (e *Entry) Validate() error {
	switch {
	case e.Source.Value == "":
		return fmt.Errorf("%w: empty device", ErrInvalid)
	case e.MountPoint == "":
		return fmt.Errorf("%w: empty mount point", ErrInvalid)
	case e.Type == "":
		return fmt.Errorf("%w: empty file system type", ErrInvalid)
	case e.Freq < 0 || e.PassNo < 0:
		return fmt.Errorf("%w: negative dump or pass number", ErrInvalid)
	}
	for _, s := range []string{e.Source.Value, e.MountPoint, e.Type} {
		if strings.ContainsAny(s, "\n\r") {
			return fmt.Errorf("%w: newline in %q", ErrInvalid, s)
		}
	}
	for _, o := range e.Options {
		if o == "" || strings.ContainsAny(string(o), " \t\n\r") {
			return fmt.Errorf("%w: option %q", ErrInvalid, o)
		}
	}
	return nil
}

// String returns the entry as an fstab line, fields separated by a space.
func (e *Entry) String() string {
	return strings.Join(e.fields(6), " ")
}

// fields renders the entry's fields; at least min fields (3 to 6) are
// given, more if a value needs them.
func (e *Entry) fields(min int) []string {
	f := []string{escape(e.Source.String()), escape(e.MountPoint), escape(e.Type)}
	opts := e.Options.String()
	n := min
	switch {
	case e.PassNo != 0:
		n = 6
	case e.Freq != 0:
		n = max(n, 5)
	case opts != "" && opts != "defaults":
		n = max(n, 4)
	}
	if n >= 4 {
		if opts == "" {
			opts = "defaults"
		}
		f = append(f, opts)
	}
	if n >= 5 {
		f = append(f, strconv.Itoa(e.Freq))
	}
	if n >= 6 {
		f = append(f, strconv.Itoa(e.PassNo))
	}
	return f
}

// render writes a changed entry, keeping the line's spacing: each
// separator stays as it was, and a run of spaces that aligned a column is
// stretched or shrunk to keep the next field in its column where it can.
func (l *line) render() string {
	if l.toks == nil {
		return strings.Join(l.entry.fields(6), "\t")
	}
	fields := l.entry.fields(len(l.toks))
	n := len(l.toks)
	var b strings.Builder
	oldCol := 0 // column where the old field i started
	for i, f := range fields {
		switch {
		case i < n:
			oldCol += len(l.seps[i])
			sep := l.seps[i]
			if i > 0 && strings.Trim(sep, " ") == "" {
				sep = strings.Repeat(" ", max(oldCol-b.Len(), 1))
			}
			b.WriteString(sep)
			oldCol += len(l.toks[i])
		default:
			b.WriteString(l.seps[n-1]) // the last separator between fields
		}
		b.WriteString(f)
	}
	b.WriteString(l.seps[n])
	return b.String()
}

// Format returns the file's text: untouched lines as they were read,
// changed entries re-rendered in their line's spacing, added entries
// separated by tabs.
func (f *File) Format() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		if l.entry != nil && (l.toks == nil || !l.entry.equal(&l.orig)) {
			b.WriteString(l.render())
		} else {
			b.WriteString(l.raw)
		}
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// WriteTo writes the formatted file to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(f.Format())
	return int64(n), err
}

// Name returns the file name given to Parse.
func (f *File) Name() string { return f.name }

// Entries returns the entries in file order. Changing an entry through
// its pointer changes the file: Format re-renders it.
func (f *File) Entries() []*Entry {
	var out []*Entry
	for _, l := range f.lines {
		if l.entry != nil {
			out = append(out, l.entry)
		}
	}
	return out
}

// Lookup returns the entry for a mount point, or nil. Like mount(8), it
// takes the first match when the file lists a mount point twice. Trailing
// slashes are ignored ("/var/lib/vz/" finds "/var/lib/vz").
func (f *File) Lookup(mountPoint string) *Entry {
	want := cleanMountPoint(mountPoint)
	for _, l := range f.lines {
		if l.entry != nil && cleanMountPoint(l.entry.MountPoint) == want {
			return l.entry
		}
	}
	return nil
}

func cleanMountPoint(p string) string {
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
		if p == "" {
			return "/"
		}
	}
	return p
}

// Add appends an entry at the end of the file, fields separated by tabs,
// and returns it. A mount point that is already present is refused with
// ErrExists (except "none" and swap entries, of which there may be many).
func (f *File) Add(e Entry) (*Entry, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if e.MountPoint != "none" && e.Type != "swap" {
		if old := f.Lookup(e.MountPoint); old != nil {
			return nil, fmt.Errorf("%w: %s (line %d)", ErrExists, e.MountPoint, old.Line)
		}
	}
	e.Line = 0
	ne := e.clone()
	if len(ne.Options) == 0 {
		ne.Options = Options{"defaults"}
	}
	f.appendLine(&line{entry: &ne, eol: "\n"})
	return &ne, nil
}

// AddComment appends a comment line ("# " and text) at the end of the
// file, to explain the entry added after it.
func (f *File) AddComment(text string) {
	text = strings.ReplaceAll(text, "\n", " ")
	f.appendLine(&line{raw: strings.TrimRight("# "+text, " "), eol: "\n"})
}

func (f *File) appendLine(l *line) {
	if n := len(f.lines); n > 0 && f.lines[n-1].eol == "" {
		f.lines[n-1].eol = "\n"
	}
	f.lines = append(f.lines, l)
}

// Remove deletes an entry's line and reports whether it was in the file.
// Comments around it stay.
func (f *File) Remove(e *Entry) bool {
	for i, l := range f.lines {
		if l.entry == e {
			f.lines = slices.Delete(f.lines, i, i+1)
			return true
		}
	}
	return false
}

// unescape decodes the octal escapes of fstab fields (\040 space, \011
// tab, \012 newline, \134 backslash), as libmount does.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			if s[i+1] <= '3' {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// escape encodes what would split or end a field, and backslashes that
// would otherwise read as an escape.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			fmt.Fprintf(&b, `\%03o`, c)
		case c == '#' && i == 0:
			b.WriteString(`\043`)
		case c == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3':
			b.WriteString(`\134`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
