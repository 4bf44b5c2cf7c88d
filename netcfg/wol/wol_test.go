package wol

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMAC(t *testing.T) {
	want := net.HardwareAddr{0xbc, 0x24, 0x11, 0x0a, 0x0b, 0x0c}
	for _, tc := range []struct {
		name, in string
		want     net.HardwareAddr
		err      bool
	}{
		{name: "colons", in: "bc:24:11:0a:0b:0c", want: want},
		{name: "upper", in: "BC:24:11:0A:0B:0C", want: want},
		{name: "dashes", in: "BC-24-11-0A-0B-0C", want: want},
		{name: "cisco", in: "bc24.110a.0b0c", want: want},
		{name: "bare", in: "bc24110a0b0c", want: want},
		{name: "blanks", in: " bc 24 11 0a 0b 0c ", want: want},
		{name: "short groups", in: "bc:24:11:a:b:c", want: want},
		{name: "five groups", in: "bc:24:11:0a:0b", err: true},
		{name: "seven groups", in: "bc:24:11:0a:0b:0c:0d", err: true},
		{name: "empty group", in: "bc::11:0a:0b:0c:0d", err: true},
		{name: "not hex", in: "bc:24:11:0a:0b:zz", err: true},
		{name: "too long", in: "bc24110a0b0c0d", err: true},
		{name: "broadcast", in: "ff:ff:ff:ff:ff:ff", err: true},
		{name: "multicast", in: "01:00:5e:00:00:01", err: true},
		{name: "zero", in: "00:00:00:00:00:00", err: true},
		{name: "infiniband", in: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", err: true},
		{name: "bad dots", in: "bc2.4110a.0b0c", err: true},
		{name: "empty", in: "", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMAC(tc.in)
			if tc.err {
				if !errors.Is(err, ErrMAC) {
					t.Fatalf("ParseMAC(%q) = %v, %v; want ErrMAC", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MAC mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMagicPacket(t *testing.T) {
	mac := net.HardwareAddr{1, 2, 3, 4, 5, 6}
	p, err := MagicPacket(mac, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 102 || !bytes.Equal(p[:6], bytes.Repeat([]byte{0xff}, 6)) || !bytes.Equal(p[6:], bytes.Repeat(mac, 16)) {
		t.Errorf("packet %x", p)
	}
	p, err = MagicPacket(mac, []byte{9, 8, 7, 6})
	if err != nil || len(p) != 106 || !bytes.Equal(p[102:], []byte{9, 8, 7, 6}) {
		t.Errorf("SecureOn packet %x, %v", p, err)
	}
	if _, err := MagicPacket(mac, []byte{1, 2, 3}); err == nil {
		t.Error("3-byte password accepted")
	}
	if _, err := MagicPacket(net.HardwareAddr{1, 2, 3}, nil); !errors.Is(err, ErrMAC) {
		t.Errorf("short MAC: %v", err)
	}
}

// TestSendLoopback sends to a socket on loopback (unicast, so that it
// needs no privileges) and checks the datagram.
func TestSendLoopback(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	mac, _ := ParseMAC("bc:24:11:0a:0b:0c")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Send(ctx, mac, &Config{Broadcast: netip.MustParseAddr("127.0.0.1"), Port: port, Password: []byte{1, 2, 3, 4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := MagicPacket(mac, []byte{1, 2, 3, 4, 5, 6})
	if diff := cmp.Diff(want, buf[:n]); diff != "" {
		t.Errorf("datagram mismatch (-want +got):\n%s", diff)
	}
}

func TestSendBadPort(t *testing.T) {
	mac, _ := ParseMAC("bc:24:11:0a:0b:0c")
	if err := Send(context.Background(), mac, &Config{Port: 70000}); err == nil {
		t.Error("port 70000 accepted")
	}
}

// FuzzParseMAC checks that every accepted string is a unicast MAC that
// parses again from its canonical form.
func FuzzParseMAC(f *testing.F) {
	for _, s := range []string{"bc:24:11:0a:0b:0c", "BC-24-11-0A-0B-0C", "bc24.110a.0b0c", "bc24110a0b0c", "a:b:c:d:e:f", "ff:ff:ff:ff:ff:ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mac, err := ParseMAC(s)
		if err != nil {
			return
		}
		if len(mac) != 6 || mac[0]&1 != 0 {
			t.Fatalf("ParseMAC(%q) = %v", s, mac)
		}
		again, err := ParseMAC(mac.String())
		if err != nil || !bytes.Equal(again, mac) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
