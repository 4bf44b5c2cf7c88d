//go:build integration

package netcfg

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/netcfg/ifquerytest"
)

// oracleFiles lists the files "ifquery -o json" is compared on: the
// spec's examples, the examples Debian's ifupdown2 and ifupdown packages
// ship, the fixture host's file and the quirk files of testdata/query.
func oracleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	add := func(pattern string) {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if st, err := os.Stat(f); err != nil || st.IsDir() {
				continue
			}
			switch filepath.Ext(f) {
			case ".sh", ".py", ".pl":
				continue // scripts, not interfaces files
			}
			abs, _ := filepath.Abs(f)
			files = append(files, abs)
		}
	}
	add("testdata/spec/*.interfaces")
	add("testdata/query/*.interfaces")
	add("../testdata/pve8/etc/network/interfaces")
	i2 := ifquerytest.Unpacked(t, "ifupdown2", "ifupdown2")
	add(filepath.Join(i2, "usr/share/doc/ifupdown2/examples/*"))
	add(filepath.Join(i2, "usr/share/doc/ifupdown2/examples/*/*"))
	i1 := ifquerytest.Unpacked(t, "ifupdown", "ifupdown")
	add(filepath.Join(i1, "usr/share/doc/ifupdown/examples/*"))
	return files
}

// TestQueryOracle compares Query and MarshalQuery with ifupdown2's
// "ifquery -a -o json -i FILE" byte for byte, and with "ifquery -o json -i
// FILE NAME..." for every configured name.
func TestQueryOracle(t *testing.T) {
	o := ifquerytest.New(t)
	files := oracleFiles(t)
	if len(files) < 20 {
		t.Fatalf("only %d files to compare", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, filepath.Dir(filepath.Dir(file))+"/"), func(t *testing.T) {
			t.Parallel()
			want, stderr, _ := o.Run("-a", "-o", "json", "-i", file)
			if g := queryGoldenName(file); g != "" {
				// Record ifquery's output for the unit tier.
				golden(t, g, want)
			}
			f, err := LoadFS(os.DirFS("/"), file)
			if f == nil {
				t.Fatal(err)
			}
			q, _ := Query(f)
			if diff := cmp.Diff(string(want), string(MarshalQuery(q))); diff != "" {
				t.Errorf("ifquery -a mismatch (-ifquery +hostadm):\n%s\nifquery stderr:\n%s", diff, stderr)
			}
			// Every interface by name, in reverse order.
			var names []string
			for _, i := range NewNetwork(f).Interfaces {
				names = append(names, i.Name)
			}
			slices.Reverse(names)
			if len(names) == 0 {
				return
			}
			want, stderr, _ = o.Run(append([]string{"-o", "json", "-i", file}, names...)...)
			q, err = Query(f, names...)
			if err != nil {
				t.Fatalf("Query(%v): %v", names, err)
			}
			if diff := cmp.Diff(string(want), string(MarshalQuery(q))); diff != "" {
				t.Errorf("ifquery NAMES mismatch (-ifquery +hostadm):\n%s\nifquery stderr:\n%s", diff, stderr)
			}
		})
	}
}

// TestQueryOracleErrors checks that what ifupdown2 calls an error is an
// error finding here too, on the quirk file.
func TestQueryOracleErrors(t *testing.T) {
	o := ifquerytest.New(t)
	file, _ := filepath.Abs("testdata/query/quirks.interfaces")
	_, stderr, _ := o.Run("-a", "-o", "json", "-i", file)
	f, _ := LoadFS(os.DirFS("/"), file)
	findings := Check(f)
	for _, line := range strings.Split(string(stderr), "\n") {
		if !strings.HasPrefix(line, "error: ") {
			continue
		}
		// ifupdown2 says "FILE: lineN: msg" with N 1-based (except for
		// option lines, which it numbers from 0).
		_, rest, ok := strings.Cut(line, file+": line")
		if !ok {
			t.Errorf("ifupdown2 error without line: %s", line)
			continue
		}
		var n int
		for _, c := range rest {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		if !slices.ContainsFunc(findings, func(fd Finding) bool {
			// inet6 auto is a warning: Proxmox VE's ifupdown2 supports it.
			return (fd.Severity == SeverityError || fd.Check == "method") && (fd.Pos.Line == n || fd.Pos.Line == n+1)
		}) {
			t.Errorf("ifupdown2 reports %q; no error finding at line %d", line, n)
		}
	}
}
