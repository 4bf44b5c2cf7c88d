package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// ErrUnreachable is matched by Probe errors for servers that refused or
// did not answer.
var ErrUnreachable = errors.New("metric server unreachable")

// Probe checks that a metric server can be reached, within timeout (0
// means the server's own timeout): a TCP connect for Graphite over TCP
// and for InfluxDB over HTTP(S) (then GET /ping, which both InfluxDB 1.8
// and 2.x answer), and for UDP an empty datagram on a connected socket,
// which fails only when the host answers "port unreachable". A UDP
// server that stays silent counts as reachable: UDP has no handshake.
func Probe(ctx context.Context, s Server, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = s.EffectiveTimeout()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	switch s.EffectiveProto() {
	case UDP:
		conn, err := d.DialContext(ctx, "udp", s.Addr())
		if err != nil {
			return errors.Join(ErrUnreachable, err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(min(timeout, 300*time.Millisecond)))
		if _, err := conn.Write(nil); err != nil {
			return errors.Join(ErrUnreachable, err)
		}
		_, err = conn.Read(make([]byte, 1))
		if errors.Is(err, syscall.ECONNREFUSED) {
			return errors.Join(ErrUnreachable, err)
		}
		return nil
	case TCP:
		conn, err := d.DialContext(ctx, "tcp", s.Addr())
		if err != nil {
			return errors.Join(ErrUnreachable, err)
		}
		return conn.Close()
	}
	hs := newInfluxHTTP(s, "")
	defer hs.Close()
	u := strings.Replace(s.WriteURL(), "/api/v2/write", "/ping", 1)
	u, _, _ = strings.Cut(u, "?")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hs.client.Do(req)
	if err != nil {
		return errors.Join(ErrUnreachable, err)
	}
	resp.Body.Close()
	return nil
}
