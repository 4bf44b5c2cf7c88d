package netcfg

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hostadm/hostadm/internal/textline"
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
// from its fields, without terminator, and whether the fields still hold
// what its raw text says.
type regen interface {
	stmtNode() *node
	regen() string
	unchanged() bool
}

// node writes a statement or entry: its raw text when unchanged, else the
// regenerated text with the node's own terminator (the file's for a new
// node).
func (w *writer) node(x any) {
	r := x.(regen)
	n := r.stmtNode()
	w.endContinuation()
	if w.open {
		w.b.WriteString(w.eol)
		w.open = false
	}
	text := n.raw
	if text == "" || !r.unchanged() {
		eol := n.eol()
		if eol == "" {
			eol = w.eol
		}
		text = r.regen() + eol
	}
	w.b.WriteString(text)
	w.open = !strings.HasSuffix(text, "\n") && !strings.HasSuffix(text, "\r")
}

// endContinuation drops the backslashes among the blanks that end the
// text written so far. ifupdown2 would join the next line to them; at the
// end of a file they join nothing and mean nothing.
func (w *writer) endContinuation() {
	buf := w.b.Bytes()
	i, found := len(buf), false
	for i > 0 {
		r, size := utf8.DecodeLastRune(buf[:i])
		if r == '\\' {
			found = true
		} else if !pyIsSpaceOrBreak(r) {
			break
		}
		i -= size
	}
	if found {
		tail := bytes.ReplaceAll(buf[i:], []byte{'\\'}, nil)
		w.b.Truncate(i)
		w.b.Write(tail)
	}
}

// eol returns the terminator of the node's raw text.
func (n *node) eol() string { return textline.EOL(n.raw) }

// indentOf returns the node's indentation.
func (n *node) indentOf() string {
	if n.raw == "" {
		return n.indent
	}
	return n.raw[:len(n.raw)-len(strings.TrimLeft(n.raw, " \t"))]
}

// text returns the logical line of the node's raw text as ifupdown2 reads
// it, trimmed.
func (n *node) text() string {
	raw := n.raw
	if strings.IndexByte(raw, '\\') >= 0 {
		if u := logicalLines([]byte(raw)); len(u) > 0 {
			return u[0].text
		}
		return ""
	}
	return strings.Trim(raw, lineTrim)
}

// words returns the node's raw words, as the parser split them.
func (n *node) words() []string { return pySplit(n.text(), -1) }

func (c *Comment) unchanged() bool { return c.Text == c.text() }
func (b *BadLine) unchanged() bool { return b.Text == b.text() }
func (a *Auto) unchanged() bool {
	w := a.words()
	if len(w) > 1 && w[len(w)-1] == "" {
		w = w[:len(w)-1]
	}
	return len(w) > 0 && w[0] == a.Keyword && slices.Equal(w[1:], a.Names)
}
func (s *Source) unchanged() bool {
	w := s.words()
	return len(w) > 1 && w[0] == s.Keyword() && w[1] == s.Path
}
func (s *Stanza) unchanged() bool {
	w := s.words()
	word := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	var extra []string
	if len(w) > 4 {
		extra = w[4:]
	}
	return word(0) == s.Keyword && word(1) == s.Name && word(2) == s.Family && word(3) == s.Method && slices.Equal(extra, s.Extra)
}
func (o *Option) unchanged() bool {
	k, _, v, _ := cutWord(o.text())
	return o.Key == k && o.Value == v
}

// sep returns the blank after the first word of the node's raw text, " "
// for a node without one.
func (n *node) sep() string {
	if n.raw == "" {
		return " "
	}
	_, sep, _, ok := cutWord(n.text())
	if !ok || sep == "" {
		return " "
	}
	return sep
}

// eol returns the file's dominant line terminator, "\n" if none.
func (f *File) eol() string {
	if f.lf {
		return "\n"
	}
	var lf, crlf, cr int
	count := func(n *node) {
		switch n.eol() {
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

func (c *Comment) regen() string { return c.indentOf() + c.Text }

func (b *BadLine) regen() string { return b.indentOf() + b.Text }

func (a *Auto) regen() string {
	sep := a.sep()
	return a.indentOf() + a.Keyword + sep + strings.Join(a.Names, sep)
}

func (s *Source) regen() string { return s.indentOf() + s.Keyword() + " " + s.Path }

func (s *Stanza) regen() string {
	sep := s.sep()
	words := []string{s.Keyword, s.Name}
	if s.Family != "" || s.Method != "" {
		words = append(words, s.Family)
	}
	if s.Method != "" {
		words = append(words, s.Method)
	}
	words = append(words, s.Extra...)
	return s.indentOf() + strings.Join(words, sep)
}

func (o *Option) regen() string {
	return o.indentOf() + o.Key + o.sep() + o.Value
}
