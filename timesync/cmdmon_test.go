package timesync

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestChronyFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 1e-9, -3.3e-6, 123456.789, 0.04, 2000, -1e9} {
		got := chronyFloat(chronyFloatBytes(f))
		if math.Abs(got-f) > math.Abs(f)*1e-7 {
			t.Errorf("float %g -> %g", f, got)
		}
	}
	// A value chronyd sent: exponent -1 (0x7f), coefficient 2^24-1.
	if got := chronyFloat([]byte{0xfe, 0xff, 0xff, 0xff}); math.Abs(got-(float64(1<<24-1)/(1<<26))) > 1e-12 {
		t.Errorf("decoded %g", got)
	}
}

// fakeChronyd answers candm requests on loopback the way chronyd does,
// and fails the test on requests chronyd would refuse.
func fakeChronyd(t *testing.T, tracking []byte, sources [][]byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := buf[:n]
			cmd := binary.BigEndian.Uint16(req[4:])
			var reply uint16
			var data []byte
			status := uint16(0)
			switch cmd {
			case reqTracking:
				reply, data = rpyTracking, tracking
			case reqNSources:
				reply, data = rpyNSources, binary.BigEndian.AppendUint32(nil, uint32(len(sources)))
			case reqSourceData:
				i := binary.BigEndian.Uint32(req[cmdReqHeader:])
				reply = rpySourceData
				if int(i) < len(sources) {
					data = sources[i]
				} else {
					status = 4
				}
			}
			if req[0] != cmdVersion || req[1] != cmdRequest || n < cmdRpyHeader+len(data) {
				t.Errorf("bad request %x (reply would be %d bytes)", req, cmdRpyHeader+len(data))
				status = 19
			}
			rpy := make([]byte, cmdRpyHeader, cmdRpyHeader+len(data))
			rpy[0], rpy[1] = cmdVersion, cmdReply
			binary.BigEndian.PutUint16(rpy[4:], cmd)
			binary.BigEndian.PutUint16(rpy[6:], reply)
			binary.BigEndian.PutUint16(rpy[8:], status)
			copy(rpy[16:20], req[8:12])
			pc.WriteTo(append(rpy, data...), from)
		}
	}()
	return pc.LocalAddr().String()
}

func ipv4(a, b, c, d byte) []byte {
	ip := make([]byte, ipAddrLen)
	copy(ip, []byte{a, b, c, d})
	binary.BigEndian.PutUint16(ip[16:], 1)
	return ip
}

func TestChronyConn(t *testing.T) {
	tr := binary.BigEndian.AppendUint32(nil, 0x7F000001)
	tr = append(tr, ipv4(127, 0, 0, 1)...)
	tr = binary.BigEndian.AppendUint16(tr, 9)
	tr = binary.BigEndian.AppendUint16(tr, 0)
	tr = binary.BigEndian.AppendUint32(tr, 0x7fffffff)
	tr = binary.BigEndian.AppendUint32(tr, 1795647844)
	tr = binary.BigEndian.AppendUint32(tr, 827953201)
	for _, f := range []float64{-0.0000019, 1.4e-8, 3e-8, 0.04, 0.002, 0.099, 5.912e-6, 9.99e-7, 0.1} {
		tr = append(tr, chronyFloatBytes(f)...)
	}
	src := func(ip []byte, poll int16, stratum, state, mode, reach uint16, since uint32, meas ...float64) []byte {
		b := append([]byte(nil), ip...)
		for _, v := range []uint16{uint16(poll), stratum, state, mode, 0, reach} {
			b = binary.BigEndian.AppendUint16(b, v)
		}
		b = binary.BigEndian.AppendUint32(b, since)
		for _, f := range meas {
			b = append(b, chronyFloatBytes(f)...)
		}
		return b
	}
	addr := fakeChronyd(t, tr, [][]byte{
		src(ipv4(127, 0, 0, 1), -4, 8, 0, 0, 0o377, 0, 9e-8, 7.6e-8, 3.349e-6),
		src(ipv4(127, 0, 0, 2), 6, 0, 1, 0, 0, math.MaxUint32, 0, 0, 0),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := newTestClient(t, &Config{Daemon: Chrony, ChronyAddress: addr})
	got, err := c.Tracking(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ParseTracking(readTestdata(t, "tracking.csv"))
	approx := cmpopts.EquateApprox(1e-6, 1e-12)
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("tracking mismatch (-want +got):\n%s", diff)
	}
	states, err := c.SourceStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantStates, _ := ParseSources(readTestdata(t, "sources.csv"))
	if diff := cmp.Diff(wantStates, states, approx); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}

	// Nobody listening: the connection is refused, not hung.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close()
	conn, err := DialChrony(ctx, dead)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Tracking(ctx); err == nil {
		t.Error("tracking from nobody")
	}
}

func TestDecodeCmdReply(t *testing.T) {
	req := encodeCmdRequest(reqTracking, 7, nil, trackingLen)
	if len(req) != cmdRpyHeader+trackingLen || req[0] != 6 || req[1] != 1 {
		t.Fatalf("request %x", req)
	}
	rpy := make([]byte, cmdRpyHeader+trackingLen)
	rpy[0], rpy[1] = 6, 2
	binary.BigEndian.PutUint16(rpy[4:], reqTracking)
	binary.BigEndian.PutUint16(rpy[6:], rpyTracking)
	binary.BigEndian.PutUint32(rpy[16:], 7)
	if _, err := decodeCmdReply(rpy, reqTracking, 7, rpyTracking, trackingLen); err != nil {
		t.Error(err)
	}
	binary.BigEndian.PutUint16(rpy[8:], 18)
	if _, err := decodeCmdReply(rpy, reqTracking, 7, rpyTracking, trackingLen); !errors.Is(err, ErrChronyStatus) || err.Error() != "chronyd refused the request: bad packet version" {
		t.Errorf("status: %v", err)
	}
	for _, bad := range [][]byte{rpy[:10], append([]byte{5}, rpy[1:]...)} {
		if _, err := decodeCmdReply(bad, reqTracking, 7, rpyTracking, trackingLen); err == nil {
			t.Errorf("accepted %x", bad)
		}
	}
}

// FuzzCmdReply feeds arbitrary datagrams to the reply decoder: an error
// or a decoded report, never a panic.
func FuzzCmdReply(f *testing.F) {
	rpy := make([]byte, cmdRpyHeader+trackingLen)
	rpy[0], rpy[1] = 6, 2
	binary.BigEndian.PutUint16(rpy[4:], reqTracking)
	binary.BigEndian.PutUint16(rpy[6:], rpyTracking)
	f.Add(rpy)
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := decodeCmdReply(b, reqTracking, 0, rpyTracking, trackingLen); err == nil {
			decodeTracking(d)
		}
		if d, err := decodeCmdReply(b, reqSourceData, 0, rpySourceData, sourceDataLen); err == nil {
			decodeSourceData(d)
		}
		if len(b) >= 4 {
			chronyFloat(b)
		}
	})
}
