//go:build integration

package wol

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestSendBroadcastBound sends the magic packet to the limited broadcast
// address, port 9, bound to one end of a veth pair in one namespace, and
// receives it on port 9 in a second namespace at the other end: the
// packet leaves through the bound interface as a real broadcast frame.
func TestSendBroadcastBound(t *testing.T) {
	testenv.RequireTool(t, "ip")
	a := testenv.NewNetNS(t)
	b := testenv.NewNetNS(t)
	for _, args := range [][]string{
		{"-n", a.Name, "link", "add", "wol0", "type", "veth", "peer", "name", "wol1", "netns", b.Name},
		{"-n", a.Name, "link", "add", "other0", "type", "veth", "peer", "name", "other1"},
		{"-n", a.Name, "addr", "add", "10.99.0.1/24", "dev", "wol0"},
		{"-n", b.Name, "addr", "add", "10.99.0.2/24", "dev", "wol1"},
		// The receiving end first: a veth opened while its peer is down
		// drops what it sends until the kernel's link watch activates
		// its queue, up to a second later.
		{"-n", b.Name, "link", "set", "wol1", "up"},
		{"-n", a.Name, "link", "set", "other1", "up"},
		{"-n", a.Name, "link", "set", "wol0", "up"},
		{"-n", a.Name, "link", "set", "other0", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	for i := 0; ; i++ {
		out, _ := exec.Command("ip", "-n", a.Name, "-o", "link", "show", "wol0").Output()
		if strings.Contains(string(out), "state UP") {
			break
		}
		if i == 100 {
			t.Fatalf("wol0 does not come up: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var conn net.PacketConn
	if err := b.Do(func() error {
		var err error
		conn, err = net.ListenPacket("udp4", "0.0.0.0:9")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mac, err := ParseMAC("BC-24-11-0A-0B-0C")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Do(func() error { return Send(ctx, mac, &Config{Interface: "wol0"}) }); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, from, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := MagicPacket(mac, nil)
	if diff := cmp.Diff(want, buf[:n]); diff != "" {
		t.Errorf("packet mismatch (-want +got):\n%s", diff)
	}
	if ip := from.(*net.UDPAddr).IP.String(); ip != "10.99.0.1" {
		t.Errorf("packet came from %s, want the bound interface's 10.99.0.1", ip)
	}
	// A socket bound to another interface does not reach the receiver.
	if err := a.Do(func() error { return Send(ctx, mac, &Config{Interface: "other0"}) }); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := conn.ReadFrom(buf); err == nil {
		t.Errorf("a packet bound to other0 arrived (%d bytes)", n)
	}
	if err := a.Do(func() error { return Send(ctx, mac, &Config{Interface: "nosuch0"}) }); err == nil {
		t.Error("binding to a missing interface succeeded")
	}
}
