package textline_test

import (
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/internal/textline"
)

// A file without a final newline keeps it missing after an edit.
func ExampleJoin() {
	lines, noEOL := textline.Split("# chrony.conf\nserver a.example iburst")
	for i, l := range lines {
		lines[i] = strings.Replace(l, "a.example", "b.example", 1)
	}
	fmt.Printf("%q\n", textline.Join(lines, func(s string) string { return s }, noEOL))
	// Output:
	// "# chrony.conf\nserver b.example iburst"
}

type line struct {
	raw  string // as read, terminator included
	text string // edited text, "" if untouched
}

// Untouched lines keep their bytes, CRLF included; an edited line keeps
// its own terminator.
func ExampleFormat() {
	var lines []line
	for rest := "a = 1\r\nb = 2\r\n"; rest != ""; {
		l, eol, r := textline.Cut(rest, false)
		lines = append(lines, line{raw: l + eol})
		rest = r
	}
	lines[1].text = "b = 3"
	lines = append(lines, line{text: "c = 4"})
	out := textline.Format(lines,
		func(l line) string { return l.raw },
		func(l line) (string, bool) { return l.text, l.text != "" })
	fmt.Printf("%q\n", out)
	// Output:
	// "a = 1\r\nb = 3\r\nc = 4\r\n"
}
