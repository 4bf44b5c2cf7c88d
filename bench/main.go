// Command bench runs the project's side-by-side benchmarks and prints each
// hostadm operation next to the tool or library a user would otherwise
// use, with the ratio, from one run.
//
// Convention: a benchmark that has an anchor runs sub-benchmarks named
// "hostadm" and "vs=NAME" (one or more anchors):
//
//	func BenchmarkCompareVersions(b *testing.B) {
//		b.Run("hostadm", func(b *testing.B) { ... })
//		b.Run("vs=pault.ag-debian-version", func(b *testing.B) { ... })
//		b.Run("vs=dpkg--compare-versions", func(b *testing.B) { ... })
//	}
//
// Both sides must do the same work per iteration. An anchor whose tool is
// missing calls b.Skip and shows as "missing". Benchmarks without anchors
// are listed with their own figures.
//
// Usage:
//
//	go run ./bench [-bench REGEXP] [-benchtime 1s] [-tags TAGS] [PACKAGES]
//	go run ./bench -in FILE   # tabulate `go test -bench` output made elsewhere (the VM)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	benchRE := flag.String("bench", ".", "run benchmarks matching `REGEXP`")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime `VALUE`")
	tags := flag.String("tags", "", "build `TAGS` for go test")
	in := flag.String("in", "", "read benchmark output from `FILE` instead of running go test (- for stdin)")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	var out []byte
	var err error
	switch *in {
	case "":
		args := []string{"test", "-run", "^$", "-bench", *benchRE, "-benchmem", "-benchtime", *benchtime}
		if *tags != "" {
			args = append(args, "-tags", *tags)
		}
		args = append(args, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Stderr = os.Stderr
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(&buf, progress{})
		err = cmd.Run()
		out = buf.Bytes()
	case "-":
		out, err = io.ReadAll(os.Stdin)
	default:
		out, err = os.ReadFile(*in)
	}
	rows := parse(out)
	print(os.Stdout, rows)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// progress echoes package result lines so a long run shows life.
type progress struct{}

func (progress) Write(p []byte) (int, error) {
	for line := range strings.Lines(string(p)) {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			os.Stderr.WriteString(line)
		}
	}
	return len(p), nil
}

// result is one benchmark line.
type result struct {
	pkg, name   string
	nsPerOp     float64
	bytesPerOp  float64
	allocsPerOp float64
	extra       map[string]float64
}

// benchLine matches "BenchmarkX/sub-8   1000   123 ns/op   45 B/op   1 allocs/op".
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(out []byte) []result {
	var res []result
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/hostadm/hostadm/")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r := result{pkg: pkg, name: strings.TrimPrefix(m[1], "Benchmark"), extra: map[string]float64{}}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				r.nsPerOp = v
			case "B/op":
				r.bytesPerOp = v
			case "allocs/op":
				r.allocsPerOp = v
			default:
				r.extra[f[i+1]] = v
			}
		}
		res = append(res, r)
	}
	return res
}

type row struct {
	pkg, name string
	ours      *result
	anchors   []*result
}

func group(rs []result) []row {
	var rows []row
	index := map[string]int{}
	for i := range rs {
		r := &rs[i]
		parent, sub, hasSub := cutLast(r.name)
		key := r.pkg + " " + parent
		if !hasSub || (sub != "hostadm" && !strings.HasPrefix(sub, "vs=")) {
			rows = append(rows, row{pkg: r.pkg, name: r.name, ours: r})
			continue
		}
		j, ok := index[key]
		if !ok {
			j = len(rows)
			index[key] = j
			rows = append(rows, row{pkg: r.pkg, name: parent})
		}
		if sub == "hostadm" {
			rows[j].ours = r
		} else {
			rows[j].anchors = append(rows[j].anchors, r)
		}
	}
	return rows
}

// cutLast splits "A/B/hostadm" into "A/B" and "hostadm".
func cutLast(name string) (string, string, bool) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return name, "", false
	}
	return name[:i], name[i+1:], true
}

func print(w io.Writer, rs []result) {
	rows := group(rs)
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.pkg, b.pkg) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "package\tbenchmark\thostadm\tmem\tanchor\tanchor time\tanchor mem\tratio\n")
	for _, r := range rows {
		ours := "missing"
		mem := ""
		if r.ours != nil {
			ours = fmtNs(r.ours.nsPerOp)
			mem = fmtBytes(r.ours.bytesPerOp)
		}
		if len(r.anchors) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t\t\t\n", r.pkg, r.name, ours, mem)
			continue
		}
		for i, a := range r.anchors {
			name, pkg := r.name, r.pkg
			if i > 0 {
				name, pkg, ours, mem = "", "", "", ""
			}
			ratio := "-"
			if r.ours != nil && r.ours.nsPerOp > 0 && a.nsPerOp > 0 {
				x := a.nsPerOp / r.ours.nsPerOp
				if x >= 1 {
					ratio = fmt.Sprintf("%.1fx faster", x)
				} else {
					ratio = fmt.Sprintf("%.1fx slower", 1/x)
				}
			}
			_, sub, _ := cutLast(a.name)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pkg, name, ours, mem,
				strings.TrimPrefix(sub, "vs="), fmtNs(a.nsPerOp), fmtBytes(a.bytesPerOp), ratio)
		}
	}
	tw.Flush()
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.1f ns", ns)
	}
}

func fmtBytes(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	default:
		return fmt.Sprintf("%.0f B", b)
	}
}
