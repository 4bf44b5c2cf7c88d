package ksm

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeSys writes a fake /sys/kernel/mm/ksm under a temporary root.
func writeSys(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, SysDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newClient(t testing.TB, root string) *Client {
	t.Helper()
	c, err := New(&Config{Root: root, PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStatusFixture(t *testing.T) {
	c := newClient(t, "../testdata/pve8")
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != Running {
		t.Errorf("mode = %v, want running", st.Mode)
	}
	if got, want := st.Saved(), int64(st.PagesSharing())*4096; got != want || got == 0 {
		t.Errorf("Saved() = %d, want %d (non-zero)", got, want)
	}
	if p, ok := st.Profit(); !ok || p <= 0 || p >= st.Saved() {
		t.Errorf("Profit() = %d, %v; want positive and below Saved()", p, ok)
	}
	for _, ctr := range st.Counters {
		if ctr.Unit == UnknownUnit {
			t.Errorf("counter %s has no unit", ctr.Name)
		}
	}
	if _, ok := st.Counter("advisor_mode"); ok {
		t.Error("the fixture's 6.8 kernel has no scan advisor")
	}
}

func TestParseStatus(t *testing.T) {
	st, err := parseStatus(map[string]string{
		"run": "1", "pages_sharing": "1000", "pages_shared": "10", "general_profit": "-8192",
		"advisor_mode": "none [scan-time]", "some_future_file": "abc",
	}, 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := &Status{Mode: Running, PageSize: 4096, Counters: []Counter{
		{Name: "advisor_mode", Value: "none [scan-time]", Unit: Choice, Writable: true, Help: attrs["advisor_mode"].help},
		{Name: "general_profit", Value: "-8192", Number: -8192, Unit: Bytes, Bytes: -8192, Help: attrs["general_profit"].help},
		{Name: "pages_shared", Value: "10", Number: 10, Unit: Pages, Bytes: 40960, Help: attrs["pages_shared"].help},
		{Name: "pages_sharing", Value: "1000", Number: 1000, Unit: Pages, Bytes: 4096000, Help: attrs["pages_sharing"].help},
		{Name: "run", Value: "1", Number: 1, Unit: RunMode, Writable: true, Help: attrs["run"].help},
		{Name: "some_future_file", Value: "abc"},
	}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
	if got := Selected("none [scan-time]"); got != "scan-time" {
		t.Errorf("Selected = %q", got)
	}
	if _, err := parseStatus(map[string]string{"run": "x"}, 4096); err == nil {
		t.Error("non-numeric run: no error")
	}
	if _, err := parseStatus(map[string]string{"pages_shared": "1"}, 4096); !errors.Is(err, ErrNotSupported) {
		t.Errorf("missing run: err = %v", err)
	}
}

func TestNoKSM(t *testing.T) {
	c := newClient(t, t.TempDir())
	if _, err := c.Status(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("err = %v, want ErrNotSupported", err)
	}
}

func TestSet(t *testing.T) {
	root := writeSys(t, map[string]string{"run": "0", "pages_to_scan": "100", "sleep_millisecs": "20", "pages_shared": "0"})
	c := newClient(t, root)
	if err := c.SetMode(Running); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPagesToScan(1250); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSleepMillisecs(5); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ctr := range st.Counters {
		got[ctr.Name] = ctr.Value
	}
	want := map[string]string{"run": "1", "pages_to_scan": "1250", "sleep_millisecs": "5", "pages_shared": "0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values mismatch (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, value string }{
		{"pages_shared", "1"},       // read-only
		{"nosuch", "1"},             // unknown
		{"run", "3"},                // out of range
		{"merge_across_nodes", "2"}, // not a boolean
		{"advisor_max_cpu", "101"},  // percent
		{"pages_to_scan", "-1"},
	} {
		if err := c.Set(tc.name, tc.value); !errors.Is(err, ErrNotTunable) {
			t.Errorf("Set(%s, %s) = %v, want ErrNotTunable", tc.name, tc.value, err)
		}
	}
	if err := c.Set("use_zero_pages", "1"); err == nil {
		t.Error("Set on a missing file: no error")
	}
}
