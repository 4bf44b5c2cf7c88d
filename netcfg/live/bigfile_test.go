package live

import (
	"fmt"
	"strings"
	"testing"
)

// bigFile writes an interfaces file of the benchmark's size: bonds
// bond0.. without slaves (a fresh namespace has no NICs), VLANs spread
// over the bonds (bondN.ID), and bridges vmbr1.., the first ones with a
// bond as port, each with an address.
func bigFile(bridges, bonds, vlans int) string {
	return bigFileSlaves(bridges, bonds, vlans, func(int) string { return "none" })
}

// bigFileSlaves is bigFile with slave(i) as the bond-slaves of bond i.
func bigFileSlaves(bridges, bonds, vlans int, slave func(bond int) string) string {
	var b strings.Builder
	b.WriteString("auto lo\niface lo inet loopback\n")
	for i := range bonds {
		fmt.Fprintf(&b, "\nauto bond%d\niface bond%d inet manual\n\tbond-slaves %s\n\tbond-miimon 100\n\tbond-mode 802.3ad\n\tbond-xmit-hash-policy layer2+3\n", i, i, slave(i))
	}
	for i := range vlans {
		bond := i % max(bonds, 1)
		id := 10 + i/max(bonds, 1)
		fmt.Fprintf(&b, "\nauto bond%d.%d\niface bond%d.%d inet manual\n", bond, id, bond, id)
	}
	for i := range bridges {
		ports := "none"
		if i < bonds {
			ports = fmt.Sprintf("bond%d", i)
		}
		fmt.Fprintf(&b, "\nauto vmbr%d\niface vmbr%d inet static\n\taddress 10.%d.%d.1/24\n\tbridge-ports %s\n\tbridge-stp off\n\tbridge-fd 0\n", i+1, i+1, 100+(i+1)/256, (i+1)%256, ports)
	}
	return b.String()
}

func TestBigFilePlans(t *testing.T) {
	n := parseFile(t, "/etc/network/interfaces", []byte(bigFile(500, 100, 500)))
	if len(n.Interfaces) != 1101 {
		t.Fatalf("%d interfaces", len(n.Interfaces))
	}
	tg, err := newTarget(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(tg, hostState())
	if err != nil {
		t.Fatal(err)
	}
	after := simulate(t, hostState(), p)
	again, err := makePlan(tg, after)
	if err != nil || !again.Empty() {
		t.Fatalf("second plan: %v\n%s", err, again)
	}
}

// BenchmarkPlanNoop is the computation of a no-op re-apply of the large
// file without the kernel: parse, target, diff.
func BenchmarkPlanNoop(b *testing.B) {
	data := []byte(bigFile(500, 100, 500))
	n := parseFile(b, "/etc/network/interfaces", data)
	tg, _ := newTarget(n, nil)
	p, _ := makePlan(tg, hostState())
	cur := simulate(&testing.T{}, hostState(), p)
	b.ResetTimer()
	for b.Loop() {
		n := parseFile(b, "/etc/network/interfaces", data)
		tg, err := newTarget(n, nil)
		if err != nil {
			b.Fatal(err)
		}
		if p, err := makePlan(tg, cur); err != nil || !p.Empty() {
			b.Fatal(err, p)
		}
	}
}
