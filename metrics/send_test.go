package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nodePoints are points like the collector's, numerous enough to need
// several datagrams.
func nodePoints(n int) []Point {
	var out []Point
	for i := range n {
		out = append(out, Point{Measurement: "nics", Tags: []Tag{{"object", "nodes"}, {"host", "pve1"}, {"instance", "tap" + strconv.Itoa(i) + "i0"}},
			Fields: []Field{{"receive", uint64(1000 + i)}, {"transmit", uint64(2000 + i)}, {"rate", 0.5}}, Time: t0})
	}
	return out
}

func udpListener(t *testing.T) (net.PacketConn, int) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc, pc.LocalAddr().(*net.UDPAddr).Port
}

// readDatagrams reads until no datagram arrives for a while.
func readDatagrams(t *testing.T, pc net.PacketConn) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, 70000)
	for {
		pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return out
		}
		out = append(out, bytes.Clone(buf[:n]))
	}
}

func TestGraphiteUDP(t *testing.T) {
	pc, port := udpListener(t)
	s, err := NewSender(Server{Type: Graphite, ID: "g", Server: "127.0.0.1", Port: port, MTU: 576}, "")
	if err != nil {
		t.Fatal(err)
	}
	pts := nodePoints(40)
	if err := s.Send(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
	dgs := readDatagrams(t, pc)
	var all []byte
	for _, d := range dgs {
		if len(d) > 576-28 {
			t.Errorf("datagram of %d bytes exceeds MTU 576", len(d))
		}
		if !bytes.HasSuffix(d, []byte("\n")) {
			t.Errorf("datagram splits a line: %q", d)
		}
		all = append(all, d...)
	}
	var want []byte
	for _, p := range pts {
		want = AppendGraphite(want, "proxmox", p)
	}
	if len(dgs) < 2 || !bytes.Equal(all, want) {
		t.Errorf("%d datagrams, %d bytes; want %d bytes in order", len(dgs), len(all), len(want))
	}
}

func TestGraphiteTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s, _ := NewSender(Server{Type: Graphite, ID: "g", Server: "127.0.0.1", Port: port, Proto: TCP, Path: "lab.pve"}, "")
	if err := s.Send(context.Background(), nodePoints(2)); err != nil {
		t.Fatal(err)
	}
	b := <-got
	if !strings.HasPrefix(string(b), "lab.pve.nodes.pve1.nics.tap0i0.receive 1000 1722988800\n") || strings.Count(string(b), "\n") != 6 {
		t.Errorf("got %q", b)
	}

	// A server that accepts but never reads: the write times out instead
	// of blocking the caller.
	stall, _ := net.Listen("tcp", "127.0.0.1:0")
	defer stall.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := stall.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	s, _ = NewSender(Server{Type: Graphite, ID: "g", Server: "127.0.0.1", Port: stall.Addr().(*net.TCPAddr).Port, Proto: TCP, Timeout: time.Second}, "")
	start := time.Now()
	err = s.Send(context.Background(), nodePoints(100000))
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("stalled server: err %v after %v", err, time.Since(start))
	}
	// Nobody listening: the connection is refused at once.
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s, _ = NewSender(Server{Type: Graphite, ID: "g", Server: "127.0.0.1", Port: port, Proto: TCP}, "")
	if err := s.Send(context.Background(), nodePoints(1)); err == nil || !strings.Contains(err.Error(), "metric server g") {
		t.Errorf("refused: %v", err)
	}
}

func TestInfluxUDP(t *testing.T) {
	pc, port := udpListener(t)
	s, _ := NewSender(Server{Type: InfluxDB, ID: "i", Server: "127.0.0.1", Port: port, MTU: 512}, "")
	pts := nodePoints(30)
	bad := Point{Measurement: "bad", Fields: []Field{{"x", "a\nb"}}}
	err := s.Send(context.Background(), append(pts, bad))
	if !errors.Is(err, ErrBadPoint) {
		t.Errorf("bad point not reported: %v", err)
	}
	var got []Point
	for _, d := range readDatagrams(t, pc) {
		if len(d) > 512-28 {
			t.Errorf("datagram of %d bytes", len(d))
		}
		p, err := ParseLines(d)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p...)
	}
	want, _ := ParseLines(must(encodeLines(pts)))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("points mismatch (-want +got):\n%s", diff)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// v2Server is an InfluxDB v2 write API that checks each request against
// the API's rules (POST /api/v2/write, org and bucket, precision=ns,
// Authorization: Token, a line-protocol body within the size limit) and
// keeps the points. forward, when set, receives every valid body.
type v2Server struct {
	t       *testing.T
	token   string
	org     string
	bucket  string
	maxBody int
	forward func(body []byte) error

	mu       sync.Mutex
	points   []Point
	requests int
}

func (v *v2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"code":"invalid","message":%q}`, msg)
	}
	q := r.URL.Query()
	switch {
	case r.Method != http.MethodPost:
		fail(http.StatusMethodNotAllowed, "method")
		return
	case r.URL.Path != "/api/v2/write":
		fail(http.StatusNotFound, "path "+r.URL.Path)
		return
	case r.Header.Get("Authorization") != "Token "+v.token:
		fail(http.StatusUnauthorized, "unauthorized access")
		return
	case q.Get("org") != v.org || q.Get("bucket") != v.bucket:
		fail(http.StatusNotFound, "bucket not found")
		return
	case q.Get("precision") != "ns":
		fail(http.StatusBadRequest, "precision")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"):
		fail(http.StatusBadRequest, "content type")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if len(body) > v.maxBody {
		fail(http.StatusRequestEntityTooLarge, "body too large")
		v.t.Errorf("body of %d bytes exceeds max-body-size %d", len(body), v.maxBody)
		return
	}
	pts, err := ParseLines(body)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		v.t.Errorf("bad line protocol: %v", err)
		return
	}
	for _, p := range pts {
		if p.Time.IsZero() || p.Time.Year() < 2000 {
			v.t.Errorf("timestamp not in ns: %v", p.Time)
		}
	}
	if v.forward != nil {
		if err := v.forward(body); err != nil {
			fail(http.StatusBadGateway, err.Error())
			return
		}
	}
	v.mu.Lock()
	v.points = append(v.points, pts...)
	v.requests++
	v.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func TestInfluxHTTP(t *testing.T) {
	v2 := &v2Server{t: t, token: "proxmox:s3cret", org: "proxmox", bucket: "pve", maxBody: 4096}
	ts := httptest.NewServer(v2)
	defer ts.Close()
	u := ts.Listener.Addr().(*net.TCPAddr)
	srv := Server{Type: InfluxDB, ID: "i", Server: "127.0.0.1", Port: u.Port, InfluxDBProto: HTTP, Bucket: "pve", MaxBodySize: 4096}
	s, _ := NewSender(srv, v2.token)
	pts := nodePoints(100)
	if err := s.Send(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
	if v2.requests < 3 || len(v2.points) != 100 {
		t.Errorf("%d requests, %d points", v2.requests, len(v2.points))
	}
	want, _ := ParseLines(must(encodeLines(pts)))
	if diff := cmp.Diff(want, v2.points); diff != "" {
		t.Errorf("points mismatch (-want +got):\n%s", diff)
	}

	// A wrong token: the server's message, never the token.
	s, _ = NewSender(srv, "wrong-token")
	err := s.Send(context.Background(), pts[:1])
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 401 || he.Message != "unauthorized access" || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("wrong token: %v", err)
	}

	// A server slower than the timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer slow.Close()
	srv.Port = slow.Listener.Addr().(*net.TCPAddr).Port
	s, _ = NewSender(srv, "t")
	start := time.Now()
	if err := s.Send(context.Background(), pts[:1]); err == nil || time.Since(start) > 2500*time.Millisecond {
		t.Errorf("slow server: %v after %v", err, time.Since(start))
	}
}

func TestInfluxHTTPS(t *testing.T) {
	v2 := &v2Server{t: t, token: "tok", org: "proxmox", bucket: "proxmox", maxBody: DefaultMaxBodySize}
	ts := httptest.NewTLSServer(v2)
	defer ts.Close()
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	srv := Server{Type: InfluxDB, ID: "i", Server: "127.0.0.1", Port: port, InfluxDBProto: HTTPS}
	s, _ := NewSender(srv, "tok")
	if err := s.Send(context.Background(), nodePoints(1)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("self-signed certificate accepted: %v", err)
	}
	no := false
	srv.VerifyCertificate = &no
	s, _ = NewSender(srv, "tok")
	if err := s.Send(context.Background(), nodePoints(1)); err != nil || len(v2.points) != 1 {
		t.Errorf("verify-certificate 0: %v, %d points", err, len(v2.points))
	}
}

func TestBatches(t *testing.T) {
	in := []byte("aaaa\nbb\ncccccccc\nd\n")
	got := batches(in, 8)
	want := [][]byte{[]byte("aaaa\nbb\n"), []byte("cccccccc\n"), []byte("d\n")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches mismatch (-want +got):\n%s", diff)
	}
}
