//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
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

func ipIn(t *testing.T, ns *testenv.NetNS, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %v: %v: %s", args, err, out)
	}
	return string(out)
}

const netLiveFile = `auto lo
iface lo inet loopback

iface eth1 inet manual

auto vmbr0
iface vmbr0 inet static
        address 192.168.10.2/24
        gateway 192.168.10.1
        bridge-ports eth1
        bridge-stp off
        bridge-fd 0
`

func TestNetApplyCommand(t *testing.T) {
	testenv.RequireTool(t, "ip")
	ns := testenv.NewNetNS(t)
	ipIn(t, ns, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1")
	file := filepath.Join(t.TempDir(), "interfaces")
	if err := os.WriteFile(file, []byte(netLiveFile), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runAdm(t, "net", "apply", "--dry-run", "--netns", ns.Name, file)
	if code != 0 || !strings.Contains(out, "ip link add vmbr0 type bridge stp_state 0 forward_delay 0") {
		t.Fatalf("dry run: exit %d %s\n%s", code, stderr, out)
	}
	if strings.Contains(ipIn(t, ns, "link"), "vmbr0") {
		t.Fatal("dry run changed the namespace")
	}
	out, stderr, code = runAdm(t, "net", "apply", "--netns", ns.Name, file)
	if code != 0 || !strings.Contains(out, "applied 8 steps") {
		t.Fatalf("apply: exit %d %s\n%s", code, stderr, out)
	}
	if !strings.Contains(ipIn(t, ns, "link", "show", "eth1"), "master vmbr0") {
		t.Error("eth1 is not a port of vmbr0")
	}
	out, _, code = runAdm(t, "net", "apply", "--netns", ns.Name, file)
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Errorf("re-apply: exit %d\n%s", code, out)
	}
	out, _, code = runAdm(t, "--json", "net", "apply", "--netns", ns.Name, file)
	var res struct {
		NoOp  bool `json:"noop"`
		Steps []any
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.NoOp || len(res.Steps) != 0 {
		t.Errorf("re-apply json: exit %d\n%s", code, out)
	}

	out, _, code = runAdm(t, "--json", "net", "links", "--netns", ns.Name)
	var links []struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Master string `json:"master"`
		Up     bool   `json:"up"`
		Bridge *struct {
			STP bool `json:"stp"`
		} `json:"bridge"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &links) != nil || len(links) != 4 {
		t.Fatalf("links: exit %d\n%s", code, out)
	}
	for _, l := range links {
		if l.Name == "vmbr0" && (l.Kind != "bridge" || !l.Up || l.Bridge == nil || l.Bridge.STP) {
			t.Errorf("vmbr0: %+v", l)
		}
		if l.Name == "eth1" && l.Master != "vmbr0" {
			t.Errorf("eth1: %+v", l)
		}
	}
	out, _, _ = runAdm(t, "net", "links", "--netns", ns.Name)
	if !strings.Contains(out, "vmbr0") || !strings.Contains(out, "stp off fd 0s") {
		t.Errorf("links table:\n%s", out)
	}

	// A change that is not confirmed is undone; one that is, stays.
	changed := strings.Replace(netLiveFile, "192.168.10.2/24", "192.168.10.3/24", 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = runAdm(t, "net", "apply", "--netns", ns.Name, "--confirm-within", "300ms", file)
	if code != 1 || !strings.Contains(out, "not confirmed") || !strings.Contains(ipIn(t, ns, "addr", "show", "vmbr0"), "192.168.10.2/24") {
		t.Errorf("unconfirmed: exit %d %s\n%s", code, stderr, out)
	}
	var sout, serr bytes.Buffer
	code = run(context.Background(), []string{"net", "apply", "--netns", ns.Name, "--confirm-within", "30s", file}, strings.NewReader("yes\n"), &sout, &serr)
	if code != 0 || !strings.Contains(sout.String(), "confirmed") || !strings.Contains(ipIn(t, ns, "addr", "show", "vmbr0"), "192.168.10.3/24") {
		t.Errorf("confirmed: exit %d %s\n%s", code, serr.String(), sout.String())
	}
}

func TestNetCommitCommand(t *testing.T) {
	testenv.RequireTool(t, "ip")
	ns := testenv.NewNetNS(t)
	ipIn(t, ns, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1")
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "network")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "interfaces"), []byte("auto lo\niface lo inet loopback\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "interfaces.new"), []byte(netLiveFile), 0o644)
	out, stderr, code := runAdm(t, "--root", root, "net", "commit", "--netns", ns.Name)
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("commit: exit %d %s\n%s", code, stderr, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces")); string(b) != netLiveFile {
		t.Errorf("not committed:\n%s", b)
	}
	if !strings.Contains(ipIn(t, ns, "link", "show", "eth1"), "master vmbr0") {
		t.Error("not applied")
	}
	if _, stderr, code := runAdm(t, "--root", root, "net", "commit", "--netns", ns.Name); code != 1 || !strings.Contains(stderr, "no pending") {
		t.Errorf("second commit: exit %d %s", code, stderr)
	}
}

// TestNetApplyUndoesAfterHangup runs hostadm as a separate process, hangs
// up on it while it waits for confirmation (as a cut SSH session does),
// and checks that the change is still undone at the deadline.
func TestNetApplyUndoesAfterHangup(t *testing.T) {
	testenv.RequireTool(t, "ip", "go")
	bin := filepath.Join(t.TempDir(), "hostadm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := testenv.NewNetNS(t)
	ipIn(t, ns, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1")
	file := filepath.Join(t.TempDir(), "interfaces")
	if err := os.WriteFile(file, []byte(netLiveFile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "net", "apply", "--netns", ns.Name, "--confirm-within", "2s", file)
	stdin, err := cmd.StdinPipe() // open, never answered
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; !strings.Contains(out.String(), "type \"yes\""); i++ {
		if i == 200 {
			cmd.Process.Kill()
			t.Fatalf("no confirmation prompt:\n%s", out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	if !strings.Contains(ipIn(t, ns, "link", "show", "eth1"), "master vmbr0") {
		t.Fatal("not applied before the hangup")
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v\n%s", err, out.String())
	}
	if strings.Contains(ipIn(t, ns, "link"), "vmbr0") {
		t.Errorf("vmbr0 still there after the deadline:\n%s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the command's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
