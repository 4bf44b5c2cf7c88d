package timesync

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// chronyd's command and monitoring protocol ("candm", version 6), the
// protocol chronyc speaks to chronyd's Unix socket or UDP port 323. Only
// the monitoring requests this package needs are implemented; they are
// read-only and need no privilege over UDP from localhost.

const (
	cmdVersion    = 6
	cmdRequest    = 1
	cmdReply      = 2
	reqNSources   = 14
	reqSourceData = 15
	reqTracking   = 33
	rpyNSources   = 2
	rpySourceData = 3
	rpyTracking   = 5

	cmdReqHeader = 20 // version ... pad2
	cmdRpyHeader = 28 // version ... pad5
	ipAddrLen    = 20 // union of 16 bytes, family, padding

	// DefaultChronySocket is chronyd's command socket on Debian.
	DefaultChronySocket = "/run/chrony/chronyd.sock"
	// DefaultChronyPort is chronyd's UDP command port.
	DefaultChronyPort = 323
)

// ErrChronyStatus is matched by errors chronyd answered with a non-zero
// status (no such source, bad packet version, ...).
var ErrChronyStatus = errors.New("chronyd refused the request")

// chronyStatus names chronyd's status codes.
var chronyStatus = map[uint16]string{
	1: "failed", 2: "unauthorised", 3: "invalid", 4: "no such source", 5: "invalid timestamp",
	6: "not enabled", 7: "bad subnet", 8: "access allowed", 9: "access denied", 11: "source already known",
	12: "too many sources", 13: "no RTC", 14: "bad RTC file", 15: "inactive", 16: "bad sample",
	17: "invalid address family", 18: "bad packet version", 19: "bad packet length", 21: "invalid name",
}

// encodeCmdRequest builds a request: the header, the command's data,
// and zero padding up to the length of the reply, which chronyd requires
// so that its answers are never larger than the questions.
func encodeCmdRequest(command uint16, seq uint32, data []byte, replyData int) []byte {
	n := max(cmdReqHeader+len(data), cmdRpyHeader+replyData)
	b := make([]byte, n)
	b[0], b[1] = cmdVersion, cmdRequest
	binary.BigEndian.PutUint16(b[4:], command)
	binary.BigEndian.PutUint32(b[8:], seq)
	copy(b[cmdReqHeader:], data)
	return b
}

// decodeCmdReply checks a reply's header against the request and
// returns its data.
func decodeCmdReply(b []byte, command uint16, seq uint32, reply uint16, dataLen int) ([]byte, error) {
	if len(b) < cmdRpyHeader {
		return nil, fmt.Errorf("chronyd reply of %d bytes is too short", len(b))
	}
	if b[0] != cmdVersion || b[1] != cmdReply {
		return nil, fmt.Errorf("chronyd reply has version %d type %d, want %d %d", b[0], b[1], cmdVersion, cmdReply)
	}
	if got := binary.BigEndian.Uint32(b[16:]); got != seq {
		return nil, fmt.Errorf("chronyd reply to sequence %d, want %d", got, seq)
	}
	if got := binary.BigEndian.Uint16(b[4:]); got != command {
		return nil, fmt.Errorf("chronyd reply to command %d, want %d", got, command)
	}
	if st := binary.BigEndian.Uint16(b[8:]); st != 0 {
		msg := chronyStatus[st]
		if msg == "" {
			msg = "status " + strconv.Itoa(int(st))
		}
		return nil, fmt.Errorf("%w: %s", ErrChronyStatus, msg)
	}
	if got := binary.BigEndian.Uint16(b[6:]); got != reply {
		return nil, fmt.Errorf("chronyd reply format %d, want %d", got, reply)
	}
	if len(b) < cmdRpyHeader+dataLen {
		return nil, fmt.Errorf("chronyd reply of %d bytes, want %d", len(b), cmdRpyHeader+dataLen)
	}
	return b[cmdRpyHeader : cmdRpyHeader+dataLen], nil
}

// chronyFloat decodes candm's 32-bit float: a 7-bit signed exponent and
// a 25-bit signed coefficient, value coef * 2^(exp-25).
func chronyFloat(b []byte) float64 {
	x := binary.BigEndian.Uint32(b)
	exp := int(x >> 25)
	if exp >= 1<<6 {
		exp -= 1 << 7
	}
	coef := int(x & (1<<25 - 1))
	if coef >= 1<<24 {
		coef -= 1 << 25
	}
	return math.Ldexp(float64(coef), exp-25)
}

// chronyFloatBytes encodes f as candm's float (for tests and fakes).
func chronyFloatBytes(f float64) []byte {
	b := make([]byte, 4)
	if f == 0 || math.IsNaN(f) {
		return b
	}
	frac, exp := math.Frexp(f) // f = frac * 2^exp, 0.5 <= |frac| < 1
	// coef has 25 bits with sign: |coef| < 2^24.
	coef := int64(math.Round(frac * (1 << 24)))
	e := exp + 1 // value = coef * 2^(e-25)
	if coef == 1<<24 || coef == -(1<<24) {
		coef /= 2
		e++
	}
	e = min(max(e, -64), 63)
	binary.BigEndian.PutUint32(b, uint32(e&0x7f)<<25|uint32(coef)&(1<<25-1))
	return b
}

// chronyIP decodes candm's IPAddr; ok is false for an unspecified or
// reference-ID address.
func chronyIP(b []byte) (netip.Addr, bool) {
	switch binary.BigEndian.Uint16(b[16:]) {
	case 1:
		return netip.AddrFrom4([4]byte(b[:4])), true
	case 2:
		return netip.AddrFrom16([16]byte(b[:16])), true
	}
	return netip.Addr{}, false
}

// chronyTime decodes candm's Timespec.
func chronyTime(b []byte) time.Time {
	hi := binary.BigEndian.Uint32(b)
	lo := binary.BigEndian.Uint32(b[4:])
	ns := binary.BigEndian.Uint32(b[8:])
	sec := int64(lo)
	if hi != 0x7fffffff {
		sec |= int64(hi) << 32
	}
	if sec == 0 && ns == 0 {
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

var leapNames = []string{LeapNormal, LeapInsert, LeapDelete, LeapNotSynchronised}

const trackingLen = 4 + ipAddrLen + 2 + 2 + 12 + 9*4

// decodeTracking decodes RPY_Tracking.
func decodeTracking(d []byte) *Tracking {
	refID := binary.BigEndian.Uint32(d)
	t := &Tracking{RefID: fmt.Sprintf("%08X", refID)}
	if ip, ok := chronyIP(d[4:]); ok {
		t.RefName = ip.String()
	} else if refID != 0 {
		// A reference clock: its ID is four ASCII characters.
		t.RefName = strings.TrimRight(string(d[0:4]), "\x00 ")
	}
	t.Stratum = int(binary.BigEndian.Uint16(d[24:]))
	if leap := int(binary.BigEndian.Uint16(d[26:])); leap < len(leapNames) {
		t.Leap = leapNames[leap]
	}
	t.RefTime = chronyTime(d[28:])
	f := func(i int) float64 { return chronyFloat(d[40+4*i:]) }
	t.Offset = -f(0)
	t.LastOffset, t.RMSOffset = f(1), f(2)
	t.Frequency, t.ResidualFreq, t.Skew = f(3), f(4), f(5)
	t.RootDelay, t.RootDispersion, t.UpdateInterval = f(6), f(7), f(8)
	return t
}

const sourceDataLen = ipAddrLen + 6*2 + 4 + 3*4

var (
	sourceModes  = []string{"^", "=", "#"}
	sourceStates = []string{"*", "?", "x", "~", "-", "+"}
)

// decodeSourceData decodes RPY_Source_Data.
func decodeSourceData(d []byte) SourceState {
	var s SourceState
	ip, ok := chronyIP(d)
	if ok {
		s.Address = ip.String()
	} else {
		s.Address = strings.TrimRight(string(d[:4]), "\x00 ")
	}
	s.Poll = int(int16(binary.BigEndian.Uint16(d[20:])))
	s.Stratum = int(binary.BigEndian.Uint16(d[22:]))
	if st := int(binary.BigEndian.Uint16(d[24:])); st < len(sourceStates) {
		s.State = sourceStates[st]
	}
	if m := int(binary.BigEndian.Uint16(d[26:])); m < len(sourceModes) {
		s.Mode = sourceModes[m]
	}
	s.Reach = uint8(binary.BigEndian.Uint16(d[30:]))
	s.LastRx = int64(binary.BigEndian.Uint32(d[32:]))
	if s.LastRx == math.MaxUint32 {
		s.LastRx = -1
	}
	s.Measured = chronyFloat(d[36:])
	s.Offset = chronyFloat(d[40:])
	s.Error = chronyFloat(d[44:])
	return s
}

// ChronyConn is a connection to chronyd's command port: the Unix socket
// or UDP. It asks chronyd directly what chronyc would print, without
// running chronyc.
type ChronyConn struct {
	conn  net.Conn
	local string // the Unix socket this side bound, removed by Close
	seq   uint32
}

// DialChrony connects to chronyd. addr is a Unix socket path or
// host[:port] (port 323 by default); "" means DefaultChronySocket when it
// can be used, else 127.0.0.1:323. Over the Unix socket this side binds a
// socket of its own next to chronyd's, which needs write access to that
// directory (root, or chronyd's user); monitoring over UDP needs none.
func DialChrony(ctx context.Context, addr string) (*ChronyConn, error) {
	if addr == "" {
		// As chronyc: the socket when it can be used, else UDP (which
		// is enough for monitoring, and works without root).
		if _, err := os.Stat(DefaultChronySocket); err == nil {
			if c, err := DialChrony(ctx, DefaultChronySocket); err == nil {
				return c, nil
			}
		}
		addr = "127.0.0.1"
	}
	var seq [4]byte
	rand.Read(seq[:])
	c := &ChronyConn{seq: binary.BigEndian.Uint32(seq[:])}
	if strings.HasPrefix(addr, "/") {
		c.local = filepath.Join(filepath.Dir(addr), fmt.Sprintf("hostadm.%d.%08x.sock", os.Getpid(), c.seq))
		conn, err := net.DialUnix("unixgram", &net.UnixAddr{Name: c.local, Net: "unixgram"}, &net.UnixAddr{Name: addr, Net: "unixgram"})
		if err != nil {
			return nil, err
		}
		// chronyd answers from its own user: let it write to our socket.
		os.Chmod(c.local, 0o666)
		c.conn = conn
		return c, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), strconv.Itoa(DefaultChronyPort))
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	c.conn = conn
	return c, nil
}

// Close closes the connection and removes this side's socket.
func (c *ChronyConn) Close() error {
	err := c.conn.Close()
	if c.local != "" {
		os.Remove(c.local)
	}
	return err
}

// request sends a command and waits for its reply, resending a few
// times as chronyc does (UDP may drop datagrams).
func (c *ChronyConn) request(ctx context.Context, command uint16, data []byte, reply uint16, replyLen int) ([]byte, error) {
	c.seq++
	req := encodeCmdRequest(command, c.seq, data, replyLen)
	buf := make([]byte, 2048)
	var lastErr error
	for attempt := range 4 {
		binary.BigEndian.PutUint16(req[6:], uint16(attempt))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(time.Duration(200<<attempt) * time.Millisecond)
		if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
			deadline = dl
		}
		c.conn.SetDeadline(deadline)
		if _, err := c.conn.Write(req); err != nil {
			return nil, err
		}
		for {
			n, err := c.conn.Read(buf)
			if err != nil {
				lastErr = err
				break
			}
			if n >= cmdRpyHeader && binary.BigEndian.Uint32(buf[16:]) != c.seq {
				continue // a late answer to an earlier attempt
			}
			return decodeCmdReply(buf[:n], command, c.seq, reply, replyLen)
		}
		var ne net.Error
		if !errors.As(lastErr, &ne) || !ne.Timeout() {
			return nil, lastErr
		}
	}
	return nil, fmt.Errorf("chronyd did not answer: %w", lastErr)
}

// Tracking returns chronyd's tracking report (chronyc tracking).
func (c *ChronyConn) Tracking(ctx context.Context) (*Tracking, error) {
	d, err := c.request(ctx, reqTracking, nil, rpyTracking, trackingLen)
	if err != nil {
		return nil, err
	}
	return decodeTracking(d), nil
}

// Sources returns the state of chronyd's sources (chronyc sources).
func (c *ChronyConn) Sources(ctx context.Context) ([]SourceState, error) {
	d, err := c.request(ctx, reqNSources, nil, rpyNSources, 4)
	if err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(d)
	if n > 65536 {
		return nil, fmt.Errorf("chronyd reports %d sources", n)
	}
	out := make([]SourceState, 0, n)
	for i := range n {
		idx := make([]byte, 4)
		binary.BigEndian.PutUint32(idx, i)
		d, err := c.request(ctx, reqSourceData, idx, rpySourceData, sourceDataLen)
		if errors.Is(err, ErrChronyStatus) {
			continue // the source went away meanwhile
		}
		if err != nil {
			return out, err
		}
		out = append(out, decodeSourceData(d))
	}
	return out, nil
}
