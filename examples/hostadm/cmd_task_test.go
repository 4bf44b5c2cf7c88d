package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTaskCommands(t *testing.T) {
	// The admin guide's pvenode task list --errors --vmid 100.
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "task", "list", "--errors", "--vmid", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var tasks []struct {
		UPID, Status, Kind string
	}
	if err := json.Unmarshal([]byte(out), &tasks); err != nil {
		t.Fatal(err)
	}
	const upid = "UPID:pve1:00062517:06B75E40:66C3EA90:vzdump:100:root@pam:"
	if len(tasks) != 1 || tasks[0].UPID != upid || tasks[0].Status != "job errors" || tasks[0].Kind != "error" {
		t.Errorf("tasks = %+v", tasks)
	}
	out, _, _ = runAdm(t, "--root", fixtureRoot, "task", "list", "--type", "qmstart", "--since", "2024-08-08", "--until", "1724140000")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "qmstart:103:bob@pve:") {
		t.Errorf("list:\n%s", out)
	}
	if _, stderr, code := runAdm(t, "--root", fixtureRoot, "task", "list", "--since", "yesterday"); code != 2 || !strings.Contains(stderr, "--since") {
		t.Errorf("bad since: exit %d: %s", code, stderr)
	}

	// pvenode task log UPID: exit 1 for a failed task.
	out, _, code = runAdm(t, "--root", fixtureRoot, "task", "log", upid)
	if code != 1 || !strings.HasSuffix(out, "INFO: Backup job finished with errors\nTASK ERROR: job errors\n") {
		t.Errorf("log: exit %d:\n%s", code, out)
	}
	out, _, code = runAdm(t, "--root", fixtureRoot, "--json", "task", "log", "UPID:pve1:00064192:0735B44D:66C52E00:vzdump:101:root@pam:")
	var lg struct {
		Task struct{ Kind string }
		Log  []string
	}
	if err := json.Unmarshal([]byte(out), &lg); err != nil || code != 0 || lg.Task.Kind != "running" || len(lg.Log) != 2 {
		t.Errorf("running log: exit %d: %s", code, out)
	}
	if _, stderr, code := runAdm(t, "--root", fixtureRoot, "task", "log", "UPID:nope"); code != 2 || !strings.Contains(stderr, "invalid UPID") {
		t.Errorf("bad UPID: exit %d: %s", code, stderr)
	}
}

func TestWolNode(t *testing.T) {
	root := copyFixture(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port)
	dir := filepath.Join(root, "etc/pve/nodes/pve2")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "config"), []byte("wakeonlan: 52:54:00:aa:bb:02,broadcast-address=127.0.0.1\n"), 0o640)
	out, stderr, code := runAdm(t, "--root", root, "wol", "--port", port, "pve2")
	if code != 0 || out != "sent magic packet for 52:54:00:aa:bb:02 (node pve2) to 127.0.0.1:"+port+"\n" {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	buf := make([]byte, 200)
	pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil || n != 102 || fmt.Sprintf("%x", buf[6:12]) != "525400aabb02" {
		t.Errorf("packet %x, %v", buf[:n], err)
	}
	if _, stderr, code := runAdm(t, "--root", root, "wol", "pve1"); code != 1 || !strings.Contains(stderr, "cannot wake the local node") {
		t.Errorf("local node: exit %d: %s", code, stderr)
	}
	os.MkdirAll(filepath.Join(root, "etc/pve/nodes/pve3"), 0o755)
	if _, stderr, code := runAdm(t, "--root", root, "wol", "pve3"); code != 1 || !strings.Contains(stderr, "no wakeonlan property") {
		t.Errorf("node without wakeonlan: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runAdm(t, "--root", root, "wol", "nosuchnode"); code != 2 || !strings.Contains(stderr, "neither a MAC address") {
		t.Errorf("unknown node: exit %d: %s", code, stderr)
	}
}
