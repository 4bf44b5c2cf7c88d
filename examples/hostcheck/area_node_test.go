package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNodeArea(t *testing.T) {
	got := findings(t, fixture, "node")
	if f := got["node.failed-tasks"]; f.Severity != OK {
		t.Errorf("failed-tasks = %+v (the fixture's tasks are old)", f)
	}
	if f := got["node.running-tasks"]; f.Summary != "1 task(s) running" {
		t.Errorf("running-tasks = %+v", f)
	}
	if f := got["node.wakeonlan"]; f.Severity != Info || !strings.Contains(f.Advice, "pvenode config set -wakeonlan") {
		t.Errorf("wakeonlan = %+v", f)
	}

	root := t.TempDir()
	for _, p := range []string{"etc/pve", "var/log/pve"} {
		if err := os.CopyFS(filepath.Join(root, p), os.DirFS(filepath.Join(fixture, p))); err != nil {
			t.Fatal(err)
		}
	}
	// A backup that failed an hour ago, and a WoL address for the node.
	start := time.Now().Add(-time.Hour).Unix()
	upid := fmt.Sprintf("UPID:pve1:0001E240:0735B44D:%08X:vzdump:100:root@pam:", start)
	idx := filepath.Join(root, "var/log/pve/tasks/index")
	old, _ := os.ReadFile(idx)
	os.WriteFile(idx, append([]byte(fmt.Sprintf("%s %08X job errors\n", upid, start+30)), old...), 0o644)
	cfg := filepath.Join(root, "etc/pve/nodes/pve1/config")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, "wakeonlan: 52:54:00:12:34:56,bind-interface=vmbr0\nstartall-onboot-delay: 15\n"...), 0o640)
	got = findings(t, root, "node")
	if f := got["node.failed-tasks"]; f.Severity != Warning || !strings.Contains(f.Summary, "1 task(s) failed in the last day: vzdump 100 (job errors)") || !strings.HasSuffix(f.Where, "/"+upid) {
		t.Errorf("failed-tasks = %+v", f)
	}
	if f := got["node.wakeonlan"]; f.Severity != OK || f.Where != "/etc/pve/nodes/pve1/config:4" || !strings.Contains(f.Summary, "52:54:00:12:34:56,bind-interface=vmbr0") {
		t.Errorf("wakeonlan = %+v", f)
	}
	if f := got["node.onboot-delay"]; !strings.Contains(f.Summary, "15s") {
		t.Errorf("onboot-delay = %+v", f)
	}
	os.WriteFile(cfg, append(b, "wakeonlan: 52:54:00\n"...), 0o640)
	got = findings(t, root, "node")
	if f := got["node.wakeonlan"]; f.Severity != Error || f.Where != "/etc/pve/nodes/pve1/config:4:12" {
		t.Errorf("bad wakeonlan = %+v", f)
	}
}
