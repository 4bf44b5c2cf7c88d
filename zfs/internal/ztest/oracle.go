package ztest

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/zfs"
)

// record prints the zpool outputs of the suite's scenarios between
// markers, for the parser's golden inputs (testdata/status/real-*.txt):
//
//	scripts/vmtest -v -run TestCLIBackendVM -testflag -zfs.record ./zfs
var record = flag.Bool("zfs.record", false, "print real zpool status outputs between ##zfs-record markers")

// zpool runs the zpool command, the oracle, and returns its output.
func zpool(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, "zpool", args...)
}

// run runs a command in the C locale and returns its output.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		line := strings.Join(args, " ")
		if len(line) > 200 {
			line = line[:200] + "..."
		}
		t.Fatalf("%s %s: %v\n%s", name, line, err, out)
	}
	return string(out)
}

// recordStatus checks that the parser reads the real zpool status and
// zpool status -v outputs of pool into the state the backend reports,
// and prints them with -zfs.record.
func recordStatus(t *testing.T, c *zfs.Client, name, pool string) *zfs.PoolStatus {
	t.Helper()
	st, err := c.Status(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []bool{false, true} {
		args := []string{"status", pool}
		file := "real-" + name
		if v {
			args = []string{"status", "-v", pool}
			file += "-v"
		}
		out := zpool(t, args...)
		if *record {
			fmt.Printf("##zfs-record %s\n%s##zfs-record-end\n", file, out)
		}
		parsed, err := zfs.ParseStatus("zpool "+strings.Join(args, " "), strings.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v\n%s", file, err, out)
		}
		if len(parsed) != 1 {
			t.Fatalf("%s: %d pools", file, len(parsed))
		}
		want := shape(st)
		if !v { // without -v, zpool counts the damaged files
			want = want[:len(want)-len(st.ErrorFiles)]
			if parsed[0].DataErrors == 0 != (st.DataErrors == 0) {
				t.Errorf("%s: %d data errors, zpool status says %q", name, st.DataErrors, parsed[0].Errors)
			}
		}
		if diff := cmp.Diff(want, shape(parsed[0])); diff != "" {
			t.Errorf("%s: backend %s against zpool %s (-backend +zpool):\n%s", name, c.Backend().Name(), strings.Join(args, " "), diff)
		}
		if got := string(parsed[0].Format()); !v && normalize(got) != normalize(out) {
			t.Errorf("%s: Format differs from zpool's layout:\n%s\nzpool:\n%s", name, got, out)
		}
	}
	return st
}

// shape is what both backends and the text parser must agree on: the
// pool's state, the vdev tree with states and classes, the scan's
// function and state, and the damaged files.
func shape(st *zfs.PoolStatus) []string {
	out := []string{"pool " + st.Name + " " + string(st.State), "see " + st.See}
	if st.Scan != nil {
		out = append(out, "scan "+st.Scan.Function+" "+st.Scan.State)
	}
	st.Root.Walk(func(v *zfs.Vdev, depth int) {
		out = append(out, fmt.Sprintf("%s%s %s %s %s", strings.Repeat("  ", depth), v.Name, v.Type, v.Class, v.State))
	})
	return append(out, st.ErrorFiles...)
}

// normalize drops what a re-formatted status cannot reproduce: the
// column widths, and the counters that -p prints exactly.
func normalize(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.Join(strings.Fields(l), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// setParam sets a zfs module parameter for the rest of the test.
func setParam(t testing.TB, name, value string) {
	t.Helper()
	path := "/sys/module/zfs/parameters/" + name
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(path, bytes.TrimSpace(old), 0o644) })
}

// vdevLabelStart is the space of the two front labels and the boot block
// before a vdev's allocatable space.
const vdevLabelStart = 4 << 20

var dvaRE = regexp.MustCompile(`\bL0 ((?:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+ ?)+)`)

// corruptFile overwrites every data block of a file on the leaf devices
// of its pool's top-level vdev 0 (leaves), found with zdb.
func corruptFile(t testing.TB, dataset, file string, leaves ...string) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	obj := strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10)
	zpool(t, "sync")
	out, err := exec.Command("zdb", "-ddddd", dataset, obj).CombinedOutput()
	if err != nil {
		t.Fatalf("zdb: %v\n%s", err, out)
	}
	n := 0
	for _, m := range dvaRE.FindAllStringSubmatch(string(out), -1) {
		for _, dva := range strings.Fields(m[1]) {
			f := strings.Split(dva, ":")
			off, _ := strconv.ParseInt(f[1], 16, 64)
			size, _ := strconv.ParseInt(f[2], 16, 64)
			junk := make([]byte, size)
			rand.Read(junk)
			for _, leaf := range leaves {
				w, err := os.OpenFile(leaf, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.WriteAt(junk, vdevLabelStart+off); err != nil {
					t.Fatal(err)
				}
				w.Sync()
				w.Close()
			}
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no data blocks of %s in zdb's output:\n%s", file, out)
	}
}
