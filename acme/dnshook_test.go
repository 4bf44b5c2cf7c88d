package acme

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/runner"
)

// TestWholeValues runs a stand-in for the stock proxmox-acme script,
// which cuts plugin values at the first space, directly and through the
// whole-value wrapper.
func TestWholeValues(t *testing.T) {
	script, run := fakeHook(t)
	// The stock loader alone: the value is cut (Proxmox VE's behaviour).
	got := run(t, Config{Hook: []string{"/bin/bash", script}, HookUser: "root"})
	if !strings.HasSuffix(got, "secret=two") {
		t.Errorf("stock loader: %q, want the value cut at the space", got)
	}
	// Through the wrapper the plugin sees the whole value.
	got = run(t, Config{HookScript: script, HookUser: "root"})
	want := "action=setup api=fake domain=pve.example.test txt=txt-value-1 secret=two words and more"
	if !strings.HasSuffix(got, want) {
		t.Errorf("wrapper: %q, want suffix %q", got, want)
	}
}

// fakeHook installs the stand-in proxmox-acme script in a folder any hook
// user can reach. It returns the script and a function that presents a
// dns-01 challenge with cfg and returns what the script recorded.
func fakeHook(t *testing.T) (script string, run func(t *testing.T, cfg Config) string) {
	// A folder the hook user can reach and write.
	dir, err := os.MkdirTemp("", "hostadm-hook-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	script = filepath.Join(dir, "proxmox-acme")
	data, err := os.ReadFile("testdata/fake-proxmox-acme.bash")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, data, 0o755); err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(dir, "result")
	plugin := Plugin{ID: "fake", Type: DNS, API: "fake", Data: "SECRET=two words and more\nOTHER=x\n"}
	ctx := context.Background()

	return script, func(t *testing.T, cfg Config) string {
		t.Helper()
		os.Remove(result)
		cfg.Root = newRoot(t, "")
		c, err := New(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p, cleanup, err := c.hookProvider(plugin)
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		if err := p.Present(ctx, "_acme-challenge.pve.example.test", "txt-value-1"); err != nil {
			t.Fatal(err)
		}
		out, err := os.ReadFile(result)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
}

func TestHookRedaction(t *testing.T) {
	var lines []string
	h := &HookProvider{
		Command:  []string{"/bin/bash", "-c", `read txt; read data; echo "got ${data#*=}"; echo "failed for ${data#*=}" >&2; exit 3`, "hook"},
		API:      "x",
		Data:     "TOKEN=very-secret-token\n",
		Progress: func(l string) { lines = append(lines, l) },
		run:      runner.Default,
	}
	err := h.Present(context.Background(), "_acme-challenge.a.example", "v")
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "very-secret-token") || strings.Contains(strings.Join(lines, "\n"), "very-secret-token") {
		t.Errorf("secret leaked: %v / %q", err, lines)
	}
	if len(lines) != 1 || lines[0] != "got "+runner.Redacted {
		t.Errorf("progress = %q", lines)
	}
}
