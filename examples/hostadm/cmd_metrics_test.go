package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/metrics"
)

func TestMetricsCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "metrics", "servers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "Uy9xR1") {
		t.Error("token printed")
	}
	var srvs []metrics.Server
	if err := json.Unmarshal([]byte(out), &srvs); err != nil || len(srvs) != 3 || srvs[1].Bucket != "pve" {
		t.Errorf("servers = %+v, %v", srvs, err)
	}

	// send-once to a Graphite and an InfluxDB UDP listener on loopback.
	root := copyFixture(t)
	g, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer g.Close()
	i, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer i.Close()
	cfg := fmt.Sprintf("graphite: carbon\n\tserver 127.0.0.1\n\tport %d\n\tpath lab\n\ninfluxdb: influx\n\tserver 127.0.0.1\n\tport %d\n\ninfluxdb: off\n\tserver 192.0.2.1\n\tdisable 1\n",
		g.LocalAddr().(*net.UDPAddr).Port, i.LocalAddr().(*net.UDPAddr).Port)
	os.WriteFile(filepath.Join(root, "etc/pve/status.cfg"), []byte(cfg), 0o640)
	out, stderr, code = runAdm(t, "--root", root, "metrics", "send-once")
	if code != 0 || !strings.Contains(out, "carbon: sent ") || !strings.Contains(out, "influx: sent ") || strings.Contains(out, "off:") {
		t.Fatalf("send-once: exit %d: %s%s", code, out, stderr)
	}
	read := func(pc net.PacketConn) []byte {
		var all []byte
		buf := make([]byte, 65536)
		for {
			pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return all
			}
			all = append(all, buf[:n]...)
		}
	}
	if b := read(g); !bytes.Contains(b, []byte("lab.nodes.pve1.nics.eno1.receive 2153428760112 ")) {
		t.Errorf("graphite got:\n%s", b)
	}
	pts, err := metrics.ParseLines(read(i))
	if err != nil || len(pts) < 10 {
		t.Errorf("influx got %d points, %v", len(pts), err)
	}
	if _, stderr, code := runAdm(t, "--root", root, "metrics", "send-once", "nope"); code != 2 || !strings.Contains(stderr, "no metric server") {
		t.Errorf("unknown id: exit %d: %s", code, stderr)
	}
	out, _, code = runAdm(t, "--root", root, "metrics", "send-once", "--dry-run", "--node", "pve9")
	if code != 0 || !strings.HasPrefix(out, "system,object=nodes,host=pve9 uptime=1209600 ") {
		t.Errorf("dry run: exit %d:\n%s", code, out)
	}
}
