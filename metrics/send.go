package metrics

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Sender exports points to one metric server.
type Sender interface {
	// Send writes the points. It never blocks longer than the server's
	// timeout per connection or request (or ctx). Points that cannot be
	// encoded are skipped and reported in the error, after the others
	// were sent.
	Send(ctx context.Context, points []Point) error
	// Close releases the sender's connections.
	Close() error
}

// NewSender returns the sender for a status.cfg entry: Graphite over
// UDP or TCP, InfluxDB over UDP or the v2 HTTP(S) API. token is the
// InfluxDB API token (Client.Token); it is sent only in the
// Authorization header and never appears in errors.
func NewSender(s Server, token string) (Sender, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	switch s.Type {
	case Graphite:
		return &graphiteSender{srv: s}, nil
	case InfluxDB:
		if p := s.EffectiveProto(); p == HTTP || p == HTTPS {
			return newInfluxHTTP(s, token), nil
		}
		return &influxUDPSender{srv: s}, nil
	}
	return nil, fmt.Errorf("%w: unknown type %q", ErrInvalid, s.Type)
}

// datagramLimit is the payload that fits one datagram of the server's
// MTU: the MTU minus the IP and UDP headers of the address family.
func datagramLimit(mtu int, addr net.Addr) int {
	overhead := 20 + 8
	if ua, ok := addr.(*net.UDPAddr); ok && ua.IP.To4() == nil {
		overhead = 40 + 8
	}
	return mtu - overhead
}

// batches splits newline-terminated lines into chunks of at most limit
// bytes, on line boundaries; a line longer than limit is a chunk of its
// own.
func batches(data []byte, limit int) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		if len(data) <= limit {
			out = append(out, data)
			break
		}
		cut := bytes.LastIndexByte(data[:limit], '\n') + 1
		if cut == 0 {
			cut = bytes.IndexByte(data, '\n') + 1
			if cut == 0 {
				cut = len(data)
			}
		}
		out = append(out, data[:cut])
		data = data[cut:]
	}
	return out
}

// sendUDP writes data in datagrams that fit the MTU.
func sendUDP(ctx context.Context, srv Server, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", srv.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	limit := datagramLimit(srv.EffectiveMTU(), conn.RemoteAddr())
	deadline := time.Now().Add(srv.EffectiveTimeout())
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetWriteDeadline(deadline)
	for _, b := range batches(data, limit) {
		if _, err := conn.Write(b); err != nil {
			return err
		}
	}
	return nil
}

type graphiteSender struct{ srv Server }

func (g *graphiteSender) Close() error { return nil }

func (g *graphiteSender) Send(ctx context.Context, points []Point) error {
	var data []byte
	prefix := cmpOr(g.srv.Path, DefaultPath)
	for _, p := range points {
		data = AppendGraphite(data, prefix, p)
	}
	if len(data) == 0 {
		return nil
	}
	if g.srv.EffectiveProto() == UDP {
		return wrapSend(g.srv, sendUDP(ctx, g.srv, data))
	}
	// TCP: a connect and a write timeout, so that a dead server never
	// blocks the caller for long.
	timeout := g.srv.EffectiveTimeout()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(cctx, "tcp", g.srv.Addr())
	if err != nil {
		return wrapSend(g.srv, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetWriteDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	_, err = conn.Write(data)
	return wrapSend(g.srv, err)
}

func wrapSend(s Server, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("metric server %s (%s %s://%s): %w", s.ID, s.Type, s.EffectiveProto(), s.Addr(), err)
}

// encodeLines encodes the points in line protocol, skipping those that
// cannot be encoded and returning their errors.
func encodeLines(points []Point) ([]byte, error) {
	var data []byte
	var errs []error
	for _, p := range points {
		var err error
		if data, err = AppendLine(data, p); err != nil {
			errs = append(errs, err)
		}
	}
	return data, errors.Join(errs...)
}

type influxUDPSender struct{ srv Server }

func (s *influxUDPSender) Close() error { return nil }

func (s *influxUDPSender) Send(ctx context.Context, points []Point) error {
	data, encErr := encodeLines(points)
	return errors.Join(wrapSend(s.srv, sendUDP(ctx, s.srv, data)), encErr)
}

type influxHTTPSender struct {
	srv    Server
	token  string
	url    string
	client *http.Client
}

func newInfluxHTTP(s Server, token string) *influxHTTPSender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if !s.Verify() {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &influxHTTPSender{srv: s, token: token, url: s.WriteURL(), client: &http.Client{Transport: tr, Timeout: s.EffectiveTimeout()}}
}

func (s *influxHTTPSender) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// HTTPError is a non-2xx answer of the InfluxDB write API.
type HTTPError struct {
	StatusCode int
	// Message is the server's error text (the "message" of its JSON
	// body, or the body itself), with the token removed.
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

func (s *influxHTTPSender) Send(ctx context.Context, points []Point) error {
	data, encErr := encodeLines(points)
	limit := cmpOr(s.srv.MaxBodySize, DefaultMaxBodySize)
	var errs []error
	for _, body := range batches(data, limit) {
		if err := s.post(ctx, body); err != nil {
			errs = append(errs, wrapSend(s.srv, err))
			break
		}
	}
	return errors.Join(append(errs, encErr)...)
}

func (s *influxHTTPSender) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if s.token != "" {
		req.Header.Set("Authorization", "Token "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return s.redact(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	text := strings.TrimSpace(string(msg))
	var e struct {
		Message string `json:"message"` // InfluxDB 2.x
		Error   string `json:"error"`   // InfluxDB 1.x
	}
	if json.Unmarshal(msg, &e) == nil && e.Message+e.Error != "" {
		text = e.Message + e.Error
	}
	if s.token != "" {
		text = strings.ReplaceAll(text, s.token, "<redacted>")
	}
	return &HTTPError{StatusCode: resp.StatusCode, Message: text}
}

func (s *influxHTTPSender) redact(err error) error {
	if s.token == "" || !strings.Contains(err.Error(), s.token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.token, "<redacted>"))
}
