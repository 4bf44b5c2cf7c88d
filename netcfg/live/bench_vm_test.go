//go:build vmtest

package live

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// The VM tier's benchmarks: the large file with 500 bridges, 100 bonds
// and 500 VLANs applied into an empty namespace, and re-applied
// unchanged. The anchor is ifupdown2's ifreload -a, run when the guest
// has python3 and ifupdown2 unpacked under /usr/share/ifupdown2.

// vmIfreload finds ifupdown2 in the guest. A missing anchor skips with
// b.Skip, as the bench tool expects ("missing"), even under CI=true: the
// guest image has no python3 for it.
func vmIfreload(b *testing.B) string {
	b.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("the guest has no python3 for ifupdown2")
	}
	for _, root := range []string{"/", os.Getenv("IFUPDOWN2_ROOT")} {
		if root != "" {
			if _, err := os.Stat(filepath.Join(root, "usr/share/ifupdown2/__main__.py")); err == nil {
				return root
			}
		}
	}
	b.Skip("the guest has no ifupdown2")
	return ""
}

func runIfreload(b *testing.B, root, ns, file, state string) {
	script, _ := filepath.Abs("testdata/ifreload.py")
	cmd := exec.Command("ip", "netns", "exec", ns, "python3", script, "ifreload", "-a")
	cmd.Env = append(os.Environ(), "IFUPDOWN2_ROOT="+root, "IFUPDOWN2_STATE="+state, "IFUPDOWN2_INTERFACES="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ifreload -a: %v\n%s", err, out)
	}
}

func largeFile(b *testing.B) (string, []byte) {
	b.Helper()
	text := []byte(bigFile(500, 100, 500))
	file := filepath.Join(b.TempDir(), "interfaces")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		b.Fatal(err)
	}
	return file, text
}

func BenchmarkApplyLarge(b *testing.B) {
	testenv.RequireVM(b)
	file, text := largeFile(b)
	n := parseFile(b, file, text)
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ns := testenv.NewNetNS(b)
			c, err := New(&Config{NetNSFD: ns.FD()})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := c.Apply(context.Background(), n, nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
	})
	b.Run("vs=ifreload", func(b *testing.B) {
		root := vmIfreload(b)
		for b.Loop() {
			b.StopTimer()
			ns := testenv.NewNetNS(b)
			state := b.TempDir()
			b.StartTimer()
			runIfreload(b, root, ns.Name, file, state)
		}
	})
}

func BenchmarkReapplyLarge(b *testing.B) {
	testenv.RequireVM(b)
	file, text := largeFile(b)
	n := parseFile(b, file, text)
	b.Run("hostadm", func(b *testing.B) {
		ns := testenv.NewNetNS(b)
		c, err := New(&Config{NetNSFD: ns.FD()})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Apply(context.Background(), n, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := c.Apply(context.Background(), n, nil)
			if err != nil || !res.NoOp() {
				b.Fatalf("%v\n%s", err, res.Plan)
			}
		}
	})
	b.Run("vs=ifreload", func(b *testing.B) {
		root := vmIfreload(b)
		ns := testenv.NewNetNS(b)
		state := b.TempDir()
		runIfreload(b, root, ns.Name, file, state)
		for b.Loop() {
			runIfreload(b, root, ns.Name, file, state)
		}
	})
}
