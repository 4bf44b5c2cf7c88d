package ksm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
)

func TestTunedRoundTrip(t *testing.T) {
	for _, name := range []string{"ksmtuned.conf.debian", "ksmtuned.conf.tuned"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ParseTunedConfig(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(data), string(cfg.Format())); diff != "" {
				t.Errorf("Format mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTunedSettings(t *testing.T) {
	data, _ := os.ReadFile("testdata/ksmtuned.conf.tuned")
	cfg, err := ParseTunedConfig("tuned", data)
	if err != nil {
		t.Fatal(err)
	}
	want := TunedSettings{
		MonitorInterval: 30 * time.Second, SleepMsec: 10, NpagesBoost: 300, NpagesDecay: -50,
		NpagesMin: 64, NpagesMax: 2500, ThresCoef: 35, ThresConst: 2048, LogFile: "/var/log/ksmtuned",
	}
	if diff := cmp.Diff(want, cfg.Settings()); diff != "" {
		t.Errorf("Settings mismatch (-want +got):\n%s", diff)
	}
	// ksmtuned's arithmetic on a 64 GiB host.
	const mem = 64 << 30
	if got, want := want.Threshold(mem), uint64(mem/1024*35/100*1024); got != want {
		t.Errorf("Threshold = %d, want %d", got, want)
	}
	if got := want.ScanSleep(mem); got != 10*time.Millisecond {
		t.Errorf("ScanSleep(64G) = %v, want 10ms (the floor)", got)
	}
	if got := want.ScanSleep(4 << 30); got != 40*time.Millisecond {
		t.Errorf("ScanSleep(4G) = %v, want 40ms", got)
	}
	if got := (TunedSettings{ThresConst: 2048}).Threshold(1 << 20); got != 2048*1024 {
		t.Errorf("Threshold floor = %d", got)
	}
}

func TestTunedEdit(t *testing.T) {
	data, _ := os.ReadFile("testdata/ksmtuned.conf.debian")
	cfg, err := ParseTunedConfig("debian", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("KSM_NPAGES_MAX", "3000"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("DEBUG", "1"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("LOGFILE", "/var/log/ksm tuned.log"); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(data), "# KSM_NPAGES_MAX=1250\n", "# KSM_NPAGES_MAX=1250\nKSM_NPAGES_MAX=3000\n", 1)
	want = strings.Replace(want, "# DEBUG=1\n", "# DEBUG=1\nDEBUG=1\n", 1)
	want = strings.Replace(want, "# LOGFILE=/var/log/ksmtuned\n", "# LOGFILE=/var/log/ksmtuned\nLOGFILE=\"/var/log/ksm tuned.log\"\n", 1)
	if diff := cmp.Diff(want, string(cfg.Format())); diff != "" {
		t.Errorf("edit mismatch (-want +got):\n%s", diff)
	}
	// Set again rewrites the same line.
	if err := cfg.Set("KSM_NPAGES_MAX", "4000"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(cfg.Format()), "\nKSM_NPAGES_MAX="); got != 1 {
		t.Errorf("%d assignments of KSM_NPAGES_MAX, want 1", got)
	}
	again, err := ParseTunedConfig("again", cfg.Format())
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := again.Get("LOGFILE"); v != "/var/log/ksm tuned.log" {
		t.Errorf("LOGFILE = %q", v)
	}
	if !again.Delete("KSM_NPAGES_MAX") || again.Settings().NpagesMax != 1250 {
		t.Errorf("Delete did not restore the default: %d", again.Settings().NpagesMax)
	}
	for _, tc := range [][2]string{{"KSM_FOO", "1"}, {"KSM_NPAGES_MIN", "x"}, {"KSM_NPAGES_MIN", "-1"}, {"DEBUG", "yes"}} {
		if err := cfg.Set(tc[0], tc[1]); err == nil {
			t.Errorf("Set(%s, %s): no error", tc[0], tc[1])
		}
	}
}

func TestTunedParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"garbage", "# ok\nthis is not shell\n", "f:2:1: want NAME=VALUE"},
		{"quote", "KSM_NPAGES_MAX=\"12\n", "f:1:16: KSM_NPAGES_MAX: unterminated quote"},
		{"command", "DEBUG=$(id)\n", "f:1:7: DEBUG: value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTunedConfig("f", []byte(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, ErrSyntax) {
				t.Errorf("err = %v, want prefix %q matching ErrSyntax", err, tc.want)
			}
		})
	}
}

func TestEditTunedConfig(t *testing.T) {
	root := t.TempDir()
	c := newClient(t, root)
	ctx := context.Background()
	// No file yet: the edit creates it.
	if err := c.EditTunedConfig(ctx, func(tc *TunedConfig) error { return tc.Set("KSM_THRES_COEF", "30") }); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(root, TunedConfigPath))
	if string(got) != "KSM_THRES_COEF=30\n" {
		t.Errorf("file = %q", got)
	}
	// A concurrent writer between read and write is refused.
	err := c.EditTunedConfig(ctx, func(tc *TunedConfig) error {
		os.WriteFile(filepath.Join(root, TunedConfigPath), []byte("KSM_THRES_COEF=50\n"), 0o644)
		return tc.Set("KSM_THRES_COEF", "40")
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("concurrent edit: err = %v, want ErrConflict", err)
	}
	got, _ = os.ReadFile(filepath.Join(root, TunedConfigPath))
	if string(got) != "KSM_THRES_COEF=50\n" {
		t.Errorf("concurrent edit lost: %q", got)
	}
}

func TestTunedStateFixture(t *testing.T) {
	c := newClient(t, "../testdata/pve8")
	st, err := c.TunedState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ServiceState{Active: "unknown", Enabled: "enabled"}, st); diff != "" {
		t.Errorf("state mismatch (-want +got):\n%s", diff)
	}
	if err := c.DisableTuned(context.Background()); !errors.Is(err, ErrNotHost) {
		t.Errorf("DisableTuned on a fixture: %v", err)
	}
}

func TestTunedStateHost(t *testing.T) {
	fake := runnertest.New(t)
	c := newClient(t, "/")
	c.run = fake
	fake.Expect("systemctl", "is-active", TunedService).Stdout("inactive\n").Exit(3)
	fake.Expect("systemctl", "is-enabled", TunedService).Stdout("disabled\n").Exit(1)
	st, err := c.TunedState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ServiceState{Active: "inactive", Enabled: "disabled"}, st); diff != "" {
		t.Errorf("state mismatch (-want +got):\n%s", diff)
	}
	fake.Expect("systemctl", "is-active", TunedService).Stdout("active\n")
	fake.Expect("systemctl", "is-enabled", TunedService).Stdout("enabled\n")
	if st, err := c.TunedState(context.Background()); err != nil || !st.Running() {
		t.Errorf("active: %+v, %v", st, err)
	}
	fake.Expect("systemctl", "is-active", TunedService).Stderr("Failed to connect to bus").Exit(1)
	if _, err := c.TunedState(context.Background()); err == nil {
		t.Error("systemctl without answer: no error")
	}
	fake.Expect("systemctl", "disable", "--now", TunedService)
	if err := c.DisableTuned(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDisable(t *testing.T) {
	root := writeSys(t, map[string]string{"run": "1"})
	c := newClient(t, root)
	// A fixture root has no systemd to talk to; Disable must refuse before
	// touching the run file.
	os.MkdirAll(filepath.Join(root, "lib/systemd/system"), 0o755)
	os.WriteFile(filepath.Join(root, "lib/systemd/system", TunedService), nil, 0o644)
	if err := c.Disable(context.Background()); !errors.Is(err, ErrNotHost) {
		t.Fatalf("Disable = %v, want ErrNotHost", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, SysDir, "run")); string(b) != "1\n" {
		t.Errorf("run = %q, want untouched", b)
	}
	// Without ksmtuned installed only the unmerge step remains.
	os.Remove(filepath.Join(root, "lib/systemd/system", TunedService))
	if err := c.Disable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, SysDir, "run")); string(b) != "2\n" {
		t.Errorf("run = %q, want 2", b)
	}
}

func FuzzTunedConfig(f *testing.F) {
	for _, name := range []string{"ksmtuned.conf.debian", "ksmtuned.conf.tuned"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("KSM_NPAGES_MAX=1\nno newline=x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseTunedConfig("fuzz", data)
		if err != nil {
			return
		}
		if string(cfg.Format()) != string(data) {
			t.Fatalf("round trip changed the text:\n%q\n%q", data, cfg.Format())
		}
		before := cfg.Settings()
		if err := cfg.Set("KSM_NPAGES_MIN", "77"); err != nil {
			t.Fatal(err)
		}
		again, err := ParseTunedConfig("fuzz", cfg.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%s", err, cfg.Format())
		}
		after := again.Settings()
		if after.NpagesMin != 77 {
			t.Fatalf("KSM_NPAGES_MIN = %d after Set", after.NpagesMin)
		}
		after.NpagesMin = before.NpagesMin
		if after != before {
			t.Fatalf("Set changed other settings: %+v -> %+v", before, after)
		}
	})
}
