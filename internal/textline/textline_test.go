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
