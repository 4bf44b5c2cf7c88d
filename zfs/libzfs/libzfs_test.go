//go:build linux && cgo && libzfs

package libzfs

import (
	"errors"
	"os"
	"testing"

	"github.com/hostadm/hostadm/zfs"
)

// TestNew loads the backend. Where ZFS is missing, loading the package
// must not crash or load a module, and New must say ZFS is unavailable;
// where it is present (the VM tier), New must succeed.
func TestNew(t *testing.T) {
	b, err := New()
	if _, serr := os.Stat("/dev/zfs"); serr == nil {
		if err != nil || b == nil || b.Name() != "libzfs" {
			t.Fatalf("New() = %v, %v with /dev/zfs present", b, err)
		}
		return
	}
	if !errors.Is(err, zfs.ErrNoZFS) || b != nil {
		t.Fatalf("New() = %v, %v; want zfs.ErrNoZFS", b, err)
	}
	if _, err := os.Stat("/sys/module/zfs"); err == nil {
		t.Error("loading the libzfs backend loaded the zfs module")
	}
}

func TestScanFromStats(t *testing.T) {
	sc := scanFromStats([14]uint64{1, 2, 1700000000, 1700000092, 100, 100, 0, 0, 100})
	if sc.Function != "scrub" || sc.State != "finished" || sc.Duration.Seconds() != 92 {
		t.Errorf("scan %+v", sc)
	}
	rows := "scan\t2\t1\t1700000000\t0\t1000\t500\t400\t0\t250\t1700000000\t500\t250\t0\t0\nerrors\t0\n" +
		"0\t\troot\t\ttank\tDEGRADED\t0\t0\t0\t\n" +
		"1\t\tmirror\t\tmirror-0\tDEGRADED\t0\t0\t0\t\n" +
		"2\t\tdisk\t\t/dev/vdb\tONLINE\t0\t0\t0\t\n" +
		"2\t\treplacing\t\treplacing-1\tDEGRADED\t0\t0\t0\t\n" +
		"3\t\tdisk\t\t123\tUNAVAIL\t0\t0\t0\twas /dev/vdc\n" +
		"3\t\tdisk\t\t/dev/vdd\tONLINE\t0\t0\t0\t\tresilvering\n" +
		"1\tspecial\tmirror\t\tmirror-1\tONLINE\t0\t0\t0\t\n" +
		"1\tspares\tdisk\t\t/dev/vde\tAVAIL\t0\t0\t0\t\n"
	st, err := parseStatusRows("tank", []byte(rows))
	if err != nil {
		t.Fatal(err)
	}
	if st.State != zfs.StateDegraded || st.Scan.Function != "resilver" || st.Scan.Percent != 25 {
		t.Errorf("status %+v scan %+v", st, st.Scan)
	}
	if v := st.Find("/dev/vdd"); v == nil || !v.Resilvering() {
		t.Errorf("vdd %+v", v)
	}
	if len(st.Class(zfs.ClassSpecial)) != 1 || len(st.Class(zfs.ClassSpare)) != 1 {
		t.Errorf("classes: %+v", st.Root.Children)
	}
}
