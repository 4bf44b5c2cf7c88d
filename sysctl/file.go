package sysctl

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/hostadm/hostadm/internal/textline"
)

// ErrSyntax marks a line of a sysctl.d file that is neither an
// assignment, an exclusion nor a comment.
var ErrSyntax = errors.New("not an assignment")

// ParseError is a problem at a line of a file.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// File is a sysctl.conf or sysctl.d file as written. Formatting an
// untouched file returns its bytes exactly; [File.Set] and [File.Delete]
// rewrite only the lines they touch.
type File struct {
	// Name is the name the file was parsed under.
	Name  string
	Lines []*Line
}

// Line is one line of a file.
type Line struct {
	// Key is the parameter as written, without a leading "-"; empty for a
	// blank or comment line.
	Key string
	// Value is the value with surrounding blanks removed.
	Value string
	// IgnoreErrors is true for "-key = value": failures to set it are not
	// errors.
	IgnoreErrors bool
	// Exclude is true for "-key" without "=": the key is kept out of glob
	// patterns.
	Exclude bool
	// Text is the trimmed line of a comment, blank or unreadable line.
	Text string
	// Err is set for a line that is neither assignment nor comment.
	Err error
	// Num is the 1-based line number, 0 for a line added by an edit.
	Num int

	raw, orig   string
	indent, sep string // blank before the key; text between key and value
}

// IsAssignment reports whether the line sets a value.
func (l *Line) IsAssignment() bool { return l.Key != "" && !l.Exclude && l.Err == nil }

func (l *Line) regen() string {
	switch {
	case l.Key == "":
		return l.Text
	case l.Exclude:
		return l.indent + "-" + l.Key
	}
	dash := ""
	if l.IgnoreErrors {
		dash = "-"
	}
	sep := l.sep
	if sep == "" {
		sep = " = "
	}
	return l.indent + dash + l.Key + sep + l.Value
}

// Parse reads a sysctl.d file (the syntax of sysctl.d(5)): "key = value"
// assignments, "-key = value" whose failures are ignored, "-key"
// exclusions from globs, comments starting with "#" or ";". It always
// returns the file; the error lists unreadable lines, which are kept.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name}
	var errs []error
	text := string(data)
	num := 0
	for len(text) > 0 {
		num++
		// Lines end at LF, CR LF or a lone CR, as systemd reads them.
		var body, eol string
		body, eol, text = textline.Cut(text, true)
		raw := body + eol
		l := &Line{Num: num, raw: raw}
		trimmed := strings.TrimSpace(body)
		l.indent = body[:len(body)-len(strings.TrimLeft(body, " \t"))]
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			l.Text = body
		default:
			rest := strings.TrimLeft(body, " \t")
			if rest[0] == '-' {
				l.IgnoreErrors = true
				rest = rest[1:]
			}
			k, v, ok := strings.Cut(rest, "=")
			switch {
			case !ok && l.IgnoreErrors && strings.TrimSpace(k) != "":
				l.Key, l.Exclude, l.IgnoreErrors = strings.TrimSpace(k), true, false
			case !ok || strings.TrimSpace(k) == "":
				l.Text = body
				l.Err = ErrSyntax
				errs = append(errs, &ParseError{File: name, Line: num, Err: fmt.Errorf("%q: %w", trimmed, ErrSyntax)})
			default:
				l.Key = strings.TrimSpace(k)
				l.Value = strings.TrimSpace(v)
				// The separator: blanks after the key, "=", blanks before
				// the value.
				keyEnd := len(strings.TrimRight(k, " \t"))
				valStart := len(v) - len(strings.TrimLeft(v, " \t"))
				l.sep = k[keyEnd:] + "=" + v[:valStart]
			}
		}
		l.orig = l.regen()
		f.Lines = append(f.Lines, l)
	}
	return f, errors.Join(errs...)
}

// Format returns the file's text.
func (f *File) Format() []byte {
	return textline.Format(f.Lines, func(l *Line) string { return l.raw },
		func(l *Line) (string, bool) { t := l.regen(); return t, t != l.orig })
}

// WriteTo writes the formatted file.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(f.Format())
	return int64(n), err
}

// Get returns the value the file gives name (its last assignment), and
// whether it has one. Names compare in normalized form, so
// "net/ipv4/ip_forward" finds "net.ipv4.ip_forward".
func (f *File) Get(name string) (string, bool) {
	if l := f.last(name); l != nil {
		return l.Value, true
	}
	return "", false
}

func (f *File) last(name string) *Line {
	n := Normalize(name)
	for i := len(f.Lines) - 1; i >= 0; i-- {
		if l := f.Lines[i]; l.IsAssignment() && Normalize(l.Key) == n {
			return l
		}
	}
	return nil
}

// Set gives name the value: the file's last assignment of name is
// changed in place, or a line "name = value" is appended in the style of
// the file's other assignments. It reports whether the file changed.
func (f *File) Set(name, value string) bool {
	value = strings.TrimSpace(value)
	if l := f.last(name); l != nil {
		if l.Value == value {
			return false
		}
		l.Value = value
		return true
	}
	l := &Line{Key: name, Value: value, sep: " = "}
	for i := len(f.Lines) - 1; i >= 0; i-- {
		if p := f.Lines[i]; p.IsAssignment() {
			l.sep, l.indent = p.sep, p.indent
			break
		}
	}
	f.Lines = append(f.Lines, l)
	return true
}

// Delete removes every assignment of name and reports whether there was
// one.
func (f *File) Delete(name string) bool {
	n := Normalize(name)
	out := f.Lines[:0]
	found := false
	for _, l := range f.Lines {
		if l.IsAssignment() && Normalize(l.Key) == n {
			found = true
			continue
		}
		out = append(out, l)
	}
	f.Lines = out
	return found
}

// Normalize returns a parameter name in the path form used under
// /proc/sys, as systemd-sysctl reads names: when the first separator is a
// dot, dots and slashes swap ("net.ipv4.conf.enp3s0/200.forwarding" is
// "net/ipv4/conf/enp3s0.200/forwarding"); when it is a slash, the name is
// kept. Leading and repeated slashes are removed.
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	i := strings.IndexAny(name, "./")
	if i >= 0 && name[i] == '.' {
		b := []byte(name)
		for j, c := range b {
			switch c {
			case '.':
				b[j] = '/'
			case '/':
				b[j] = '.'
			}
		}
		name = string(b)
	}
	return strings.Trim(path.Clean("/"+name), "/")
}

// Dotted returns a parameter name in the dotted form sysctl prints
// ("net.ipv4.conf.enp3s0/200.forwarding").
func Dotted(name string) string {
	b := []byte(Normalize(name))
	for j, c := range b {
		switch c {
		case '.':
			b[j] = '/'
		case '/':
			b[j] = '.'
		}
	}
	return string(b)
}
