//go:build integration

package live

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestNICOnVeth reads ethtool's view of a veth device in a namespace and
// compares it with ethtool(8) run there. A veth has driver information,
// a fixed 10000 Mb/s full-duplex link mode and link detection, but no
// Wake-on-LAN: setting it must fail cleanly.
func TestNICOnVeth(t *testing.T) {
	testenv.RequireTool(t, "ethtool")
	c, ns := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	for _, n := range []string{"eth1", "peer1"} {
		if err := c.SetUp(ctx, n, true); err != nil {
			t.Fatal(err)
		}
	}
	nic, err := c.NIC(ctx, "eth1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "netns", "exec", ns.Name, "ethtool", "-i", "eth1").Output()
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			info[k] = v
		}
	}
	if nic.Driver != info["driver"] || nic.DriverVersion != info["version"] || nic.BusInfo != info["bus-info"] {
		t.Errorf("driver info %+v, ethtool -i says %v", nic, info)
	}
	out, err = exec.Command("ip", "netns", "exec", ns.Name, "ethtool", "eth1").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if !strings.Contains(text, "Speed: 10000Mb/s") || nic.Speed != 10000 || nic.Duplex != "full" ||
		!strings.Contains(text, "Link detected: yes") || !nic.Link {
		t.Errorf("link mode %+v, ethtool says:\n%s", nic, text)
	}
	if nic.WoLKnown || strings.Contains(text, "Wake-on") {
		t.Errorf("veth reports Wake-on-LAN: %+v", nic)
	}
	if err := c.SetWakeOnLAN(ctx, "eth1", WoLMagic); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("SetWakeOnLAN on veth: %v, want EOPNOTSUPP", err)
	}
	if _, err := c.NIC(ctx, "nosuch0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("NIC(nosuch0): %v", err)
	}
}
