package metrics

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCollectFixture(t *testing.T) {
	c, err := NewCollector(&CollectorConfig{Root: fixture, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Node() != "pve1" {
		t.Errorf("node = %q", c.Node())
	}
	pts, err := c.Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Point{}
	for _, p := range pts {
		key := p.Measurement
		if inst, ok := p.Tag("instance"); ok {
			key += "/" + inst
		}
		got[key] = p
		if h, _ := p.Tag("host"); h != "pve1" || !p.Time.Equal(t0) {
			t.Errorf("%s: host %q time %v", key, h, p.Time)
		}
	}
	field := func(key, name string) any {
		for _, f := range got[key].Fields {
			if f.Key == name {
				return f.Value
			}
		}
		t.Errorf("%s has no field %s", key, name)
		return nil
	}
	checks := []struct {
		key, field string
		want       any
	}{
		{"system", "uptime", float64(1209600)},
		{"cpustat", "cpus", float64(8)},
		{"cpustat", "avg1", 1.12},
		{"memory", "memtotal", float64(65755012 * 1024)},
		{"memory", "memfree", float64(30123456 * 1024)},
		{"nics/eno1", "receive", float64(2153428760112)},
		{"nics/vmbr0", "transmit", float64(512031101212)},
		{"blockstat/sda", "read_sectors", float64(1817303578)},
	}
	for _, c := range checks {
		if v := field(c.key, c.field); v != c.want {
			t.Errorf("%s.%s = %v (%T), want %v", c.key, c.field, v, v, c.want)
		}
	}
	if _, ok := got["nics/lo"]; ok {
		t.Error("lo exported")
	}
	if _, ok := got["blockstat/loop0"]; ok {
		t.Error("loop device exported")
	}
	if _, ok := got["ksm"]; !ok {
		t.Error("no ksm point")
	}
	if _, ok := got["zfs_arc"]; !ok {
		t.Error("no ARC point")
	}
	busy := field("cpustat", "cpu").(float64)
	if busy <= 0 || busy >= 1 {
		t.Errorf("cpu = %v", busy)
	}
	// Every point encodes for both servers.
	for _, p := range pts {
		if _, err := AppendLine(nil, p); err != nil {
			t.Error(err)
		}
	}
}

func TestCPUDelta(t *testing.T) {
	c := &Collector{}
	c.cpuFields("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1\n")
	f, err := c.cpuFields("cpu  150 0 150 800 100 0 0 0 0 0\ncpu0 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if f[0].Key != "cpu" || f[0].Value.(float64) != 0.5 || f[1].Value.(float64) != 0 {
		t.Errorf("fields = %v", f)
	}
	if _, err := c.cpuFields("cpu a b\n"); err == nil {
		t.Error("bad /proc/stat accepted")
	}
}

type recordSender struct {
	mu    sync.Mutex
	sends int
}

func (r *recordSender) Send(ctx context.Context, p []Point) error {
	r.mu.Lock()
	r.sends++
	r.mu.Unlock()
	return errors.New("down")
}
func (r *recordSender) Close() error { return nil }

func TestRun(t *testing.T) {
	c, err := NewCollector(&CollectorConfig{Root: fixture, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	rs := &recordSender{}
	var errs []error
	var mu sync.Mutex
	err = c.Run(ctx, []Sender{rs}, func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() })
	if !errors.Is(err, context.DeadlineExceeded) || rs.sends < 3 || len(errs) != rs.sends {
		t.Errorf("Run = %v after %d sends, %d errors", err, rs.sends, len(errs))
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	s := Server{Type: Graphite, ID: "g", Server: "127.0.0.1", Port: port, Proto: TCP}
	if err := Probe(ctx, s, time.Second); err != nil {
		t.Errorf("listening: %v", err)
	}
	ln.Close()
	if err := Probe(ctx, s, time.Second); !errors.Is(err, ErrUnreachable) {
		t.Errorf("closed: %v", err)
	}
	s.Proto = UDP
	if err := Probe(ctx, s, time.Second); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed UDP port: %v", err)
	}
	pc, uport := udpListener(t)
	_ = pc
	s.Port = uport
	if err := Probe(ctx, s, time.Second); err != nil {
		t.Errorf("open UDP port: %v", err)
	}
}
