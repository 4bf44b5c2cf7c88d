package metrics

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/rootfs"
)

const fixture = "../testdata/pve8"

func fixtureCopy(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "etc/pve"), os.DirFS(filepath.Join(fixture, "etc/pve"))); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFixtureServers(t *testing.T) {
	c, err := New(&Config{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Servers()
	if err != nil {
		t.Fatal(err)
	}
	no := false
	want := []Server{
		{Type: Graphite, ID: "graphite-lab", Server: "192.168.10.20", Port: 2003, Path: "proxmox", Proto: UDP, MTU: 1500},
		{Type: InfluxDB, ID: "influx-office", Server: "influx.example.com", Port: 8086, InfluxDBProto: HTTPS, Organization: "proxmox", Bucket: "pve", MaxBodySize: 25000000, Timeout: 2 * time.Second, VerifyCertificate: &no},
		{Type: InfluxDB, ID: "influx-udp", Server: "192.168.10.21", Port: 8089, Disable: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("servers mismatch (-want +got):\n%s", diff)
	}
	if u := got[1].WriteURL(); u != "https://influx.example.com:8086/api/v2/write?bucket=pve&org=proxmox&precision=ns" {
		t.Errorf("WriteURL = %s", u)
	}
	tok, err := c.Token("influx-office")
	if err != nil || !strings.HasPrefix(tok, "proxmox:") {
		t.Errorf("Token = %q, %v", tok, err)
	}
	if tok, err := c.Token("graphite-lab"); tok != "" || err != nil {
		t.Errorf("missing token = %q, %v", tok, err)
	}
}

func TestDefaults(t *testing.T) {
	s := Server{Type: InfluxDB, ID: "x", Server: "2001:db8::5", InfluxDBProto: HTTP, APIPathPrefix: "/influx/"}
	if s.Addr() != "[2001:db8::5]:8089" || s.EffectiveMTU() != 1500 || s.EffectiveTimeout() != time.Second || !s.Verify() {
		t.Errorf("defaults: %s %d %v %v", s.Addr(), s.EffectiveMTU(), s.EffectiveTimeout(), s.Verify())
	}
	if u := s.WriteURL(); u != "http://[2001:db8::5]:8089/influx/api/v2/write?bucket=proxmox&org=proxmox&precision=ns" {
		t.Errorf("WriteURL = %s", u)
	}
	g := Server{Type: Graphite, ID: "g", Server: "h"}
	if g.EffectivePort() != 2003 || g.EffectiveProto() != UDP {
		t.Errorf("graphite defaults %d %s", g.EffectivePort(), g.EffectiveProto())
	}
}

func TestStatusConfigEdit(t *testing.T) {
	src, _ := os.ReadFile(filepath.Join(fixture, "etc/pve/status.cfg"))
	sc, err := ParseStatusConfig("status.cfg", src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sc.Format(), src) {
		t.Fatal("untouched file changed")
	}
	s, err := sc.Server("graphite-lab")
	if err != nil {
		t.Fatal(err)
	}
	s.Proto, s.Timeout = TCP, 3*time.Second
	if err := sc.SetServer(s); err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := sc.SetServer(Server{Type: InfluxDB, ID: "influx2", Server: "10.1.1.1", InfluxDBProto: HTTP, Port: 8086, VerifyCertificate: &yes}); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(src), "\tproto udp\n", "\tproto tcp\n", 1)
	want = strings.Replace(want, "\tmtu 1500\n", "\tmtu 1500\n\ttimeout 3\n", 1)
	want += "\ninfluxdb: influx2\n\tserver 10.1.1.1\n\tport 8086\n\tinfluxdbproto http\n\tverify-certificate 1\n"
	if diff := cmp.Diff(want, string(sc.Format())); diff != "" {
		t.Errorf("status.cfg mismatch (-want +got):\n%s", diff)
	}
	if !sc.Remove("influx-udp") || sc.Remove("influx-udp") {
		t.Error("Remove")
	}
	if err := sc.SetServer(Server{Type: Graphite, ID: "influx2", Server: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("type change: %v", err)
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad port", "graphite: g\n\tserver h\n\tport x\n", "status.cfg:3: invalid value: port: \"x\" is not an integer"},
		{"unknown option", "influxdb: i\n\tserver h\n\tcolour red\n", "status.cfg:3: invalid value: colour: unknown option"},
		{"token inline", "influxdb: i\n\tserver h\n\ttoken abc\n", "status.cfg:3: invalid value: token: tokens belong in /etc/pve/priv/metricserver/i.pw"},
		{"bad proto", "graphite: g\n\tserver h\n\tproto http\n", "status.cfg:1: invalid value: g: proto \"http\" is not udp or tcp"},
		{"mtu", "influxdb: i\n\tserver h\n\tmtu 100\n", "status.cfg:1: invalid value: i: mtu 100 out of range 512-65536"},
		{"no server", "influxdb: i\n\tport 1\n", "status.cfg:1: invalid value: i: bad server \"\""},
		{"bad type", "prometheus: p\n\tserver h\n", "status.cfg:1: invalid value: p: unknown type \"prometheus\""},
		{"mixed", "graphite: g\n\tserver h\n\tbucket b\n", "status.cfg:1: invalid value: g: InfluxDB option on a graphite server"},
		{"bool", "graphite: g\n\tserver h\n\tdisable maybe\n", "status.cfg:3: invalid value: disable: \"maybe\" is not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseStatusConfig("status.cfg", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = sc.Servers()
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestClientEdits(t *testing.T) {
	root := fixtureCopy(t)
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	err = c.EditStatusConfig(ctx, func(sc *StatusConfig) error {
		return sc.SetServer(Server{Type: InfluxDB, ID: "new", Server: "10.0.0.9", InfluxDBProto: HTTPS})
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := c.Servers()
	if len(srv) != 4 || srv[3].ID != "new" {
		t.Errorf("servers = %+v", srv)
	}
	if err := c.SetToken("new", "s3cret-token"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "etc/pve/priv/metricserver/new.pw"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", fi, err)
	}
	if tok, _ := c.Token("new"); tok != "s3cret-token" {
		t.Errorf("token = %q", tok)
	}
	if err := c.SetToken("new", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/pve/priv/metricserver/new.pw")); !os.IsNotExist(err) {
		t.Errorf("token not removed: %v", err)
	}
	if err := c.SetToken("../x", "t"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad id: %v", err)
	}
	// A concurrent writer that does not take the lock is not clobbered.
	err = c.EditStatusConfig(ctx, func(sc *StatusConfig) error {
		os.WriteFile(filepath.Join(root, "etc/pve/status.cfg"), []byte("graphite: other\n\tserver x\n"), 0o640)
		sc.Remove("new")
		return nil
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("concurrent edit: %v", err)
	}
}

func FuzzStatusConfig(f *testing.F) {
	src, _ := os.ReadFile(filepath.Join(fixture, "etc/pve/status.cfg"))
	f.Add(src)
	f.Add([]byte("influxdb: a\n\tserver b\n\tdisable\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseStatusConfig("f", data)
		if err != nil {
			return
		}
		if !bytes.Equal(sc.Format(), data) {
			t.Fatal("round trip changed the file")
		}
		srvs, err := sc.Servers()
		if err != nil {
			return
		}
		for _, s := range srvs {
			s.Timeout = 5 * time.Second
			if err := sc.SetServer(s); err != nil {
				t.Fatalf("SetServer(%+v): %v", s, err)
			}
		}
		sc2, err := ParseStatusConfig("f", sc.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v", err)
		}
		again, err := sc2.Servers()
		if err != nil {
			t.Fatalf("edited file: %v", err)
		}
		for i := range srvs {
			srvs[i].Timeout = 5 * time.Second
		}
		if diff := cmp.Diff(srvs, again); diff != "" {
			t.Fatalf("servers after edit mismatch (-want +got):\n%s", diff)
		}
	})
}
