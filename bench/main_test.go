package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/hostadm/hostadm/apt
cpu: AMD EPYC
BenchmarkCompareVersions/hostadm-2         	20000000	        50.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkCompareVersions/vs=pault.ag-debian-version-2         	 2000000	       500.0 ns/op	     120 B/op	       4 allocs/op
BenchmarkCompareVersions/vs=dpkg-2         	    1000	   1000000 ns/op	     100 B/op	       2 allocs/op
BenchmarkParseStatus-2   	     100	  12000000 ns/op	 1000000 B/op	   100 allocs/op
PASS
pkg: github.com/hostadm/hostadm/zfs
BenchmarkList/10000/hostadm-2   1  2000000000 ns/op
`

func TestTable(t *testing.T) {
	var b bytes.Buffer
	print(&b, parse([]byte(sample)))
	out := b.String()
	for _, want := range []string{
		"apt      CompareVersions  50.0 ns",
		"pault.ag-debian-version  500.0 ns",
		"10.0x faster",
		"20000.0x faster",
		"ParseStatus",
		"zfs      List/10000       2.00 s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
