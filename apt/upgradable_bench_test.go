package apt

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

func hostListsSize(tb testing.TB) (compressed, uncompressed int64) {
	tb.Helper()
	files, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*")
	if len(files) == 0 {
		testenv.Skip(tb, "no package lists in /var/lib/apt/lists: run apt-get update")
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		fi, _ := f.Stat()
		compressed += fi.Size()
		r, err := Decompress(f, compressionOf(name))
		if err != nil {
			tb.Fatal(err)
		}
		buf := make([]byte, 1<<20)
		for {
			n, err := r.Read(buf)
			uncompressed += int64(n)
			if err != nil {
				break
			}
		}
		r.Close()
		f.Close()
	}
	return compressed, uncompressed
}

// BenchmarkUpgradable computes the upgradable set of this machine from its
// dpkg status and every package list, against "apt list --upgradable",
// with the files in the page cache (warm) and evicted before each run
// (cold). It reports the peak heap of a run next to the lists'
// uncompressed size.
func BenchmarkUpgradable(b *testing.B) {
	_, raw := hostListsSize(b)
	for _, cold := range []bool{false, true} {
		name := "warm"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			b.Run("hostadm", func(b *testing.B) {
				c, err := New(nil)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					if cold {
						b.StopTimer()
						evictLists(b)
						b.StartTimer()
					}
					runtime.GC()
					stop := sampleHeap(&peak)
					if _, err := c.Upgradable(); err != nil {
						b.Fatal(err)
					}
					stop()
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(raw)/(1<<20), "lists-MiB")
			})
			b.Run("vs=apt-list--upgradable", func(b *testing.B) {
				if _, err := exec.LookPath("apt"); err != nil {
					testenv.Skip(b, "apt not installed")
				}
				for b.Loop() {
					if cold {
						b.StopTimer()
						evictLists(b)
						b.StartTimer()
					}
					cmd := exec.Command("apt", "list", "--upgradable")
					cmd.Env = append(os.Environ(), "LC_ALL=C")
					if err := cmd.Run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
