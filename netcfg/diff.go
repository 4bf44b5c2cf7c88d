package netcfg

import (
	"fmt"
	"strings"
)

// UnifiedDiff returns the changes from a to b in unified format with three
// lines of context, as "diff -u --label aName --label bName" prints them;
// "" when they are equal.
func UnifiedDiff(aName, bName string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	x, y := splitKeep(string(a)), splitKeep(string(b))
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	const ctx = 3
	// Group the edit script into hunks.
	type op struct {
		kind byte // ' ', '-', '+'
		ai   int  // index in x (for ' ' and '-')
		bi   int  // index in y (for ' ' and '+')
	}
	var all []op
	ai, bi := 0, 0
	for _, o := range ops {
		for ; ai < o.a; ai, bi = ai+1, bi+1 {
			all = append(all, op{' ', ai, bi})
		}
		for k := 0; k < o.del; k++ {
			all = append(all, op{'-', ai, bi})
			ai++
		}
		for k := 0; k < o.ins; k++ {
			all = append(all, op{'+', ai, bi})
			bi++
		}
	}
	for ; ai < len(x); ai, bi = ai+1, bi+1 {
		all = append(all, op{' ', ai, bi})
	}
	for i := 0; i < len(all); {
		if all[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for end < len(all) {
			if all[end].kind != ' ' {
				end++
				continue
			}
			// A run of context: does another change follow closely?
			j := end
			for j < len(all) && all[j].kind == ' ' {
				j++
			}
			if j < len(all) && j-end <= 2*ctx {
				end = j
				continue
			}
			end = min(end+ctx, len(all))
			break
		}
		var aStart, bStart, aLen, bLen int
		aStart, bStart = all[start].ai, all[start].bi
		for _, o := range all[start:end] {
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, o := range all[start:end] {
			line := ""
			if o.kind == '+' {
				line = y[o.bi]
			} else {
				line = x[o.ai]
			}
			out.WriteByte(o.kind)
			out.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// splitKeep splits text into lines that keep their "\n".
func splitKeep(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// edit is one change: at x[a], delete del lines of x and insert ins lines
// of y.
type edit struct{ a, del, ins int }

// diffLines computes a shortest edit script from x to y with Myers'
// algorithm, after removing the common head and tail. When the
// difference is very large it gives up on minimality and replaces the
// middle as a whole.
func diffLines(x, y []string) []edit {
	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	xs, ys := x[head:len(x)-tail], y[head:len(y)-tail]
	n, m := len(xs), len(ys)
	if n == 0 && m == 0 {
		return nil
	}
	const maxD = 4000
	limit := min(n+m, maxD)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var px int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				px = v[off+k+1]
			} else {
				px = v[off+k-1] + 1
			}
			py := px - k
			for px < n && py < m && xs[px] == ys[py] {
				px++
				py++
			}
			v[off+k] = px
			if px >= n && py >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return []edit{{a: head, del: n, ins: m}}
	}
	// Walk the trace back into single-line steps.
	type step struct {
		a, b int
		del  bool
	}
	var steps []step
	px, py := n, m
	for d := found; d > 0; d-- {
		vd := trace[d]
		k := px - py
		var prevK int
		if k == -d || (k != d && vd[off+k-1] < vd[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vd[off+prevK]
		prevY := prevX - prevK
		for px > prevX && py > prevY {
			px--
			py--
		}
		if prevK == k+1 {
			steps = append(steps, step{a: prevX, b: prevY, del: false})
		} else {
			steps = append(steps, step{a: prevX, b: prevY, del: true})
		}
		px, py = prevX, prevY
	}
	// steps are in reverse; merge them into edits.
	var out []edit
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		a := head + s.a
		if n := len(out); n > 0 && out[n-1].a+out[n-1].del == a && (s.del && out[n-1].ins == 0 || !s.del) {
			if s.del {
				out[n-1].del++
			} else {
				out[n-1].ins++
			}
			continue
		}
		e := edit{a: a}
		if s.del {
			e.del = 1
		} else {
			e.ins = 1
		}
		out = append(out, e)
	}
	return out
}
