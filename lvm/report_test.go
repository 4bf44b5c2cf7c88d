package lvm

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// golden compares v, as indented JSON, with testdata/NAME.golden.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestAttrs(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"twi-a-tz--", LVAttr{Raw: "twi-a-tz--", Type: TypeThinPool, Permissions: "writeable", AllocationPolicy: "inherited", State: "active", Target: "thin", ZeroNewBlocks: true}},
		{"-wi-ao----", LVAttr{Raw: "-wi-ao----", Permissions: "writeable", AllocationPolicy: "inherited", State: "active", Open: true}},
		{"Vri---tz-k", LVAttr{Raw: "Vri---tz-k", Type: TypeThinVolume, Permissions: "read-only", AllocationPolicy: "inherited", Target: "thin", ZeroNewBlocks: true, SkipActivation: true}},
		{"twi-aotzD-", LVAttr{Raw: "twi-aotzD-", Type: TypeThinPool, Permissions: "writeable", AllocationPolicy: "inherited", State: "active", Open: true, Target: "thin", ZeroNewBlocks: true, Health: "out-of-data-space"}},
		{"-wC-XX----", LVAttr{Raw: "-wC-XX----", Permissions: "writeable", AllocationPolicy: "contiguous", AllocationLocked: true, State: "unknown", OpenUnknown: true}},
		{"ewi-------", LVAttr{Raw: "ewi-------", Type: TypeMetadata, Permissions: "writeable", AllocationPolicy: "inherited"}},
		{"swi-a-s---", LVAttr{Raw: "swi-a-s---", Type: TypeSnapshot, Permissions: "writeable", AllocationPolicy: "inherited", State: "active", Target: "snapshot"}},
	}
	for _, tt := range tests {
		got, err := ParseLVAttr(tt.in)
		if err != nil {
			t.Errorf("ParseLVAttr(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseLVAttr(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
	vg, err := ParseVGAttr("wz--n-")
	if diff := cmp.Diff(VGAttr{Raw: "wz--n-", Writeable: true, Resizeable: true, AllocationPolicy: "normal"}, vg); err != nil || diff != "" {
		t.Errorf("ParseVGAttr: %v %s", err, diff)
	}
	vg, _ = ParseVGAttr("r-xpcs")
	if vg.Writeable || !vg.Exported || !vg.Partial || vg.AllocationPolicy != "contiguous" || !vg.Shared {
		t.Errorf("ParseVGAttr(r-xpcs) = %+v", vg)
	}
	pv, err := ParsePVAttr("a--")
	if err != nil || !pv.Allocatable || pv.Missing {
		t.Errorf("ParsePVAttr(a--) = %+v, %v", pv, err)
	}
	if pv, _ := ParsePVAttr("u-m"); !pv.Used || !pv.Missing {
		t.Errorf("ParsePVAttr(u-m) = %+v", pv)
	}
	for _, bad := range []struct{ kind, in, msg string }{
		{"lv", "twi-a-tz-", "want 10 characters"},
		{"lv", "qwi-a-tz--", `character 1 (volume type) is 'q'`},
		{"lv", "twi-a-tq--", `character 8 (zero) is 'q'`},
		{"vg", "wz--n", "want 6 characters"},
		{"vg", "wz--q-", `character 5 (allocation policy)`},
		{"pv", "x--", `character 1 (allocation)`},
	} {
		var err error
		switch bad.kind {
		case "lv":
			_, err = ParseLVAttr(bad.in)
		case "vg":
			_, err = ParseVGAttr(bad.in)
		case "pv":
			_, err = ParsePVAttr(bad.in)
		}
		if !errors.Is(err, ErrReport) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%s attr %q: %v, want %q", bad.kind, bad.in, err, bad.msg)
		}
	}
}

func TestRecordedReports(t *testing.T) {
	pvs, err := ParsePVs(readTestdata(t, "pvs-recorded.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pvs-recorded", pvs)
	vgs, err := ParseVGs(readTestdata(t, "vgs-recorded.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vgs-recorded", vgs)
	for _, name := range []string{"lvs-recorded", "lvs-pve"} {
		lvs, err := ParseLVs(readTestdata(t, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, lvs)
	}
	rep, err := ParseFullReport(readTestdata(t, "fullreport-recorded.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fullreport-recorded", rep)
	// The full report agrees with the separate reports.
	if diff := cmp.Diff(vgs[0], rep.VGs[0].VG); diff != "" {
		t.Errorf("fullreport VG differs from vgs (-vgs +fullreport):\n%s", diff)
	}
	if diff := cmp.Diff(pvs, rep.VGs[0].PVs); diff != "" {
		t.Errorf("fullreport PVs differ from pvs (-pvs +fullreport):\n%s", diff)
	}
	lvs, _ := ParseLVs(readTestdata(t, "lvs-recorded.json"))
	if len(lvs) != len(rep.VGs[0].LVs) {
		t.Errorf("fullreport has %d LVs, lvs -a %d", len(rep.VGs[0].LVs), len(lvs))
	}
}

// TestVMReports decodes reports recorded in the test VM from an active
// thin pool with data written to it (see lvm_vm_test.go).
func TestVMReports(t *testing.T) {
	lvs, err := ParseLVs(readTestdata(t, "lvs-vm.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "lvs-vm", lvs)
	var pool *LV
	for i := range lvs {
		if lvs[i].IsThinPool() {
			pool = &lvs[i]
		}
	}
	if pool == nil || !pool.Attr.Active() || !pool.Attr.Open || *pool.DataPercent != 2.91 || *pool.MetadataPercent != 1.48 || pool.MetadataSize != 1140850688 {
		t.Errorf("recorded pool: %+v", pool)
	}
	vgs, err := ParseVGs(readTestdata(t, "vgs-vm.json"))
	if err != nil || len(vgs) != 1 {
		t.Fatalf("vgs: %v", err)
	}
	pvs, err := ParsePVs(readTestdata(t, "pvs-vm.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseFullReport(readTestdata(t, "fullreport-vm.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fullreport-vm", rep)
	for _, rv := range rep.VGs {
		if rv.VG.Name != "vmdata" {
			continue
		}
		if diff := cmp.Diff(vgs[0], rv.VG); diff != "" {
			t.Errorf("fullreport VG differs from vgs (-vgs +fullreport):\n%s", diff)
		}
		if len(rv.LVs) != len(lvs) {
			t.Errorf("fullreport has %d LVs, lvs -a %d", len(rv.LVs), len(lvs))
		}
		for _, p := range pvs {
			if p.VGName == "vmdata" && !slices.ContainsFunc(rv.PVs, func(q PV) bool { return cmp.Equal(p, q) }) {
				t.Errorf("fullreport lacks %+v", p)
			}
		}
	}
}

func TestReportErrors(t *testing.T) {
	row := func(kv ...string) string {
		var b strings.Builder
		for i := 0; i < len(kv); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q:%q", kv[i], kv[i+1])
		}
		return `{"report":[{"lv":[{` + b.String() + `}]}]}`
	}
	base := []string{"lv_name", "root", "vg_name", "pve", "lv_attr", "-wi-ao----", "lv_size", "1879048192", "lv_metadata_size", ""}
	with := func(k, v string) string {
		kv := append([]string(nil), base...)
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == k {
				kv[i+1] = v
				return row(kv...)
			}
		}
		return row(append(kv, k, v)...)
	}
	if _, err := ParseLVs([]byte(row(base...))); err != nil {
		t.Fatalf("valid row: %v", err)
	}
	for _, tt := range []struct{ in, msg string }{
		{"not json", "invalid character"},
		{`{"other":1}`, `no "report" array`},
		{with("lv_size", "1.75g"), `lv pve/root: lv_size: not a byte count "1.75g"`},
		{with("lv_size", "-1"), `lv_size: not a byte count "-1"`},
		{with("data_percent", "101.5"), `data_percent: not a percentage "101.5"`},
		{with("data_percent", "abc"), `not a percentage`},
		{with("lv_attr", "-wi-ao---"), `lv_attr "-wi-ao---": want 10 characters`},
		{with("lv_time", "yesterday"), `lv_time: not a time`},
		{with("lv_name", ""), "lv without lv_name"},
		{row("lv_name", "x", "vg_name", "pve", "lv_attr", "-wi-ao----"), "lv_size: missing"},
	} {
		_, err := ParseLVs([]byte(tt.in))
		if !errors.Is(err, ErrReport) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseLVs(%s): %v, want %q", tt.in, err, tt.msg)
		}
	}
	if _, err := ParseVGs([]byte(`{"report":[{"vg":[{"vg_name":"pve","vg_attr":"wz--n-","vg_size":"10","vg_free":"11","vg_extent_size":"4","vg_extent_count":"1","vg_free_count":"1","pv_count":"1","lv_count":"0","snap_count":"0","vg_missing_pv_count":"0","vg_seqno":"1"}]}]}`)); !errors.Is(err, ErrReport) {
		t.Errorf("vg_free > vg_size: %v", err)
	}
}

// FuzzParseReports feeds arbitrary reports to every parser: none may
// panic, and every decoded attribute string decodes again to the same
// value.
func FuzzParseReports(f *testing.F) {
	for _, name := range []string{"pvs-recorded.json", "vgs-recorded.json", "lvs-recorded.json", "lvs-pve.json", "fullreport-recorded.json", "lvs-vm.json", "fullreport-vm.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParsePVs(data)
		ParseVGs(data)
		if lvs, err := ParseLVs(data); err == nil {
			for _, l := range lvs {
				again, err := ParseLVAttr(l.Attr.Raw)
				if err != nil || again != l.Attr {
					t.Fatalf("lv_attr %q does not decode again: %v", l.Attr.Raw, err)
				}
			}
		}
		if rep, err := ParseFullReport(data); err == nil {
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("report does not round-trip through JSON: %v", err)
			}
		}
	})
}

// BenchmarkParseFullReport parses a full report of one VG with 1,000
// logical volumes, as LVM prints it.
func BenchmarkParseFullReport(b *testing.B) {
	data := bigFullReport(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := ParseFullReport(data)
		if err != nil || len(rep.VGs[0].LVs) != 1000+6 {
			b.Fatal(err)
		}
	}
}

// bigFullReport replicates the recorded report's thin volume n times.
func bigFullReport(tb testing.TB, n int) []byte {
	var rep map[string][]map[string][]map[string]string
	if err := json.Unmarshal(readTestdata(tb, "fullreport-recorded.json"), &rep); err != nil {
		tb.Fatal(err)
	}
	r := rep["report"][0]
	var thin map[string]string
	var keep []map[string]string
	for _, l := range r["lv"] {
		if l["lv_name"] == "vm-100-disk-0" {
			thin = l
			continue
		}
		if strings.HasPrefix(l["lv_name"], "vz") || strings.HasPrefix(l["lv_name"], "snap_") {
			continue
		}
		keep = append(keep, l)
	}
	for i := range n {
		l := map[string]string{}
		for k, v := range thin {
			l[k] = v
		}
		l["lv_name"] = fmt.Sprintf("vm-%d-disk-0", 100+i)
		l["lv_uuid"] = fmt.Sprintf("Vd0qzB-1aaa-bbbb-cccc-dddd-eeee-%06d", i)
		keep = append(keep, l)
	}
	r["lv"] = keep
	out, err := json.Marshal(rep)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzRowScanner checks the direct row scan against encoding/json on
// every valid object: the same wanted columns and values, or a fallback.
func FuzzRowScanner(f *testing.F) {
	f.Add([]byte(`{"lv_name":"data", "vg_name":"pve", "lv_attr":"twi-a-tz--", "lv_size":"4705009664", "other":"x"}`))
	f.Add([]byte(`{"lv_name":"a\"b", "lv_size":"1"}`))
	f.Add([]byte(` { } `))
	f.Add([]byte(`{"lv_name":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var all map[string]string
		if json.Unmarshal(data, &all) != nil {
			return
		}
		var r row
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("row decode failed where a map decodes: %v", err)
		}
		want := row{}
		for k, v := range all {
			if wantedColumns[k] {
				want[k] = v
			}
		}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Fatalf("row mismatch (-json +scan):\n%s\n%q", diff, data)
		}
	})
}
