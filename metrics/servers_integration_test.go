//go:build integration

package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/testenv"
)

// process is a server started by a test on loopback, stopped at the
// end of the test.
type process struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProcess(t *testing.T, argv ...string) *process {
	t.Helper()
	p := &process{done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	// A port free for both TCP and UDP.
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func waitTCP(t *testing.T, p *process, port int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("server exited:\n%s", p.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("port %d not listening after 30s:\n%s", port, p.Output())
}

// fixturePoints are the fixture host's metrics stamped now.
func fixturePoints(t *testing.T) []Point {
	t.Helper()
	c, err := NewCollector(&CollectorConfig{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pts, err := c.Collect()
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

// TestCarbon sends the fixture host's metrics to Graphite's carbon-cache
// (Debian's graphite-carbon) over UDP and TCP and reads them back from
// the whisper files it writes.
func TestCarbon(t *testing.T) {
	testenv.RequireTool(t, "carbon-cache", "whisper-fetch")
	dir := t.TempDir()
	port, pickle, query := freePort(t), freePort(t), freePort(t)
	conf := fmt.Sprintf(`[cache]
STORAGE_DIR = %[1]s/storage/
LOCAL_DATA_DIR = %[1]s/storage/whisper/
WHITELISTS_DIR = %[1]s/storage/lists/
CONF_DIR = %[1]s/
LOG_DIR = %[1]s/log/
PID_DIR = %[1]s/
ENABLE_LOGROTATION = False
ENABLE_TAGS = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = %[2]d
ENABLE_UDP_LISTENER = True
UDP_RECEIVER_INTERFACE = 127.0.0.1
UDP_RECEIVER_PORT = %[2]d
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = %[3]d
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = %[4]d
WHISPER_AUTOFLUSH = True
`, dir, port, pickle, query)
	os.WriteFile(filepath.Join(dir, "carbon.conf"), []byte(conf), 0o644)
	os.WriteFile(filepath.Join(dir, "storage-schemas.conf"), []byte("[default]\npattern = .*\nretentions = 1s:1h\n"), 0o644)
	p := startProcess(t, "carbon-cache", "--config="+filepath.Join(dir, "carbon.conf"), "--nodaemon", "--pidfile="+filepath.Join(dir, "carbon.pid"), "start")
	waitTCP(t, p, port)

	pts := fixturePoints(t)
	ctx := context.Background()
	for _, proto := range []string{UDP, TCP} {
		s, err := NewSender(Server{Type: Graphite, ID: "carbon", Server: "127.0.0.1", Port: port, Proto: proto, Path: "pve-" + proto, MTU: 1500}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, pts); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{
		"nodes/pve1/nics/eno1/receive.wsp":       2153428760112,
		"nodes/pve1/memory/memtotal.wsp":         65755012 * 1024,
		"nodes/pve1/blockstat/sda/read_ios.wsp":  21834193,
		"nodes/pve1/cpustat/cpus.wsp":            8,
		"nodes/pve1/uptime.wsp":                  1209600,
		"nodes/pve1/cpustat/avg15.wsp":           0.91,
		"nodes/pve1/nics/tap100i0/transmit.wsp":  981232331,
		"nodes/pve1/blockstat/dm-1/io_ticks.wsp": 95123123,
	}
	var lines int
	for _, p := range pts {
		lines += bytes.Count(AppendGraphite(nil, "x", p), []byte("\n"))
	}
	for _, proto := range []string{UDP, TCP} {
		base := filepath.Join(dir, "storage/whisper/pve-"+proto)
		deadline := time.Now().Add(30 * time.Second)
		var files []string
		for time.Now().Before(deadline) {
			files = nil
			filepath.Walk(base, func(path string, info os.FileInfo, err error) error {
				if err == nil && strings.HasSuffix(path, ".wsp") {
					files = append(files, path)
				}
				return nil
			})
			if len(files) == lines {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(files) != lines {
			t.Fatalf("%s: %d whisper files, want one per metric (%d):\n%s", proto, len(files), lines, p.Output())
		}
		for rel, v := range want {
			out, err := exec.Command("whisper-fetch", "--json", "--from", fmt.Sprint(time.Now().Add(-10*time.Minute).Unix()), filepath.Join(base, rel)).Output()
			if err != nil {
				t.Errorf("%s %s: %v", proto, rel, err)
				continue
			}
			var res struct{ Values []*float64 }
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
			var got []float64
			for _, x := range res.Values {
				if x != nil {
					got = append(got, *x)
				}
			}
			if len(got) != 1 || got[0] != v {
				t.Errorf("%s %s: stored %v, want %v", proto, rel, got, v)
			}
		}
	}
}

// influxd is InfluxDB 1.x from Debian's package, on loopback with its
// data in the test's directory.
type influxd struct {
	http, udp int
}

func startInfluxd(t *testing.T) *influxd {
	t.Helper()
	testenv.RequireTool(t, "influxd")
	dir := t.TempDir()
	d := &influxd{http: freePort(t), udp: freePort(t)}
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%[4]d"
[meta]
  dir = "%[1]s/meta"
[data]
  dir = "%[1]s/data"
  wal-dir = "%[1]s/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:%[2]d"
  log-enabled = false
[[udp]]
  enabled = true
  bind-address = "127.0.0.1:%[3]d"
  database = "proxmox"
  batch-size = 1000
  batch-timeout = "50ms"
[monitor]
  store-enabled = false
`, dir, d.http, d.udp, freePort(t))
	os.WriteFile(filepath.Join(dir, "influxdb.conf"), []byte(conf), 0o644)
	p := startProcess(t, "influxd", "run", "-config", filepath.Join(dir, "influxdb.conf"))
	waitTCP(t, p, d.http)
	if _, err := d.query("", "CREATE DATABASE proxmox"); err != nil {
		t.Fatal(err)
	}
	return d
}

type series struct {
	Name    string
	Tags    map[string]string
	Columns []string
	Values  [][]any
}

func (d *influxd) query(db, q string) ([]series, error) {
	resp, err := http.PostForm(fmt.Sprintf("http://127.0.0.1:%d/query?db=%s&epoch=ns", d.http, url.QueryEscape(db)), url.Values{"q": {q}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var res struct {
		Results []struct {
			Series []series
			Error  string
		}
		Error string
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	if res.Error != "" {
		return nil, fmt.Errorf("%s", res.Error)
	}
	if len(res.Results) == 0 {
		return nil, nil
	}
	if res.Results[0].Error != "" {
		return nil, fmt.Errorf("%s", res.Results[0].Error)
	}
	return res.Results[0].Series, nil
}

// tricky are points whose names need every escape of the line protocol.
func tricky(now time.Time) []Point {
	return []Point{
		{Measurement: "my meas,x", Tags: []Tag{{"object", "nodes"}, {"ta g", "v=1,2"}}, Fields: []Field{{"f,k=", `say "hi" \o/`}, {"n", 1.5}, {"bad", nanValue()}}, Time: now},
		{Measurement: "cpustat_test", Tags: []Tag{{"object", "nodes"}, {"host", "pve1"}}, Fields: []Field{{"cpu", 0.25}, {"cpus", int64(8)}, {"big", uint64(1) << 40}}, Time: now},
	}
}

func nanValue() float64 { var z float64; return z / z }

func checkInflux(t *testing.T, d *influxd, what string, now time.Time) {
	t.Helper()
	var got []series
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, err = d.query("proxmox", `SELECT * FROM "my meas,x", "cpustat_test" GROUP BY *`)
		if err == nil && len(got) == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 2 {
		t.Fatalf("%s: series %+v, %v", what, got, err)
	}
	for _, s := range got {
		row := map[string]any{}
		for i, c := range s.Columns {
			row[c] = s.Values[len(s.Values)-1][i]
		}
		switch s.Name {
		case "my meas,x":
			if s.Tags["ta g"] != "v=1,2" || row["f,k="] != `say "hi" \o/` || row["n"] != 1.5 || row["bad"] != nil {
				t.Errorf("%s: escaped point read back as tags %v row %v", what, s.Tags, row)
			}
		case "cpustat_test":
			if s.Tags["host"] != "pve1" || row["cpu"] != 0.25 || row["cpus"] != float64(8) || row["big"] != float64(1<<40) {
				t.Errorf("%s: cpustat read back as tags %v row %v", what, s.Tags, row)
			}
		}
		if ts, ok := row["time"].(float64); !ok || int64(ts)/1e9 != now.UnixNano()/1e9 {
			t.Errorf("%s: time %v, want %d ns", what, row["time"], now.UnixNano())
		}
	}
}

// TestInfluxUDPServer sends line protocol over UDP to a real InfluxDB's
// UDP listener and reads it back with InfluxQL.
func TestInfluxUDPServer(t *testing.T) {
	d := startInfluxd(t)
	now := time.Now().Truncate(time.Second).Add(123456789)
	s, _ := NewSender(Server{Type: InfluxDB, ID: "influx", Server: "127.0.0.1", Port: d.udp, MTU: 512}, "")
	if err := s.Send(context.Background(), append(tricky(now), fixturePoints(t)...)); err != nil {
		t.Fatal(err)
	}
	checkInflux(t, d, "udp", now)
	// The fixture's points arrived in several MTU-sized datagrams.
	got, err := d.query("proxmox", `SELECT count("read_ios") FROM "blockstat"`)
	if err != nil || len(got) != 1 || got[0].Values[0][1] != float64(6) {
		t.Errorf("blockstat count: %+v %v", got, err)
	}
}

// TestInfluxHTTPServer sends through the v2 write API. InfluxDB from
// Debian's package (1.6) predates the v2 compatibility endpoint of 1.8,
// so a test server checks each request against the v2 API's rules and
// hands the body to the real server's /write.
func TestInfluxHTTPServer(t *testing.T) {
	d := startInfluxd(t)
	v2 := &v2Server{t: t, token: "user:pass", org: "proxmox", bucket: "proxmox", maxBody: 1000}
	v2.forward = func(body []byte) error {
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/write?db=proxmox&precision=ns", d.http), "text/plain", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			return fmt.Errorf("influxd: %s: %s", resp.Status, b.String())
		}
		return nil
	}
	ts := httptest.NewServer(v2)
	defer ts.Close()
	now := time.Now().Truncate(time.Second).Add(987654321)
	srv := Server{Type: InfluxDB, ID: "influx", Server: "127.0.0.1", Port: ts.Listener.Addr().(*net.TCPAddr).Port, InfluxDBProto: HTTP, MaxBodySize: 1000}
	s, _ := NewSender(srv, "user:pass")
	if err := s.Send(context.Background(), append(tricky(now), fixturePoints(t)...)); err != nil {
		t.Fatal(err)
	}
	if v2.requests < 2 {
		t.Errorf("%d requests; max-body-size 1000 needs several", v2.requests)
	}
	checkInflux(t, d, "http", now)
}
