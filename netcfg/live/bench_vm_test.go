//go:build vmtest

package live

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// The VM tier's benchmarks: the large file with 500 bridges, 100 bonds
// and 500 VLANs applied into a namespace that holds only the host's NICs,
// and re-applied unchanged. The anchor is ifupdown2's ifreload -a, from
// the Debian packages python3 and ifupdown2 that testdata/vm.json adds to
// the guest (unpacked under /usr/share/ifupdown2, never installed on a
// host), run by testdata/ifreload.py on the same file with its state and
// run directories in a scratch directory.
//
// Each bond has a NIC as its slave (nic0 to nic99, dummies made before the
// clock starts): Debian's ifupdown2 takes "bond-slaves none" for a slave
// named "none" and fails, so the file lists real slaves for both.

// vmIfreload finds ifupdown2 in the guest. A missing anchor skips with
// b.Skip, as the bench tool expects ("missing"), even under CI=true.
// The first call runs ifreload once on a small file, so that Python has
// compiled its modules (as dpkg does when it installs them) before any
// run is timed.
func vmIfreload(b *testing.B) string {
	b.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("the guest has no python3 for ifupdown2")
	}
	root := ""
	for _, r := range []string{"/", os.Getenv("IFUPDOWN2_ROOT")} {
		if r != "" {
			if _, err := os.Stat(filepath.Join(r, "usr/share/ifupdown2/__main__.py")); err == nil {
				root = r
				break
			}
		}
	}
	if root == "" {
		b.Skip("the guest has no ifupdown2")
	}
	warmOnce.Do(func() {
		dir := b.TempDir()
		file := filepath.Join(dir, "interfaces")
		text := "auto lo\niface lo inet loopback\n\nauto nic0\niface nic0 inet manual\n\nauto bond0\niface bond0 inet manual\n\tbond-slaves nic1\n\tbond-mode 802.3ad\n\n" +
			"auto bond0.10\niface bond0.10 inet manual\n\nauto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.1/24\n\tbridge-ports nic0\n\tbridge-stp off\n\tbridge-fd 0\n"
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		ns := testenv.NewNetNS(b)
		addNICs(b, ns.Name, 2)
		runIfreload(b, root, ns.Name, file, filepath.Join(dir, "state"))
	})
	return root
}

var warmOnce sync.Once

func runIfreload(b *testing.B, root, ns, file, state string) {
	script, _ := filepath.Abs("testdata/ifreload.py")
	cmd := exec.Command("ip", "netns", "exec", ns, "python3", script, "ifreload", "-a")
	cmd.Env = append(os.Environ(), "IFUPDOWN2_ROOT="+root, "IFUPDOWN2_STATE="+state, "IFUPDOWN2_INTERFACES="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ifreload -a: %v\n%s", err, out)
	}
}

// addNICs makes the dummies nic0 to nic(n-1) in namespace ns.
func addNICs(b *testing.B, ns string, n int) {
	b.Helper()
	var batch strings.Builder
	for i := range n {
		fmt.Fprintf(&batch, "link add nic%d type dummy\n", i)
	}
	cmd := exec.Command("ip", "-n", ns, "-batch", "-")
	cmd.Stdin = strings.NewReader(batch.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ip -batch: %v\n%s", err, out)
	}
}

const largeBonds = 100

// largeFile writes the benchmark's file: bigFile with nicN as the slave
// of bondN.
func largeFile(b *testing.B) (string, []byte) {
	b.Helper()
	text := bigFileSlaves(500, largeBonds, 500, func(i int) string { return fmt.Sprintf("nic%d", i) })
	file := filepath.Join(b.TempDir(), "interfaces")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return file, []byte(text)
}

// largeNS is a fresh namespace with the file's NICs.
func largeNS(b *testing.B) *testenv.NetNS {
	b.Helper()
	ns := testenv.NewNetNS(b)
	addNICs(b, ns.Name, largeBonds)
	return ns
}

func BenchmarkApplyLarge(b *testing.B) {
	testenv.RequireVM(b)
	file, text := largeFile(b)
	n := parseFile(b, file, text)
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ns := largeNS(b)
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
			ns := largeNS(b)
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
		ns := largeNS(b)
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
		ns := largeNS(b)
		state := b.TempDir()
		runIfreload(b, root, ns.Name, file, state)
		for b.Loop() {
			runIfreload(b, root, ns.Name, file, state)
		}
	})
}
