package netcfg

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The ifquery JSON decodes back into the same values.
func TestQueryJSONRoundTrip(t *testing.T) {
	f, _ := Parse("q", []byte(mustReadFile(t, "testdata/query/quirks.interfaces")))
	q, err := Query(f)
	if err != nil {
		t.Fatal(err)
	}
	var back []QueryIface
	b := MarshalQuery(q)
	if err := jsonUnmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(q, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !bytes.Equal(MarshalQuery(back), b) {
		t.Error("re-encoding differs")
	}
}

func mustReadFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// queryGoldenName returns the golden file that records ifquery's output
// for one of the package's own test files, "" for others.
func queryGoldenName(file string) string {
	abs, _ := filepath.Abs(".")
	rel, err := filepath.Rel(abs, file)
	if err != nil || strings.HasPrefix(rel, "../.cache") {
		return ""
	}
	base := strings.TrimSuffix(filepath.Base(rel), ".interfaces")
	switch {
	case strings.HasPrefix(rel, "testdata/spec/"):
		return "ifquery/spec-" + base + ".json"
	case strings.HasPrefix(rel, "testdata/query/"):
		return "ifquery/query-" + base + ".json"
	case rel == "../testdata/pve8/etc/network/interfaces":
		return "ifquery/pve8.json"
	}
	return ""
}

// TestQueryGolden compares Query with the output of ifupdown2's "ifquery
// -a -o json -i FILE" recorded by the integration tier's oracle test.
func TestQueryGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.interfaces")
	files = append(files, "../testdata/pve8/etc/network/interfaces")
	n := 0
	for _, name := range files {
		abs, _ := filepath.Abs(name)
		g := queryGoldenName(abs)
		if g == "" {
			continue
		}
		n++
		t.Run(g, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", g))
			if err != nil {
				t.Fatalf("%v (record it with go test -tags integration -run TestQueryOracle -update)", err)
			}
			f, _ := LoadFS(os.DirFS("/"), abs)
			q, _ := Query(f)
			if diff := cmp.Diff(string(want), string(MarshalQuery(q))); diff != "" {
				t.Errorf("differs from ifquery (-ifquery +hostadm):\n%s", diff)
			}
		})
	}
	if n < 12 {
		t.Errorf("only %d files compared", n)
	}
}
