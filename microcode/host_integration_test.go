//go:build integration

package microcode

import (
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/testenv"
)

// lscpuFields runs lscpu --json, the oracle for this machine's CPUs and
// vulnerability overview.
func lscpuFields(t *testing.T) map[string]string {
	t.Helper()
	testenv.RequireTool(t, "lscpu")
	out, err := exec.Command("lscpu", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Lscpu []struct{ Field, Data string } `json:"lscpu"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range doc.Lscpu {
		m[strings.TrimSuffix(f.Field, ":")] = f.Data
	}
	return m
}

func TestHostAgainstLscpu(t *testing.T) {
	testenv.RequireFile(t, "/proc/cpuinfo")
	lscpu := lscpuFields(t)
	c := newClient(t, "")
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strconv.Itoa(len(st.CPUs)); got != lscpu["CPU(s)"] {
		t.Errorf("%s CPUs, lscpu says %s", got, lscpu["CPU(s)"])
	}
	cpu := st.CPUs[0]
	for field, got := range map[string]string{
		"Vendor ID":  string(cpu.Vendor),
		"Model name": cpu.ModelName,
		"CPU family": strconv.Itoa(cpu.Family),
		"Model":      strconv.Itoa(cpu.Model),
		"Stepping":   strconv.Itoa(cpu.Stepping),
	} {
		if got != lscpu[field] {
			t.Errorf("%s = %q, lscpu says %q", field, got, lscpu[field])
		}
	}
	if cpu.Hypervisor != (lscpu["Hypervisor vendor"] != "") {
		t.Errorf("Hypervisor = %v, lscpu hypervisor vendor %q", cpu.Hypervisor, lscpu["Hypervisor vendor"])
	}
	got := map[string]string{}
	want := map[string]string{}
	for _, v := range st.Vulnerabilities {
		// lscpu writes the kernel's first colon as a semicolon and drops
		// the others.
		text := strings.Replace(v.Text, ":", ";", 1)
		got["Vulnerability "+v.Title] = strings.ReplaceAll(text, ":", "")
	}
	for k, v := range lscpu {
		if strings.HasPrefix(k, "Vulnerability ") {
			want[k] = v
		}
	}
	if len(want) == 0 {
		t.Fatal("lscpu lists no vulnerabilities")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities mismatch with lscpu (-want +got):\n%s", diff)
	}
	// cpuinfo's microcode line is what the admin guide greps for.
	out, err := exec.Command("grep", "-m1", "microcode", "/proc/cpuinfo").Output()
	if err == nil {
		_, v, _ := strings.Cut(string(out), ":")
		r, err := ParseRevision(v)
		if err != nil || !cpu.HasRevision || r != cpu.Revision {
			t.Errorf("revision %#x, cpuinfo says %q (%v)", cpu.Revision, v, err)
		}
	}
}

// TestHostKernelLog reads /dev/kmsg and compares with dmesg's view of the
// same ring buffer.
func TestHostKernelLog(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "dmesg")
	c := newClient(t, "")
	u, from, err := c.KernelLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if from != kmsgDevice {
		t.Errorf("read from %q, want %s", from, kmsgDevice)
	}
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ParseKernelLog(out), u); diff != "" {
		t.Errorf("kmsg and dmesg disagree (-dmesg +kmsg):\n%s", diff)
	}
	// The capture must hold what dmesg printed last (the ring buffer may
	// have wrapped past the boot banner on a busy test machine).
	out, err = exec.Command("dmesg").Output()
	if err != nil {
		t.Fatal(err)
	}
	data, err := readKmsg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if _, msg, ok := strings.Cut(last, "] "); ok {
		last = msg
	}
	if !strings.Contains(string(data), last) {
		t.Errorf("kmsg capture (%d bytes) lacks dmesg's last message %q", len(data), last)
	}
}
