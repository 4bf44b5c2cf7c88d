package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/netcfg/wol"
)

func TestWoLCommand(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)
	out, stderr, code := runAdm(t, "wol", "BC-24-11-0A-0B-0C", "--broadcast", "127.0.0.1", "--port", port)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "sent magic packet for bc:24:11:0a:0b:0c to 127.0.0.1:" + port + "\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := wol.ParseMAC("bc:24:11:0a:0b:0c")
	want, _ := wol.MagicPacket(mac, nil)
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("packet %x", buf[:n])
	}

	out, _, code = runAdm(t, "--json", "wol", "bc24110a0b0c", "--broadcast", "127.0.0.1", "--port", port)
	var js struct {
		MAC       string `json:"mac"`
		Broadcast string `json:"broadcast"`
		Port      int    `json:"port"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || js.MAC != "bc:24:11:0a:0b:0c" || js.Broadcast != "127.0.0.1" {
		t.Errorf("json: exit %d, %s", code, out)
	}

	for _, args := range [][]string{
		{"wol"},
		{"wol", "zz:24:11:0a:0b:0c"},
		{"wol", "ff:ff:ff:ff:ff:ff"},
		{"wol", "bc:24:11:0a:0b:0c", "--broadcast", "nowhere"},
		{"wol", "bc:24:11:0a:0b:0c", "--port", "0"},
	} {
		if _, stderr, code := runAdm(t, args...); code != 2 || !strings.Contains(stderr, "wol") {
			t.Errorf("%v: exit %d, %q; want usage error", args, code, stderr)
		}
	}
}
