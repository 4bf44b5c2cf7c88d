package vmtest

import (
	"testing"
)

func TestMarkerWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		found  bool
		line   string
	}{
		{"one write", []string{"boot\r\nok marker release=6.1 cmdline=x\r\nmore"}, true, "ok marker release=6.1 cmdline=x"},
		{"split marker", []string{"abc mar", "ker tail", "\n"}, true, "abc marker tail"},
		{"split byte by byte", []string{"m", "a", "r", "k", "e", "r", "\n"}, true, "marker"},
		{"no line end yet", []string{"marker and more"}, false, ""},
		{"absent", []string{"mark", "er"[:1], "\n"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMarkerWriter("marker")
			for _, w := range tt.writes {
				m.Write([]byte(w))
			}
			select {
			case <-m.found:
				if !tt.found {
					t.Fatal("found, want not found")
				}
			default:
				if tt.found {
					t.Fatal("not found")
				}
				return
			}
			if _, line := m.result(); string(line) != tt.line {
				t.Errorf("line %q, want %q", line, tt.line)
			}
		})
	}
	m := newMarkerWriter("marker")
	m.Write([]byte("x marker without newline"))
	if !m.stopped() {
		t.Error("stopped() = false for a marker without its line end")
	}
	if _, line := m.result(); string(line) != "x marker without newline" {
		t.Errorf("line %q", line)
	}
	if newMarkerWriter("marker").stopped() {
		t.Error("stopped() = true without a marker")
	}
}
