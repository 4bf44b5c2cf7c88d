package node

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/netcfg/wol"
)

func TestWakeOnLANProperty(t *testing.T) {
	b, _ := os.ReadFile("testdata/acme.config")
	cf, err := ParseConfigFile("config", b)
	if err != nil {
		t.Fatal(err)
	}
	w, ok, err := cf.WakeOnLAN()
	if err != nil || !ok || w.MAC.String() != "52:54:00:12:34:56" || w.BindInterface != "" {
		t.Fatalf("WakeOnLAN = %+v %v %v", w, ok, err)
	}
	d, err := cf.OnbootDelay()
	if err != nil || d != 10*time.Second {
		t.Errorf("OnbootDelay = %v, %v", d, err)
	}
	// Setting the same value changes nothing; a new one rewrites the
	// line in place.
	cf.SetWakeOnLAN(WakeOnLAN{MAC: w.MAC})
	if string(cf.Format()) != string(b) {
		t.Error("unchanged property rewritten")
	}
	w.BindInterface, w.BroadcastAddress = "vmbr0", net.IPv4(192, 168, 10, 255)
	if err := cf.SetWakeOnLAN(w); err != nil {
		t.Fatal(err)
	}
	if err := cf.SetOnbootDelay(0); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(b), "startall-onboot-delay: 10\nwakeonlan: 52:54:00:12:34:56\n", "wakeonlan: 52:54:00:12:34:56,bind-interface=vmbr0,broadcast-address=192.168.10.255\n", 1)
	if got := string(cf.Format()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	cf.SetOnbootDelay(30 * time.Second)
	if !strings.Contains(string(cf.Format()), "\nstartall-onboot-delay: 30\nwakeonlan:") {
		t.Errorf("delay not in sorted place:\n%s", cf.Format())
	}

	for _, bad := range []string{"mac=zz", "52:54:00:12:34:56,broadcast-address=::1", "52:54:00:12:34:56,colour=red", "bind-interface=eth0", "52:54:00:12:34:56,bind-interface=a/b"} {
		if _, err := ParseWakeOnLAN(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseWakeOnLAN(%q) = %v", bad, err)
		}
	}
	cf, _ = ParseConfigFile("config", []byte("wakeonlan: 52:54:00:12\nstartall-onboot-delay: 301\n"))
	if _, _, err := cf.WakeOnLAN(); err == nil || !strings.HasPrefix(err.Error(), "config:1:12: wakeonlan:") {
		t.Errorf("bad MAC: %v", err)
	}
	if _, err := cf.OnbootDelay(); err == nil || !strings.HasPrefix(err.Error(), "config:2:24: startall-onboot-delay:") {
		t.Errorf("bad delay: %v", err)
	}
	if err := cf.SetOnbootDelay(500 * time.Millisecond); !errors.Is(err, ErrInvalid) {
		t.Errorf("fractional delay: %v", err)
	}
}

func TestWake(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "etc/pve"), os.DirFS(filepath.Join(fixture, "etc/pve"))); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := New(&Config{Root: root, WakeOnLANPort: pc.LocalAddr().(*net.UDPAddr).Port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	os.MkdirAll(filepath.Join(root, "etc/pve/nodes/pve2"), 0o755)
	mac, _ := net.ParseMAC("52:54:00:aa:bb:02")
	err = c.EditNodeConfig(ctx, "pve2", func(cf *ConfigFile) error {
		return cf.SetWakeOnLAN(WakeOnLAN{MAC: mac, BroadcastAddress: net.IPv4(127, 0, 0, 1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/pve/nodes/pve2/config")); string(b) != "wakeonlan: 52:54:00:AA:BB:02,broadcast-address=127.0.0.1\n" {
		t.Errorf("config = %q", b)
	}
	w, err := c.Wake(ctx, "pve2")
	if err != nil || w.MAC.String() != mac.String() {
		t.Fatalf("Wake = %+v, %v", w, err)
	}
	buf := make([]byte, 200)
	pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := wol.MagicPacket(mac, nil)
	if string(buf[:n]) != string(want) {
		t.Errorf("packet = %x", buf[:n])
	}
	if _, err := c.Wake(ctx, "pve1"); !errors.Is(err, ErrLocalNode) {
		t.Errorf("local node: %v", err)
	}
	os.MkdirAll(filepath.Join(root, "etc/pve/nodes/pve3"), 0o755)
	if _, err := c.Wake(ctx, "pve3"); !errors.Is(err, ErrNoWakeOnLAN) {
		t.Errorf("no property: %v", err)
	}
	if _, err := c.Wake(ctx, "../x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad node: %v", err)
	}
	if nodes, err := c.Nodes(); err != nil || strings.Join(nodes, ",") != "pve1,pve2,pve3" {
		t.Errorf("Nodes = %v, %v", nodes, err)
	}
}

func FuzzWakeOnLAN(f *testing.F) {
	f.Add("52:54:00:12:34:56")
	f.Add("mac=52-54-00-12-34-56,bind-interface=vmbr0,broadcast-address=192.168.10.255")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWakeOnLAN(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		again, err := ParseWakeOnLAN(w.String())
		if err != nil {
			t.Fatalf("%q formats as %q, which does not parse: %v", s, w.String(), err)
		}
		if again.String() != w.String() {
			t.Fatalf("%q != %q", again.String(), w.String())
		}
	})
}
