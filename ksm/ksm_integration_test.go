//go:build integration

package ksm

import (
	"os"
	"strconv"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestToggleRunHost toggles the running kernel's KSM scanner and its scan
// rate, and restores the previous values afterwards.
func TestToggleRunHost(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, SysDir+"/run")
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	before, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if before.PageSize != os.Getpagesize() {
		t.Errorf("page size %d", before.PageSize)
	}
	scan, _ := before.Counter("pages_to_scan")
	t.Cleanup(func() {
		if err := c.Set("pages_to_scan", scan.Value); err != nil {
			t.Errorf("restore pages_to_scan: %v", err)
		}
		if err := c.SetMode(before.Mode); err != nil {
			t.Errorf("restore run: %v", err)
		}
		after, err := c.Status()
		if err != nil {
			t.Fatal(err)
		}
		if after.Mode != before.Mode {
			t.Errorf("run = %v after restore, want %v", after.Mode, before.Mode)
		}
	})

	for _, m := range []Mode{Running, Stopped, Running, Unmerge} {
		if err := c.SetMode(m); err != nil {
			t.Fatalf("SetMode(%v): %v", m, err)
		}
		st, err := c.Status()
		if err != nil {
			t.Fatal(err)
		}
		// The kernel reports 2 (unmerge) as 2 until the next write.
		if st.Mode != m {
			t.Errorf("after SetMode(%v) the kernel reports %v", m, st.Mode)
		}
	}
	want := scan.Number + 7
	if err := c.SetPagesToScan(uint64(want)); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Counter("pages_to_scan"); got.Value != strconv.FormatInt(want, 10) {
		t.Errorf("pages_to_scan = %s, want %d", got.Value, want)
	}
	// The kernel validates too: max_page_sharing below 2 is refused.
	if err := c.Set("max_page_sharing", "1"); err == nil {
		t.Error("max_page_sharing=1 accepted")
		c.Set("max_page_sharing", "256")
	}
}
