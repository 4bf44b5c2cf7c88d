//go:build integration && linux

package sysctl

import (
	"os"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestNetNS sets the routed setup's parameters inside a fresh network
// namespace, through NetNSPath and through NetNSFD, and checks that the
// caller's namespace is untouched.
func TestNetNS(t *testing.T) {
	ns := testenv.NewNetNS(t)
	hostForward, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []*Config{{NetNSPath: ns.Path()}, {NetNSFD: ns.FD()}} {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.conf.lo.proxy_arp", "1"}, {"net.ipv6.conf.default.disable_ipv6", "1"}} {
			if err := s.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(kv[0]); err != nil || got != kv[1] {
				t.Errorf("%s in namespace = %q, %v", kv[0], got, err)
			}
		}
		// The namespace sees it when read from inside by other means.
		err = ns.Do(func() error {
			b, err := os.ReadFile("/proc/sys/net/ipv4/conf/lo/proxy_arp")
			if err == nil && strings.TrimSpace(string(b)) != "1" {
				t.Errorf("proxy_arp read inside the namespace = %q", b)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Non-network parameters are the host's.
		if _, err := s.Get("kernel.osrelease"); err != nil {
			t.Error(err)
		}
	}
	after, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(hostForward) {
		t.Errorf("host ip_forward changed from %q to %q", hostForward, after)
	}
}

// TestHostRead reads the running system's parameters without a namespace.
func TestHostRead(t *testing.T) {
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get("kernel.ostype")
	if err != nil || got != "Linux" {
		t.Errorf("kernel.ostype = %q, %v", got, err)
	}
	if _, _, err := s.Effective(); err != nil {
		t.Logf("host sysctl.d files: %v", err)
	}
}
