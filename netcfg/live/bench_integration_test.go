//go:build integration

package live

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/netcfg/ifquerytest"
)

// ifreload runs ifupdown2's "ifreload -a" from the unpacked Debian
// package inside a namespace, on file, keeping its state in stateDir.
type ifreload struct {
	root, script string
}

func newIfreload(b *testing.B) *ifreload {
	b.Helper()
	testenv.RequireTool(b, "python3", "ip")
	root := ifquerytest.Unpacked(b, "ifupdown2", "ifupdown2")
	script, err := filepath.Abs("testdata/ifreload.py")
	if err != nil {
		b.Fatal(err)
	}
	return &ifreload{root: root, script: script}
}

func (r *ifreload) run(b *testing.B, ns, file, stateDir string) {
	cmd := exec.Command("ip", "netns", "exec", ns, "python3", r.script, "ifreload", "-a")
	cmd.Env = append(os.Environ(), "IFUPDOWN2_ROOT="+r.root, "IFUPDOWN2_STATE="+stateDir, "IFUPDOWN2_INTERFACES="+file, "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ifreload -a: %v\n%s", err, out)
	}
}

func writeBig(b *testing.B, bridges, bonds, vlans int) (string, *netcfg.Network) {
	b.Helper()
	text := bigFile(bridges, bonds, vlans)
	file := filepath.Join(b.TempDir(), "interfaces")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return file, parseFile(b, file, []byte(text))
}

func benchClient(b *testing.B) (*Client, *testenv.NetNS) {
	b.Helper()
	ns := testenv.NewNetNS(b)
	c, err := New(&Config{NetNSFD: ns.FD()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, ns
}

// BenchmarkApply500Bridges applies 500 bridges with an address each into
// an empty namespace (this kernel has no bonding or 8021q; the VM tier
// runs the file with bonds and VLANs).
func BenchmarkApply500Bridges(b *testing.B) {
	file, n := writeBig(b, 500, 0, 0)
	ctx := context.Background()
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			c, _ := benchClient(b)
			b.StartTimer()
			res, err := c.Apply(ctx, n, nil)
			if err != nil || res.NoOp() {
				b.Fatal(err)
			}
		}
	})
	b.Run("vs=ifreload", func(b *testing.B) {
		r := newIfreload(b)
		for b.Loop() {
			b.StopTimer()
			ns := testenv.NewNetNS(b)
			state := b.TempDir()
			b.StartTimer()
			r.run(b, ns.Name, file, state)
		}
	})
}

// BenchmarkReapply500Bridges re-applies the unchanged file: hostadm finds
// nothing to do; ifreload -a walks every interface again.
func BenchmarkReapply500Bridges(b *testing.B) {
	file, n := writeBig(b, 500, 0, 0)
	ctx := context.Background()
	b.Run("hostadm", func(b *testing.B) {
		c, _ := benchClient(b)
		if _, err := c.Apply(ctx, n, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := c.Apply(ctx, n, nil)
			if err != nil || !res.NoOp() {
				b.Fatalf("%v\n%s", err, res.Plan)
			}
		}
	})
	b.Run("vs=ifreload", func(b *testing.B) {
		r := newIfreload(b)
		ns := testenv.NewNetNS(b)
		state := b.TempDir()
		r.run(b, ns.Name, file, state)
		for b.Loop() {
			r.run(b, ns.Name, file, state)
		}
	})
}

// BenchmarkLinkDump5000 lists 5000 links (2500 veth pairs) with their
// kind, master, state, MTU and MAC.
func BenchmarkLinkDump5000(b *testing.B) {
	c, ns := benchClient(b)
	ctx := context.Background()
	for i := range 2500 {
		if err := c.Create(ctx, &Link{Name: fmt.Sprintf("va%d", i), Kind: "veth", Parent: fmt.Sprintf("vb%d", i)}, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			links, err := c.Links(ctx)
			if err != nil || len(links) != 5001 {
				b.Fatal(err, len(links))
			}
		}
	})
	b.Run("vs=ip-j-link-show", func(b *testing.B) {
		testenv.RequireTool(b, "ip")
		for b.Loop() {
			out, err := exec.Command("ip", "-n", ns.Name, "-j", "link", "show").Output()
			if err != nil {
				b.Fatal(err)
			}
			var links []struct {
				Index     int      `json:"ifindex"`
				Name      string   `json:"ifname"`
				Flags     []string `json:"flags"`
				MTU       int      `json:"mtu"`
				Master    string   `json:"master"`
				OperState string   `json:"operstate"`
				Address   string   `json:"address"`
			}
			if err := json.Unmarshal(out, &links); err != nil || len(links) != 5001 {
				b.Fatal(err, len(links))
			}
		}
	})
}
