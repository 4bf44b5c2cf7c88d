package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetricsArea(t *testing.T) {
	got := findings(t, fixture, "metrics")
	for check, want := range map[string]string{
		"metrics.server.graphite-lab":  "graphite graphite-lab sends to udp://192.168.10.20:2003",
		"metrics.server.influx-office": "influxdb influx-office sends to https://influx.example.com:8086",
	} {
		if f := got[check]; f.Summary != want || f.Severity != OK {
			t.Errorf("%s = %+v, want ok %q", check, f, want)
		}
	}
	if f := got["metrics.server.influx-udp"]; f.Severity != Info || !strings.Contains(f.Summary, "disabled") {
		t.Errorf("disabled = %+v", f)
	}
	if f := got["metrics.tls.influx-office"]; f.Severity != Info {
		t.Errorf("tls = %+v", f)
	}
	if _, ok := got["metrics.token.influx-office"]; ok {
		t.Errorf("token finding for a server with a token: %+v", got["metrics.token.influx-office"])
	}

	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "etc/pve"), os.DirFS(filepath.Join(fixture, "etc/pve"))); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "etc/pve/priv/metricserver/influx-office.pw"))
	got = findings(t, root, "metrics")
	if f := got["metrics.token.influx-office"]; f.Severity != Warning || f.Where != "/etc/pve/priv/metricserver/influx-office.pw" {
		t.Errorf("missing token = %+v", f)
	}
	os.WriteFile(filepath.Join(root, "etc/pve/status.cfg"), []byte("graphite: g\n\tserver h\n\tport 20o3\n"), 0o640)
	got = findings(t, root, "metrics")
	if f := got["metrics.status-cfg"]; f.Severity != Error || f.Where != "/etc/pve/status.cfg:3" {
		t.Errorf("bad status.cfg = %+v", f)
	}
	os.Remove(filepath.Join(root, "etc/pve/status.cfg"))
	got = findings(t, root, "metrics")
	if f := got["metrics.servers"]; f.Severity != Info {
		t.Errorf("no servers = %+v", f)
	}
}
