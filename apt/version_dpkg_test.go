package apt

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// hostListVersions returns every distinct version in this machine's
// package lists.
func hostListVersions(tb testing.TB) []string {
	tb.Helper()
	files, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*")
	if len(files) == 0 {
		testenv.Skip(tb, "no package lists in /var/lib/apt/lists: run apt-get update")
	}
	seen := map[string]bool{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := Decompress(f, compressionOf(name))
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		pr := newParagraphReader(r)
		for {
			par, _, err := pr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			if v, ok := field(par, "Version"); ok {
				seen[string(v)] = true
			}
		}
		r.Close()
		f.Close()
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// dpkgOracle asks dpkg --compare-versions whether a REL b holds. It
// returns whether dpkg complained about the syntax (a warning or an
// error) and the exit status.
func dpkgOracle(a, rel, b string) (bad bool, code int) {
	cmd := exec.Command("dpkg", "--compare-versions", "--", a, rel, b)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		return true, -1
	}
	return strings.Contains(stderr.String(), "bad syntax"), code
}

// invalidVariants derives strings that dpkg rejects (or warns about) from
// real versions, plus a fixed list of edge cases.
func invalidVariants(rng *rand.Rand, versions []string, n int) []string {
	out := []string{
		"", " ", "a", "~1", ":1", "1:", "a:1", "1a:1", "-1:1", "-0:1", "+1:1", " 1:1 ",
		"1.0-", "-1", "1.0 1", "1_0", "1.0-1_2", "1:1.0-1:2", "1.0-a:b", "2147483647:1",
		"2147483648:1", "99999999999999999999:1", "-99999999999999999999:1", "1!", "1.0-1-",
		"1..0", "1.0~~", "0:", "00:1", "1:1:1", "1.0-+", "1.0-~", "1-1-1", "\t1.0", "1.0\t",
		"1\t1", "1/0", "1,0", "1=0", "1@0", "1%0", "1#0", "1.0-1@",
	}
	bad := "_!@#$%^&*()=[]{};'\",<>/?\\| é"
	for len(out) < n {
		v := versions[rng.IntN(len(versions))]
		switch rng.IntN(6) {
		case 0: // an invalid character somewhere
			i := rng.IntN(len(v) + 1)
			out = append(out, v[:i]+string(bad[rng.IntN(len(bad))])+v[i:])
		case 1: // no leading digit
			out = append(out, "v"+v)
		case 2: // an empty revision
			out = append(out, v+"-")
		case 3: // a bad epoch
			out = append(out, []string{"x", "-3", "", "1.5"}[rng.IntN(4)]+":"+v)
		case 4: // embedded space
			i := rng.IntN(len(v) + 1)
			out = append(out, v[:i]+" "+v[i:])
		case 5: // a colon in the revision
			out = append(out, "1:"+v+"-1:2")
		}
	}
	return out
}

// TestCompareVersionsAgainstDpkg is the differential test: version pairs
// drawn from this machine's package lists (neighbours in sorted order,
// random pairs and pairs with an invalid side) must get dpkg's answer,
// and exactly the strings dpkg complains about must be rejected.
func TestCompareVersionsAgainstDpkg(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "dpkg")
	versions := hostListVersions(t)
	if len(versions) < 100 {
		testenv.Skip(t, "only %d versions in the package lists", len(versions))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	nValid, nInvalid := 5000, 1000
	if testing.Short() {
		nValid, nInvalid = 300, 60
	}
	type pair struct{ a, b string }
	var pairs []pair
	// Neighbours in lexical order differ in small ways: the hard cases.
	for i := 0; len(pairs) < nValid/2 && i+1 < len(versions); i += max(1, len(versions)/(nValid/2)) {
		pairs = append(pairs, pair{versions[i], versions[i+1]})
	}
	for len(pairs) < nValid {
		pairs = append(pairs, pair{versions[rng.IntN(len(versions))], versions[rng.IntN(len(versions))]})
	}
	for _, bad := range invalidVariants(rng, versions, nInvalid) {
		pairs = append(pairs, pair{bad, versions[rng.IntN(len(versions))]})
	}

	rels := map[int]string{-1: "lt", 0: "eq", 1: "gt"}
	type result struct {
		p   pair
		msg string
	}
	work := make(chan pair)
	fails := make(chan result)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				got, err := CompareVersions(p.a, p.b)
				if err != nil {
					// dpkg must complain too (about the same string).
					// Empty strings are dpkg's "no version", which
					// --compare-versions accepts on purpose.
					if p.a == "" {
						continue
					}
					bad, _ := dpkgOracle(p.a, "eq", p.b)
					if !bad {
						fails <- result{p, "hostadm rejects it (" + err.Error() + "), dpkg does not"}
					}
					continue
				}
				// One call checks the whole answer: "a REL b" holds for
				// exactly one of lt, eq, gt.
				bad, code := dpkgOracle(p.a, rels[got], p.b)
				switch {
				case bad:
					fails <- result{p, "dpkg complains about the syntax, hostadm accepts it"}
				case code != 0:
					fails <- result{p, "hostadm says " + rels[got] + ", dpkg disagrees"}
				}
			}
		}()
	}
	go func() {
		for _, p := range pairs {
			work <- p
		}
		close(work)
		wg.Wait()
		close(fails)
	}()
	n := 0
	for f := range fails {
		if n++; n <= 20 {
			t.Errorf("%q vs %q: %s", f.p.a, f.p.b, f.msg)
		}
	}
	t.Logf("%d pairs from %d versions checked against dpkg, %d disagreements", len(pairs), len(versions), n)
}
