package netcfg

import (
	"bytes"
	"encoding/json"
	"os"
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
