package netcfg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/netcfg/ifquerytest"
)

// bigConfig writes an interfaces file with the largest setup the admin
// guide allows: 4094 bridges (vmbr1 to vmbr4094), the first 1000 on
// LACP bonds of two NICs each, every bridge with its own address.
func bigConfig() []byte {
	var b bytes.Buffer
	b.WriteString("auto lo\niface lo inet loopback\n\n")
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&b, "iface ens%d inet manual\n\n", i)
	}
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "auto bond%d\niface bond%d inet manual\n\tbond-slaves ens%d ens%d\n\tbond-miimon 100\n\tbond-mode 802.3ad\n\tbond-xmit-hash-policy layer2+3\n\n", i, i, 2*i+1, 2*i+2)
	}
	for i := 1; i <= 4094; i++ {
		ports := "none"
		if i <= 1000 {
			ports = fmt.Sprintf("bond%d", i-1)
		}
		fmt.Fprintf(&b, "auto vmbr%d\niface vmbr%d inet static\n\taddress 10.%d.%d.1/24\n", i, i, i/256, i%256)
		if i == 1 {
			b.WriteString("\tgateway 10.0.1.254\n")
		}
		fmt.Fprintf(&b, "\tbridge-ports %s\n\tbridge-stp off\n\tbridge-fd 0\n", ports)
		if i%2 == 0 {
			b.WriteString("\tbridge-vlan-aware yes\n\tbridge-vids 2-4094\n")
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func TestBigConfigValid(t *testing.T) {
	f, err := Parse("big", bigConfig())
	if err != nil {
		t.Fatal(err)
	}
	n := NewNetwork(f)
	if len(n.Interfaces) != 1+2000+1000+4094 {
		t.Errorf("%d interfaces", len(n.Interfaces))
	}
	if fs := n.Validate(); len(fs) != 0 {
		t.Errorf("%d findings, first %v", len(fs), fs[0])
	}
}

// BenchmarkParseValidate reads, parses and validates the big file, against
// ifupdown2's "ifquery -a -i FILE" reading it.
func BenchmarkParseValidate(b *testing.B) {
	file := filepath.Join(b.TempDir(), "interfaces")
	if err := os.WriteFile(file, bigConfig(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			data, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			f, err := Parse(file, data)
			if err != nil {
				b.Fatal(err)
			}
			if fs := NewNetwork(f).Validate(); len(fs) != 0 {
				b.Fatal(fs[0])
			}
		}
	})
	b.Run("vs=ifquery", func(b *testing.B) {
		o := ifquerytest.New(b)
		for b.Loop() {
			if out, stderr, err := o.Run("-a", "-i", file); err != nil || len(out) == 0 {
				b.Fatalf("ifquery: %v: %s", err, stderr)
			}
		}
	})
}
