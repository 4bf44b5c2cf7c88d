package netcfg

import (
	"bytes"
	"io"
	"strings"
)

// Format returns the file's text. Statements and options that were not
// changed keep their exact bytes; changed ones are written on one line in
// the style of the original (indentation, the blank after the key, the
// line ending), new ones in the file's style.
func (f *File) Format() []byte {
	var b bytes.Buffer
	w := &writer{b: &b, eol: f.eol()}
	for _, st := range f.Stmts {
		w.node(st)
		if s, ok := st.(*Stanza); ok {
			for _, e := range s.Body {
				w.node(e)
			}
		}
	}
	return b.Bytes()
}

// WriteTo writes the formatted file to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(f.Format())
	return int64(n), err
}

type writer struct {
	b   *bytes.Buffer
	eol string
	// open is true when the last line written has no terminator.
	open bool
}

// regen is implemented by every statement and entry: the text of its line
// from its fields, without terminator.
type regen interface {
	stmtNode() *node
	regen() string
}

// node writes a statement or entry: its raw text when unchanged, else the
// regenerated text with the node's own terminator (the file's for a new
// node).
func (w *writer) node(x any) {
	r := x.(regen)
	n := r.stmtNode()
	if w.open {
		w.b.WriteString(w.eol)
		w.open = false
	}
	text := n.raw
	if text == "" || r.regen() != n.orig {
		eol := n.eol
		if n.raw == "" || eol == "" {
			eol = w.eol
		}
		text = r.regen() + eol
	}
	w.b.WriteString(text)
	w.open = !strings.HasSuffix(text, "\n") && !strings.HasSuffix(text, "\r")
}

// seal records the node's formatted fields as parsed.
func seal(r regen) { r.stmtNode().orig = r.regen() }

// eol returns the file's dominant line terminator, "\n" if none.
func (f *File) eol() string {
	var lf, crlf, cr int
	count := func(n *node) {
		switch n.eol {
		case "\n":
			lf++
		case "\r\n":
			crlf++
		case "\r":
			cr++
		}
	}
	for _, st := range f.Stmts {
		count(st.stmtNode())
		if s, ok := st.(*Stanza); ok {
			for _, e := range s.Body {
				count(e.stmtNode())
			}
		}
	}
	switch {
	case crlf > lf && crlf >= cr:
		return "\r\n"
	case cr > lf && cr > crlf:
		return "\r"
	}
	return "\n"
}

func orSpace(s string) string {
	if s == "" {
		return " "
	}
	return s
}

func (c *Comment) regen() string { return c.indent + c.Text }

func (b *BadLine) regen() string { return b.indent + b.Text }

func (a *Auto) regen() string {
	sep := orSpace(a.sep)
	return a.indent + a.Keyword + sep + strings.Join(a.Names, sep)
}

func (s *Source) regen() string { return s.indent + s.Keyword() + " " + s.Path }

func (s *Stanza) regen() string {
	sep := orSpace(s.sep)
	words := []string{s.Keyword, s.Name}
	if s.Family != "" || s.Method != "" {
		words = append(words, s.Family)
	}
	if s.Method != "" {
		words = append(words, s.Method)
	}
	words = append(words, s.Extra...)
	return s.indent + strings.Join(words, sep)
}

func (o *Option) regen() string {
	return o.indent + o.Key + orSpace(o.sep) + o.Value
}
