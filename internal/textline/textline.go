// Package textline holds the line handling that the module's lossless,
// line-based file formats share: cutting text into lines that keep their
// terminators and writing them back so that untouched ones keep their
// exact bytes ([Cut], [Format]), and, for formats whose lines end in "\n"
// only, splitting and joining lines with a note of a missing final
// newline ([Split], [Join]); and the backslash continuation rule that
// systemd's and modprobe's configuration files share ([Continues]).
package textline

import "strings"

// Cut returns the first line of text without its terminator, the
// terminator ("\n", "\r\n", a lone "\r" when cr is true, or "" at the end
// of the text), and the rest.
func Cut(text string, cr bool) (line, eol, rest string) {
	var end int
	if cr {
		end = strings.IndexAny(text, "\r\n")
	} else {
		end = strings.IndexByte(text, '\n')
	}
	if end < 0 {
		return text, "", ""
	}
	n := end + 1
	if text[end] == '\r' && n < len(text) && text[n] == '\n' {
		n++
	}
	return text[:end], text[end:n], text[n:]
}

// Split cuts text into lines at "\n", without the terminators, for the
// formats whose lines end in "\n" only; noEOL reports that the last line
// has no terminator. Empty text has no lines. [Join] is the inverse.
func Split(text string) (lines []string, noEOL bool) {
	if text == "" {
		return nil, false
	}
	if strings.HasSuffix(text, "\n") {
		text = text[:len(text)-1]
	} else {
		noEOL = true
	}
	return strings.Split(text, "\n"), noEOL
}

// Join writes each line's text (text returns it, without terminator)
// followed by "\n", but none after the last line when noEOL is set.
func Join[L any](lines []L, text func(L) string, noEOL bool) []byte {
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(text(l))
		if i < len(lines)-1 || !noEOL {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// EOL returns the terminator at the end of raw, "" if none.
func EOL(raw string) string {
	switch {
	case strings.HasSuffix(raw, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(raw, "\n"):
		return "\n"
	case strings.HasSuffix(raw, "\r"):
		return "\r"
	}
	return ""
}

// Format writes lines: an unchanged line as its raw bytes, a changed one
// as its new text with its own terminator, a new one with the file's
// terminator (the first one read, "\n" if none). A last line without
// terminator gets one when lines follow it. raw returns a line's text as
// read, terminator included ("" for a line added by an edit); text returns
// its text from its fields, without terminator, and whether that differs
// from what raw says.
func Format[L any](lines []L, raw func(L) string, text func(L) (string, bool)) []byte {
	eol := "\n"
	for _, l := range lines {
		if e := EOL(raw(l)); e != "" {
			eol = e
			break
		}
	}
	var b strings.Builder
	open := false
	for _, l := range lines {
		if open {
			b.WriteString(eol)
		}
		out := raw(l)
		if t, changed := text(l); out == "" || changed {
			e := EOL(out)
			if e == "" {
				e = eol
			}
			out = t + e
		}
		b.WriteString(out)
		open = EOL(out) == ""
	}
	return []byte(b.String())
}

// Continues reports whether line (without its terminator) continues onto
// the next one: it ends with a backslash that is not itself escaped by
// one before it, as systemd's configuration parser and modprobe read
// lines. Blanks after the backslash end the continuation.
func Continues(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}
