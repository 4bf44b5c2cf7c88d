//go:build integration

package timesync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/netcfg/ifquerytest"
)

// chronyd is one chronyd started by a test: never the system service,
// never touching this machine's clock (-x), with its own config, pid
// file, command socket and ports on loopback.
type chronyd struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func (d *chronyd) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.Write(p)
}

func (d *chronyd) Log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

func (d *chronyd) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

func startChronyd(t testing.TB, bin, conf string) *chronyd {
	t.Helper()
	d := &chronyd{done: make(chan struct{})}
	d.cmd = exec.Command(bin, "-x", "-d", "-u", "root", "-f", conf)
	d.cmd.Stdout, d.cmd.Stderr = d, d
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)
	return d
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// chronyServer starts a chronyd serving its local clock at stratum 8 on
// addr:port.
func chronyServer(t testing.TB, bin, addr string, port int) *chronyd {
	dir := t.TempDir()
	conf := filepath.Join(dir, "server.conf")
	text := fmt.Sprintf("port %d\nbindaddress %s\nallow 127.0.0.0/8\nlocal stratum 8\ncmdport 0\npidfile %s/chronyd.pid\nbindcmdaddress %s/chronyd.sock\n", port, addr, dir, dir)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return startChronyd(t, bin, conf)
}

// waitSelected polls chronyd until it selected a source, and returns it.
func waitSelected(t testing.TB, c *Client, d *chronyd) *Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tr, terr := c.Tracking(context.Background())
		ss, serr := c.SourceStates(context.Background())
		if terr == nil && serr == nil && tr.Synchronised() {
			return &Status{Tracking: tr, States: ss, Selected: tr.RefName}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("chronyd selected no source within 30s; log:\n%s", d.Log())
	return nil
}

func TestChronydLoopback(t *testing.T) {
	testenv.RequireRoot(t)
	dir := ifquerytest.Unpacked(t, "chrony", "chrony")
	bin := filepath.Join(dir, "usr/sbin/chronyd")
	chronyc := filepath.Join(dir, "usr/bin/chronyc")

	portA, portB := freeUDPPort(t), freeUDPPort(t)
	chronyServer(t, bin, "127.0.0.1", portA)
	chronyServer(t, bin, "127.0.0.3", portB)

	// The client's chrony.conf lives in a root of its own and is edited
	// through the package, as on a host.
	root := t.TempDir()
	run := filepath.Join(root, "run")
	os.MkdirAll(run, 0o700)
	cmdport := freeUDPPort(t)
	base := strings.Join([]string{
		"# test client",
		"pool 2.debian.pool.ntp.org iburst",
		"port 0",
		fmt.Sprintf("cmdport %d", cmdport),
		"bindcmdaddress 127.0.0.1",
		"bindcmdaddress " + run + "/chronyd.sock",
		"pidfile " + run + "/chronyd.pid",
		"sourcedir /etc/chrony/sources.d",
		"",
	}, "\n")
	os.MkdirAll(filepath.Join(root, "etc/chrony/sources.d"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/chrony/chrony.conf"), []byte(base), 0o644)
	c := newTestClient(t, &Config{Root: root, Daemon: Chrony, Chronyc: chronyc, ChronyAddress: fmt.Sprintf("127.0.0.1:%d", cmdport)})
	ctx := context.Background()
	fast := []Option{{Name: "port", Value: fmt.Sprint(portA)}, {Name: "iburst"}, {Name: "minpoll", Value: "-2"}, {Name: "maxpoll", Value: "-2"}}
	if err := c.ReplaceSources(ctx, []Source{{Type: Server, Address: "127.0.0.1", Options: fast}}); err != nil {
		t.Fatal(err)
	}
	// chronyd reads the file the package wrote; its sourcedir path is
	// the host's, so chronyd gets a copy that points into the root.
	hostConf := func() string {
		b, err := os.ReadFile(filepath.Join(root, "etc/chrony/chrony.conf"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(run, "chrony.conf")
		os.WriteFile(p, bytes.ReplaceAll(b, []byte("sourcedir /etc"), []byte("sourcedir "+root+"/etc")), 0o644)
		return p
	}
	client := startChronyd(t, bin, hostConf())
	st := waitSelected(t, c, client)
	if st.Selected != "127.0.0.1" || !st.States[0].Selected() || st.Tracking.Stratum != 9 {
		t.Errorf("selected %q, states %+v, tracking %+v", st.Selected, st.States, st.Tracking)
	}
	if r, n := st.Reachable(); r != 1 || n != 1 {
		t.Errorf("reachable %d of %d", r, n)
	}
	// The log line the admin guide looks for.
	deadline := time.Now().Add(5 * time.Second)
	var evs []Event
	for time.Now().Before(deadline) {
		evs, _ = ParseChronyLog(strings.NewReader(client.Log()))
		if hasSelected(evs, "127.0.0.1") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !hasSelected(evs, "127.0.0.1") {
		t.Errorf("no \"Selected source 127.0.0.1\" in chronyd's log:\n%s", client.Log())
	}

	// The package's own command protocol client agrees with chronyc,
	// over UDP and over the Unix socket.
	for _, addr := range []string{fmt.Sprintf("127.0.0.1:%d", cmdport), run + "/chronyd.sock"} {
		nc := newTestClient(t, &Config{Root: root, Daemon: Chrony, ChronyAddress: addr})
		// Between two chronyc readings of the same clock update, the
		// native reading must match chronyc to its printed precision.
		var tr, want *Tracking
		for range 50 {
			before, err1 := c.Tracking(ctx)
			native, err2 := nc.Tracking(ctx)
			after, err3 := c.Tracking(ctx)
			if err := errors.Join(err1, err2, err3); err != nil {
				t.Fatalf("%s: tracking: %v", addr, err)
			}
			if before.RefTime.Equal(after.RefTime) && before.UpdateInterval == after.UpdateInterval {
				tr, want = native, after
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if tr == nil {
			t.Fatalf("%s: chronyd never held still between two readings", addr)
		}
		near := func(a, b, abs float64) bool { return math.Abs(a-b) <= abs+math.Abs(b)*1e-6 }
		if tr.RefID != want.RefID || tr.RefName != want.RefName || tr.Stratum != want.Stratum || tr.Leap != want.Leap ||
			tr.RefTime.Sub(want.RefTime).Abs() > time.Microsecond ||
			!near(tr.Offset, want.Offset, 1e-6) || !near(tr.LastOffset, want.LastOffset, 2e-9) || !near(tr.RMSOffset, want.RMSOffset, 2e-9) ||
			!near(tr.Frequency, want.Frequency, 0.001) || !near(tr.ResidualFreq, want.ResidualFreq, 0.001) || !near(tr.Skew, want.Skew, 0.001) ||
			!near(tr.RootDelay, want.RootDelay, 2e-9) || !near(tr.RootDispersion, want.RootDispersion, 2e-5) || !near(tr.UpdateInterval, want.UpdateInterval, 0.05) {
			t.Errorf("%s: native tracking\n%+v\nchronyc\n%+v", addr, tr, want)
		}
		// The same for the sources: compare only while chronyc sees the
		// same reach before and after.
		var ss, wantSS []SourceState
		for range 50 {
			before, err1 := c.SourceStates(ctx)
			native, err2 := nc.SourceStates(ctx)
			after, err3 := c.SourceStates(ctx)
			if err := errors.Join(err1, err2, err3); err != nil {
				t.Fatalf("%s: sources: %v", addr, err)
			}
			if len(before) == len(after) && len(before) > 0 && before[0].Reach == after[0].Reach && before[0].State == after[0].State {
				ss, wantSS = native, after
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(ss) != len(wantSS) || len(ss) == 0 {
			t.Fatalf("%s: native sources %+v, chronyc %+v", addr, ss, wantSS)
		}
		for i := range ss {
			a, b := ss[i], wantSS[i]
			if a.Address != b.Address || a.Mode != b.Mode || a.State != b.State || a.Stratum != b.Stratum || a.Poll != b.Poll || a.Reach != b.Reach || math.Abs(a.Error-b.Error) > 0.001 {
				t.Errorf("%s: native source %+v, chronyc %+v", addr, a, b)
			}
		}
	}
	ents, _ := os.ReadDir(run)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "hostadm.") {
			t.Errorf("client socket left behind: %s", e.Name())
		}
	}

	// The command socket answers too.
	cs := newTestClient(t, &Config{Root: root, Daemon: Chrony, Chronyc: chronyc, ChronyAddress: run + "/chronyd.sock"})
	if tr, err := cs.Tracking(ctx); err != nil || tr.RefName != "127.0.0.1" {
		t.Errorf("tracking over the Unix socket: %+v, %v", tr, err)
	}

	// A source added to sources.d is picked up by "reload sources"
	// without a restart; removing the first one moves chronyd over.
	f, err := os.Create(filepath.Join(root, "etc/chrony/sources.d/b.sources"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := c.editChrony(ctx, func(files []chronyFile) error {
		for _, fl := range files {
			if strings.HasSuffix(fl.path, "b.sources") {
				return fl.conf.SetSource(Source{Type: Server, Address: "127.0.0.3", Options: []Option{{Name: "port", Value: fmt.Sprint(portB)}, {Name: "iburst"}, {Name: "minpoll", Value: "-4"}, {Name: "maxpoll", Value: "-4"}, {Name: "prefer"}}})
			}
		}
		return fmt.Errorf("sources.d file not read")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveSource(ctx, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	// chronyd rereads chrony.conf only at start: restart it, as
	// systemctl restart would.
	client.stop()
	client = startChronyd(t, bin, hostConf())
	deadline = time.Now().Add(30 * time.Second)
	for {
		st = waitSelected(t, c, client)
		if st.Selected == "127.0.0.3" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.Selected != "127.0.0.3" {
		t.Errorf("after the edit chronyd selected %q; log:\n%s", st.Selected, client.Log())
	}

	// A source written to sources.d is picked up by "reload sources"
	// (allowed on the Unix socket only) without a restart.
	if err := c.editChrony(ctx, func(files []chronyFile) error {
		for _, fl := range files {
			if strings.HasSuffix(fl.path, "b.sources") {
				return fl.conf.SetSource(Source{Type: Server, Address: "127.0.0.1", Options: fast})
			}
		}
		return fmt.Errorf("sources.d file not read")
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.ReloadSources(ctx); err == nil {
		t.Error("reload sources over UDP succeeded; chronyd allows it on the Unix socket only")
	}
	if err := cs.ReloadSources(ctx); err != nil {
		t.Fatalf("reload sources: %v", err)
	}
	ss, err := cs.SourceStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		got = append(got, s.Address)
	}
	if strings.Join(got, " ") != "127.0.0.3 127.0.0.1" {
		t.Errorf("sources after reload: %v", got)
	}
}

func hasSelected(evs []Event, addr string) bool {
	for _, e := range evs {
		if e.Kind == EventSelected && e.Address == addr {
			return true
		}
	}
	return false
}

// BenchmarkChronyTracking asks a running chronyd for its tracking report:
// over the command protocol directly, and by running chronyc -c.
func BenchmarkChronyTracking(b *testing.B) {
	testenv.RequireRoot(b)
	dir := ifquerytest.Unpacked(b, "chrony", "chrony")
	bin := filepath.Join(dir, "usr/sbin/chronyd")
	port, cmdport := freeUDPPort(b), freeUDPPort(b)
	chronyServer(b, bin, "127.0.0.1", port)
	run := b.TempDir()
	conf := filepath.Join(run, "client.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("server 127.0.0.1 port %d iburst minpoll -2 maxpoll -2\nport 0\ncmdport %d\nbindcmdaddress 127.0.0.1\nbindcmdaddress %s/chronyd.sock\npidfile %s/chronyd.pid\n", port, cmdport, run, run)), 0o644)
	d := startChronyd(b, bin, conf)
	addr := fmt.Sprintf("127.0.0.1:%d", cmdport)
	chronyc := newTestClient(b, &Config{Daemon: Chrony, ChronyAddress: addr, Chronyc: filepath.Join(dir, "usr/bin/chronyc")})
	waitSelected(b, chronyc, d)
	ctx := context.Background()
	b.Run("hostadm", func(b *testing.B) {
		conn, err := DialChrony(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		for b.Loop() {
			if _, err := conn.Tracking(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vs=chronyc", func(b *testing.B) {
		for b.Loop() {
			if _, err := chronyc.Tracking(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
