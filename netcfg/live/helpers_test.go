//go:build integration || vmtest

package live

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hostadm/hostadm/internal/testenv"
)

// nsClient returns a client for a fresh namespace with lo up.
func nsClient(t *testing.T) (*Client, *testenv.NetNS) {
	t.Helper()
	ns := testenv.NewNetNS(t)
	c, err := New(&Config{NetNSFD: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetUp(context.Background(), "lo", true); err != nil {
		t.Fatal(err)
	}
	return c, ns
}

// veth makes a veth pair standing in for a physical NIC.
func veth(t *testing.T, c *Client, name, peer string) {
	t.Helper()
	if err := c.Create(context.Background(), &Link{Name: name, Kind: "veth", Parent: peer}, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// ipJSON runs ip -j in the namespace.
func ipJSON(t *testing.T, ns *testenv.NetNS, v any, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns.Name, "-j"}, args...)...).Output()
	if err != nil {
		t.Fatalf("ip %s: %v", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("ip %s: %v", strings.Join(args, " "), err)
	}
}

// stateOpts compare states field by field, links by name. The interface
// index differs for a link deleted and created again. Left out is what
// the kernel derives on its own timers, so that two moments of the same
// configuration can differ in it: the operational state and carrier (the
// link watch, the bridge's forward delay) and IPv6 link-local addresses
// with their fe80::/64 routes (added by autoconfiguration once a link
// has carrier).
var stateOpts = cmp.Options{
	cmpopts.IgnoreFields(Link{}, "Index", "OperState", "Carrier"),
	cmpopts.IgnoreSliceElements(func(a Address) bool { return a.Prefix.Addr().IsLinkLocalUnicast() }),
	cmpopts.IgnoreSliceElements(func(r Route) bool { return r.Dst.Addr().IsLinkLocalUnicast() && r.Protocol == "kernel" }),
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

// sameState waits until the namespace's state equals want (the
// operational state, routes and IPv6 addresses settle asynchronously) and
// fails with the difference.
func sameState(t *testing.T, c *Client, want *State) {
	t.Helper()
	var names []string
	for k := range want.Sysctls {
		names = append(names, k)
	}
	var diff string
	for range 50 {
		got, err := c.State(context.Background(), names...)
		if err != nil {
			t.Fatal(err)
		}
		if diff = cmp.Diff(want, got, stateOpts); diff == "" {
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	t.Errorf("state mismatch (-want +got):\n%s", diff)
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
