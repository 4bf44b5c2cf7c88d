package live

import (
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateJSON(t *testing.T) {
	mac := net.HardwareAddr{0xbc, 0x24, 0x11, 0x0a, 0x0b, 0x0c}
	s := &State{
		Links: []Link{{Index: 2, Name: "vmbr0", Kind: "bridge", Up: true, MTU: 1500, MAC: mac, Bridge: &BridgeAttrs{ForwardDelay: 200}},
			{Index: 3, Name: "eno1", Master: "vmbr0", MAC: mac, PermMAC: mac, Port: &PortAttrs{Learning: true}}},
		Addresses: []Address{{Link: "vmbr0", Prefix: netip.MustParsePrefix("10.0.0.1/24"), Scope: "global"}},
		Routes:    []Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.254"), Link: "vmbr0", Protocol: "boot", Type: "unicast"}},
		FDB:       []FDBEntry{{Port: "tap100i0", MAC: mac, VLAN: 5}},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"mac":"bc:24:11:0a:0b:0c"`, `"perm_mac":"bc:24:11:0a:0b:0c"`, `"prefix":"10.0.0.1/24"`, `"gateway":"10.0.0.254"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, &back, planStateOpts()); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}
