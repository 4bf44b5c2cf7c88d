package job

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		line string
	}{
		{"stage", Record{Kind: RecStage, Name: "kernel", Elapsed: 2100 * time.Millisecond}, "##vmtest: stage kernel 2.100"},
		{"env", Record{Kind: RecEnv, Name: "HOSTADM_VM_DISKS=/dev/vda,/dev/vdb"}, "##vmtest: env HOSTADM_VM_DISKS=/dev/vda,/dev/vdb"},
		{"start", Record{Kind: RecStart, Name: "github.com/hostadm/hostadm/lvm"}, "##vmtest: start github.com/hostadm/hostadm/lvm"},
		{"exit", Record{Kind: RecExit, Name: "github.com/hostadm/hostadm/lvm", Code: 1, Elapsed: 12500 * time.Millisecond}, "##vmtest: exit github.com/hostadm/hostadm/lvm 1 12.500"},
		{"killed", Record{Kind: RecExit, Name: "p", Code: -1, Elapsed: time.Second}, "##vmtest: exit p -1 1.000"},
		{"error", Record{Kind: RecError, Message: "devices missing"}, "##vmtest: error devices missing"},
		{"done", Record{Kind: RecDone}, "##vmtest: done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.Format(); got != tt.line {
				t.Errorf("Format() = %q, want %q", got, tt.line)
			}
			got, ok, err := ParseRecord(tt.line + "\r\n")
			if !ok || err != nil {
				t.Fatalf("ParseRecord: ok %v, err %v", ok, err)
			}
			if diff := cmp.Diff(tt.rec, got); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRecordErrors(t *testing.T) {
	for _, line := range []string{
		"##vmtest: stage kernel",
		"##vmtest: stage kernel x",
		"##vmtest: exit p one 1.0",
		"##vmtest: exit p 0",
		"##vmtest: start",
		"##vmtest: done now",
		"##vmtest: reboot",
	} {
		if _, ok, err := ParseRecord(line); !ok || err == nil {
			t.Errorf("ParseRecord(%q): ok %v, err %v; want a record error", line, ok, err)
		}
	}
	if _, ok, err := ParseRecord("=== RUN   TestX"); ok || err != nil {
		t.Errorf("test output parsed as a record: ok %v err %v", ok, err)
	}
}

func TestWriterScan(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Record(Record{Kind: RecStart, Name: "p"})
	w.Write([]byte("--- FAIL: TestX\nno newline at the end"))
	w.Record(Record{Kind: RecExit, Name: "p", Code: 1, Elapsed: time.Second})
	w.Record(Record{Kind: RecDone})
	var out []string
	var recs []string
	err := Scan(strings.NewReader(buf.String()+"##vmtest: bogus\n"), func(l string) { out = append(out, l) }, func(r Record) { recs = append(recs, r.Kind) })
	if err == nil {
		t.Error("Scan: no error for a malformed record")
	}
	if diff := cmp.Diff([]string{"--- FAIL: TestX\n", "no newline at the end\n", "##vmtest: bogus\n"}, out); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{RecStart, RecExit, RecDone}, recs); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add("##vmtest: exit p 0 1.500")
	f.Add("##vmtest: stage kernel 2.000")
	f.Add("##vmtest: error x")
	f.Fuzz(func(t *testing.T, line string) {
		r, ok, err := ParseRecord(line)
		if !ok || err != nil || strings.ContainsAny(line, "\n") {
			return
		}
		again, ok, err := ParseRecord(r.Format())
		if !ok || err != nil {
			t.Fatalf("%q formats as %q, which does not parse: %v", line, r.Format(), err)
		}
		if again.Format() != r.Format() {
			t.Fatalf("format not stable: %q then %q", r.Format(), again.Format())
		}
	})
}
