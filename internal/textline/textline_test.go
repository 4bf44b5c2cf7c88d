package textline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCut(t *testing.T) {
	tests := []struct {
		in              string
		cr              bool
		line, eol, rest string
	}{
		{"a\nb", false, "a", "\n", "b"},
		{"a\r\nb", true, "a", "\r\n", "b"},
		{"a\rb\n", true, "a", "\r", "b\n"},
		{"a\rb\n", false, "a\rb", "\n", ""},
		{"tail", true, "tail", "", ""},
		{"", false, "", "", ""},
	}
	for _, tt := range tests {
		l, e, r := Cut(tt.in, tt.cr)
		if l != tt.line || e != tt.eol || r != tt.rest {
			t.Errorf("Cut(%q, %v) = %q %q %q", tt.in, tt.cr, l, e, r)
		}
	}
}

type line struct {
	raw, text string
}

func raw(l line) string          { return l.raw }
func text(l line) (string, bool) { return l.text, l.text != "" }

func TestFormat(t *testing.T) {
	lines := []line{{raw: "keep \r\n"}, {raw: "old\r\n", text: "new"}, {raw: "last"}, {text: "added"}}
	if diff := cmp.Diff("keep \r\nnew\r\nlast\r\nadded\r\n", string(Format(lines, raw, text))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := string(Format([]line{{text: "x"}}, raw, text)); got != "x\n" {
		t.Errorf("new file = %q", got)
	}
}

func TestSplitJoin(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []string
		noEOL bool
	}{
		{"empty", "", nil, false},
		{"terminated", "a\n\nb\n", []string{"a", "", "b"}, false},
		{"unterminated", "a\nb", []string{"a", "b"}, true},
		{"lone newline", "\n", []string{""}, false},
		{"carriage returns are text", "a\r\nb\r", []string{"a\r", "b\r"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, noEOL := Split(tt.in)
			if diff := cmp.Diff(tt.lines, lines); diff != "" || noEOL != tt.noEOL {
				t.Fatalf("Split(%q) noEOL %v, want %v; lines mismatch (-want +got):\n%s", tt.in, noEOL, tt.noEOL, diff)
			}
			if got := string(Join(lines, func(s string) string { return s }, noEOL)); got != tt.in {
				t.Errorf("Join(Split(%q)) = %q", tt.in, got)
			}
		})
	}
	if got := string(Join([]int{1, 2}, func(int) string { return "x" }, false)); got != "x\nx\n" {
		t.Errorf("Join with a text function = %q", got)
	}
}

func FuzzSplitJoin(f *testing.F) {
	for _, s := range []string{"", "a\nb\n", "a\nb", "\n\n", "x\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines, noEOL := Split(s)
		if got := string(Join(lines, func(s string) string { return s }, noEOL)); got != s {
			t.Errorf("Join(Split(%q)) = %q", s, got)
		}
	})
}

func TestContinues(t *testing.T) {
	for line, want := range map[string]bool{
		"":        false,
		`\`:       true,
		`a \`:     true,
		`a \\`:    false,
		`a \\\`:   true,
		`a \ `:    false,
		`a\b`:     false,
		"a \\\r":  false,
		`\\\\\\\`: true,
	} {
		if got := Continues(line); got != want {
			t.Errorf("Continues(%q) = %v, want %v", line, got, want)
		}
	}
}
