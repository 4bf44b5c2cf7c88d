package netcfg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// specExamples returns the interfaces examples of the admin guide, kept
// verbatim in testdata/spec.
func specExamples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/spec/*.interfaces")
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec examples: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".interfaces")] = b
	}
	return out
}

func TestSpecExamples(t *testing.T) {
	for name, data := range specExamples(t) {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(name, data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := f.Format(); !bytes.Equal(got, data) {
				t.Errorf("round trip differs:\n%s", got)
			}
			for _, fd := range Check(f) {
				t.Errorf("finding: %v (%s)", fd, fd.Check)
			}
		})
	}
}
