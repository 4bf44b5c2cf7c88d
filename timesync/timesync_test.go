package timesync

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

// fixtureRoot copies the files of the PVE 8 fixture host this package
// reads into a temporary root.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	src := "../testdata/pve8"
	for _, p := range []string{"etc/chrony", "etc/systemd", "lib/systemd/system"} {
		if err := os.CopyFS(filepath.Join(root, p), os.DirFS(filepath.Join(src, p))); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func write(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newTestClient(t testing.TB, cfg *Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addresses(srcs []Source) []string {
	var out []string
	for _, s := range srcs {
		out = append(out, s.Address)
	}
	return out
}

func TestFixtureChrony(t *testing.T) {
	ctx := context.Background()
	root := fixtureRoot(t)
	c := newTestClient(t, &Config{Root: root})
	ds, err := c.Daemons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Daemon{{Name: Chrony, Unit: "chrony.service", Config: ChronyConfPath, Enabled: "enabled", Active: "unknown"}}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("daemons mismatch (-want +got):\n%s", diff)
	}
	srcs, err := c.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ntp1.example.com", "ntp2.example.com", "ntp3.example.com"}, addresses(srcs)); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if srcs[0].File != ChronyConfPath || srcs[0].Line != 11 {
		t.Errorf("source at %s:%d", srcs[0].File, srcs[0].Line)
	}

	// Files chronyd includes: confdir, sourcedir (and the DHCP runtime
	// directory, which must not be edited).
	write(t, root, "etc/chrony/conf.d/10-lab.conf", "server ntp4.example.com iburst\n")
	write(t, root, "etc/chrony/sources.d/office.sources", "# office\npool pool.office.example iburst maxsources 2\n")
	write(t, root, "run/chrony-dhcp/eth0.sources", "server 192.0.2.53 iburst\n")
	srcs, _ = c.Sources(ctx)
	if diff := cmp.Diff([]string{"ntp1.example.com", "ntp2.example.com", "ntp3.example.com", "ntp4.example.com", "192.0.2.53", "pool.office.example"}, addresses(srcs)); diff != "" {
		t.Errorf("sources with includes mismatch (-want +got):\n%s", diff)
	}

	// Replacing an existing source edits its own file in place.
	if err := c.AddSource(ctx, Source{Type: Server, Address: "ntp4.example.com", Options: []Option{{Name: "iburst"}, {Name: "prefer"}}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/chrony/conf.d/10-lab.conf")); string(b) != "server ntp4.example.com iburst prefer\n" {
		t.Errorf("conf.d file = %q", b)
	}
	if err := c.AddSource(ctx, Source{Type: Server, Address: "10.0.0.1", Options: []Option{{Name: "iburst"}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/chrony/chrony.conf"))
	if !strings.Contains(string(b), "server ntp3.example.com iburst\nserver 10.0.0.1 iburst\n") {
		t.Errorf("new server not after the last one:\n%s", b)
	}
	if ok, err := c.RemoveSource(ctx, "pool.office.example"); !ok || err != nil {
		t.Errorf("RemoveSource = %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/chrony/sources.d/office.sources")); string(b) != "# office\n" {
		t.Errorf("sources.d file = %q", b)
	}
	if ok, _ := c.RemoveSource(ctx, "nothere.example"); ok {
		t.Error("removed a missing source")
	}
	if ok, err := c.RemoveSource(ctx, "192.0.2.53"); ok || err != nil {
		t.Errorf("runtime DHCP source: %v, %v", ok, err)
	}

	if err := c.ReplaceSources(ctx, []Source{{Type: Pool, Address: "ntp.example.org", Options: []Option{{Name: "iburst"}}}}); err != nil {
		t.Fatal(err)
	}
	srcs, _ = c.Sources(ctx)
	if diff := cmp.Diff([]string{"ntp.example.org", "192.0.2.53"}, addresses(srcs)); diff != "" {
		t.Errorf("replaced sources mismatch (-want +got):\n%s", diff)
	}
	if err := c.AddSource(ctx, Source{Type: Server, Address: "bad", Options: []Option{{Name: "fast"}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad option: %v", err)
	}
	if err := c.Restart(ctx); !errors.Is(err, ErrNotHost) {
		t.Errorf("Restart off host: %v", err)
	}
}

func TestConcurrentEditRefused(t *testing.T) {
	root := fixtureRoot(t)
	c := newTestClient(t, &Config{Root: root})
	err := c.editChrony(context.Background(), func(files []chronyFile) error {
		write(t, root, "etc/chrony/chrony.conf", "server other.example\n")
		return files[0].conf.SetSource(Source{Type: Server, Address: "mine.example"})
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("err = %v, want a conflict", err)
	}
}

func TestFixtureTimesyncd(t *testing.T) {
	ctx := context.Background()
	root := fixtureRoot(t)
	// A Proxmox VE 6 host: timesyncd installed and enabled, no chrony.
	os.Remove(filepath.Join(root, "lib/systemd/system/chrony.service"))
	os.Remove(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/chrony.service"))
	write(t, root, "lib/systemd/system/systemd-timesyncd.service", "[Unit]\n")
	os.MkdirAll(filepath.Join(root, "etc/systemd/system/sysinit.target.wants"), 0o755)
	os.Symlink("/lib/systemd/system/systemd-timesyncd.service", filepath.Join(root, "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service"))
	c := newTestClient(t, &Config{Root: root})
	d, err := c.Detect(ctx)
	if err != nil || d.Name != Timesyncd || d.Enabled != "enabled" {
		t.Fatalf("Detect = %+v, %v", d, err)
	}
	srcs, err := c.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 4 || srcs[0].Address != "0.debian.pool.ntp.org" {
		t.Errorf("fallback sources = %+v", srcs)
	}
	for _, h := range []string{"ntp1.example.com", "ntp2.example.com"} {
		if err := c.AddSource(ctx, Source{Type: Server, Address: h}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/systemd/timesyncd.conf"))
	if !strings.Contains(string(b), "#NTP=\nNTP=ntp1.example.com ntp2.example.com\n#FallbackNTP") {
		t.Errorf("timesyncd.conf:\n%s", b)
	}
	if err := c.AddSource(ctx, Source{Type: Pool, Address: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("pool on timesyncd: %v", err)
	}
	// A drop-in that sets NTP= decides, so it is the one edited.
	write(t, root, "etc/systemd/timesyncd.conf.d/local.conf", "[Time]\nNTP=10.0.0.1\n")
	srcs, _ = c.Sources(ctx)
	if diff := cmp.Diff([]string{"ntp1.example.com", "ntp2.example.com", "10.0.0.1"}, addresses(srcs)); diff != "" {
		t.Errorf("drop-in sources mismatch (-want +got):\n%s", diff)
	}
	if ok, err := c.RemoveSource(ctx, "ntp2.example.com"); !ok || err != nil {
		t.Fatalf("RemoveSource = %v %v", ok, err)
	}
	b, _ = os.ReadFile(filepath.Join(root, "etc/systemd/timesyncd.conf.d/local.conf"))
	if string(b) != "[Time]\nNTP=ntp1.example.com 10.0.0.1\n" {
		t.Errorf("drop-in = %q", b)
	}
}

func TestNoDaemon(t *testing.T) {
	c := newTestClient(t, &Config{Root: t.TempDir()})
	if _, err := c.Detect(context.Background()); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Detect = %v", err)
	}
}

func TestHostCommands(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t, &Config{Daemon: Chrony, ChronyAddress: "127.0.0.1:11323", Chronyc: "/opt/chronyc"})
	f := runnertest.New(t)
	c.run = f
	f.Expect("/opt/chronyc", "-h", "127.0.0.1", "-p", "11323", "-c", "-n", "tracking").Stdout(string(readTestdata(t, "tracking.csv")))
	f.Expect("/opt/chronyc", "-h", "127.0.0.1", "-p", "11323", "-c", "-n", "sources").Stdout(string(readTestdata(t, "sources.csv")))
	f.Expect("systemctl", "restart", "chrony.service")
	f.Expect("journalctl", "-u", "chrony.service", "--since", "@1629975600", "-o", "json", "--no-pager").Stdout(string(readTestdata(t, "journal.json")))
	tr, err := c.Tracking(ctx)
	if err != nil || tr.RefName != "127.0.0.1" {
		t.Fatalf("Tracking = %+v, %v", tr, err)
	}
	ss, err := c.SourceStates(ctx)
	if err != nil || len(ss) != 2 {
		t.Fatalf("SourceStates = %+v, %v", ss, err)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := c.Journal(ctx, unixTime(1629975600))
	if err != nil || evs[1].Kind != EventSelected {
		t.Fatalf("Journal = %+v, %v", evs, err)
	}

	c = newTestClient(t, &Config{Daemon: Timesyncd})
	f = runnertest.New(t)
	c.run = f
	f.Expect("timedatectl", "timesync-status", "--no-pager").Stdout(string(readTestdata(t, "timesync-status.txt")))
	ts, err := c.TimesyncStatus(ctx)
	if err != nil || ts.ServerName != "ntp1.example.com" {
		t.Fatalf("TimesyncStatus = %+v, %v", ts, err)
	}
}

func unixTime(s int64) time.Time { return time.Unix(s, 0) }

func TestNTPsecReadOnly(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	write(t, root, "lib/systemd/system/ntpsec.service", "[Unit]\n")
	os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755)
	os.Symlink("/lib/systemd/system/ntpsec.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ntpsec.service"))
	write(t, root, "etc/ntpsec/ntp.conf", "driftfile /var/lib/ntpsec/ntp.drift\npool 0.debian.pool.ntp.org iburst\nserver 10.0.0.1 prefer minpoll 4\nrestrict default kod\n")
	c := newTestClient(t, &Config{Root: root})
	d, err := c.Detect(ctx)
	if err != nil || d.Name != NTPsec || d.Enabled != "enabled" {
		t.Fatalf("Detect = %+v, %v", d, err)
	}
	srcs, err := c.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{Type: Pool, Address: "0.debian.pool.ntp.org", Options: []Option{{Name: "iburst"}}, File: "/etc/ntpsec/ntp.conf", Line: 2},
		{Type: Server, Address: "10.0.0.1", Options: []Option{{Name: "prefer"}, {Name: "minpoll", Value: "4"}}, File: "/etc/ntpsec/ntp.conf", Line: 3},
	}
	if diff := cmp.Diff(want, srcs); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if err := c.AddSource(ctx, Source{Type: Server, Address: "x"}); !errors.Is(err, ErrNotEditable) {
		t.Errorf("AddSource on ntpsec: %v", err)
	}
	// Masked units are not picked when another daemon is there.
	write(t, root, "lib/systemd/system/chrony.service", "[Unit]\n")
	os.Symlink("/dev/null", filepath.Join(root, "etc/systemd/system/chrony.service"))
	ds, _ := c.Daemons(ctx)
	if len(ds) != 2 || ds[0].Enabled != "masked" {
		t.Errorf("daemons = %+v", ds)
	}
	if d, _ := c.Detect(ctx); d.Name != NTPsec {
		t.Errorf("Detect picked %s", d.Name)
	}
}
