package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock advances only when slept on, so bulk tests run instantly.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// fakeGuests is a node's guests kept in memory. Each call is logged
// with the fake clock's time; guests listed in hang ignore shutdown
// requests, those in broken fail to start.
type fakeGuests struct {
	mu      sync.Mutex
	clock   *fakeClock
	guests  map[int]*Guest
	hang    map[int]bool
	broken  map[int]bool
	log     []string
	running int // guests in an action right now
	peak    int
	node    string
}

func newFakeGuests(clk *fakeClock, gs ...Guest) *fakeGuests {
	f := &fakeGuests{clock: clk, guests: map[int]*Guest{}, hang: map[int]bool{}, broken: map[int]bool{}, node: "pve1"}
	for _, g := range gs {
		f.guests[g.VMID] = &g
	}
	return f
}

func (f *fakeGuests) record(format string, a ...any) {
	f.log = append(f.log, fmt.Sprintf("%4.0fs ", f.clock.Now().Sub(time.Time{}).Seconds())+fmt.Sprintf(format, a...))
}

func (f *fakeGuests) enter() func() {
	f.mu.Lock()
	f.running++
	f.peak = max(f.peak, f.running)
	f.mu.Unlock()
	time.Sleep(time.Millisecond) // let concurrent workers overlap
	return func() { f.mu.Lock(); f.running--; f.mu.Unlock() }
}

func (f *fakeGuests) List(ctx context.Context) ([]Guest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Guest
	for _, g := range f.guests {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Guest) int { return a.VMID - b.VMID })
	return out, nil
}

func (f *fakeGuests) Start(ctx context.Context, g Guest) error {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken[g.VMID] {
		f.record("start %d failed", g.VMID)
		return errors.New("start failed: QEMU exited with code 1")
	}
	f.guests[g.VMID].Running = true
	f.record("start %d", g.VMID)
	return nil
}

func (f *fakeGuests) Shutdown(ctx context.Context, g Guest, timeout time.Duration) error {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang[g.VMID] {
		f.clock.Sleep(ctx, timeout)
		f.record("shutdown %d timed out after %v", g.VMID, timeout)
		return errors.New("VM quit/powerdown failed - got timeout")
	}
	f.guests[g.VMID].Running = false
	f.record("shutdown %d (timeout %v)", g.VMID, timeout)
	return nil
}

func (f *fakeGuests) Stop(ctx context.Context, g Guest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.guests[g.VMID].Running = false
	f.record("stop %d", g.VMID)
	return nil
}

func (f *fakeGuests) Migrate(ctx context.Context, g Guest, target string, opt MigrateOptions) error {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	mode := "offline"
	if g.Running {
		mode = "online"
	}
	f.record("migrate %d to %s %s local-disks=%v", g.VMID, target, mode, opt.WithLocalDisks)
	delete(f.guests, g.VMID)
	return nil
}

func testGuests() []Guest {
	return []Guest{
		{VMID: 100, Type: QEMU, Name: "web", OnBoot: true, Startup: Startup{Order: 2, Up: 30 * time.Second}},
		{VMID: 101, Type: QEMU, Name: "db", OnBoot: true, Startup: Startup{Order: 1, Down: 60 * time.Second}},
		{VMID: 102, Type: QEMU, Name: "scratch"},
		{VMID: 103, Type: QEMU, Name: "tmpl", OnBoot: true, Template: true},
		{VMID: 200, Type: LXC, Name: "dns", OnBoot: true},
		{VMID: 201, Type: LXC, Name: "proxy", OnBoot: true, Running: true},
		{VMID: 202, Type: QEMU, Name: "mail", OnBoot: true},
	}
}

func summary(rs []Result) []string {
	var out []string
	for _, r := range rs {
		s := fmt.Sprintf("%d %s", r.VMID, r.Action)
		if r.Reason != "" {
			s += " (" + strings.SplitN(r.Reason, ":", 2)[0] + ")"
		}
		if r.Err != nil {
			s += " failed"
		}
		out = append(out, s)
	}
	return out
}

func TestStartAll(t *testing.T) {
	clk := &fakeClock{}
	f := newFakeGuests(clk, testGuests()...)
	f.broken[202] = true
	res, err := StartAll(context.Background(), f, StartOptions{FirstDelay: 10 * time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	wantRes := []string{"101 start", "100 start", "200 start", "202 start failed", "102 skip (not marked to start on boot)", "103 skip (template)", "201 skip (already running)"}
	if diff := cmp.Diff(wantRes, summary(res)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	// The first-guest delay, order 1 before 2 before unordered, each
	// VM's up delay (3 s by default), none after a container or a
	// failed start.
	wantLog := []string{"  10s start 101", "  13s start 100", "  43s start 200", "  43s start 202 failed"}
	if diff := cmp.Diff(wantLog, f.log); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
	if err := Errors(res); err == nil || !strings.Contains(err.Error(), "qemu 202: start: start failed") {
		t.Errorf("Errors = %v", err)
	}
}

func TestStartAllForceVMs(t *testing.T) {
	// pvenode startall --vms 100,101,102 --force
	clk := &fakeClock{}
	f := newFakeGuests(clk, testGuests()...)
	res, err := StartAll(context.Background(), f, StartOptions{Force: true, VMIDs: []int{100, 101, 102}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"101 start", "100 start", "102 start"}, summary(res)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	// Nothing to start: no first-guest delay.
	clk2 := &fakeClock{}
	f2 := newFakeGuests(clk2, Guest{VMID: 1, Type: LXC, Running: true, OnBoot: true})
	StartAll(context.Background(), f2, StartOptions{FirstDelay: time.Minute, Clock: clk2})
	if !clk2.Now().IsZero() {
		t.Errorf("waited %v with nothing to start", clk2.Now().Sub(time.Time{}))
	}
}

func TestStopAll(t *testing.T) {
	clk := &fakeClock{}
	gs := testGuests()
	for i := range gs {
		gs[i].Running = gs[i].VMID != 102
	}
	f := newFakeGuests(clk, gs...)
	f.hang[200] = true
	res, err := StopAll(context.Background(), f, StopOptions{MaxWorkers: 1, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	// Reverse order: unordered guests first (by descending VMID), then
	// order 2, then order 1; the hung container is hard stopped after
	// the default 3 minutes.
	want := []string{"202 shutdown", "201 shutdown", "200 stop (clean shutdown failed)", "103 shutdown", "100 shutdown", "101 shutdown", "102 skip (not running)"}
	if diff := cmp.Diff(want, summary(res)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	wantLog := []string{
		"   0s shutdown 202 (timeout 3m0s)", "   0s shutdown 201 (timeout 3m0s)",
		" 180s shutdown 200 timed out after 3m0s", " 180s stop 200",
		" 180s shutdown 103 (timeout 3m0s)", " 180s shutdown 100 (timeout 3m0s)", " 180s shutdown 101 (timeout 1m0s)",
	}
	if diff := cmp.Diff(wantLog, f.log); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
	if f.guests[200].Running {
		t.Error("hung guest still running")
	}
}

func TestStopAllNoForce(t *testing.T) {
	clk := &fakeClock{}
	f := newFakeGuests(clk, Guest{VMID: 100, Type: QEMU, Running: true}, Guest{VMID: 101, Type: QEMU, Running: true})
	f.hang[100] = true
	res, err := StopAll(context.Background(), f, StopOptions{Timeout: 10 * time.Second, NoForceStop: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"101 shutdown", "100 shutdown failed"}, summary(res)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	if !f.guests[100].Running {
		t.Error("guest hard stopped despite NoForceStop")
	}
}

func TestStopAllConcurrency(t *testing.T) {
	clk := &fakeClock{}
	var gs []Guest
	for i := range 12 {
		gs = append(gs, Guest{VMID: 300 + i, Type: LXC, Running: true})
	}
	f := newFakeGuests(clk, gs...)
	res, err := StopAll(context.Background(), f, StopOptions{MaxWorkers: 3, Clock: clk})
	if err != nil || Errors(res) != nil {
		t.Fatal(err, Errors(res))
	}
	if f.peak > 3 || f.peak < 2 {
		t.Errorf("peak concurrency %d, want 2-3", f.peak)
	}
}

func TestMigrateAll(t *testing.T) {
	// pvenode migrateall pve2 --vms 100,101,102 --with-local-disks
	clk := &fakeClock{}
	gs := testGuests()
	gs[0].Running = true
	f := newFakeGuests(clk, gs...)
	res, err := MigrateAll(context.Background(), f, "pve2", MigrateOptions{VMIDs: []int{102, 101, 100}, WithLocalDisks: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"100 migrate", "101 migrate", "102 migrate"}, summary(res)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	if f.log[0] != "   0s migrate 100 to pve2 online local-disks=true" || f.log[1] != "   0s migrate 101 to pve2 offline local-disks=true" {
		t.Errorf("log = %q", f.log)
	}
	if _, err := MigrateAll(context.Background(), f, "bad node", MigrateOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad target: %v", err)
	}
}

func TestCanceled(t *testing.T) {
	clk := &fakeClock{}
	f := newFakeGuests(clk, testGuests()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := StartAll(ctx, f, StartOptions{Clock: clk})
	if !errors.Is(err, context.Canceled) || len(f.log) != 0 {
		t.Errorf("canceled StartAll: %v, log %q, results %v", err, f.log, summary(res))
	}
}

func TestParseStartup(t *testing.T) {
	s, err := ParseStartup("order=3,up=30,down=120")
	if err != nil || s != (Startup{Order: 3, Up: 30 * time.Second, Down: 2 * time.Minute}) {
		t.Errorf("ParseStartup = %+v, %v", s, err)
	}
	if s, err := ParseStartup("2"); err != nil || s.Order != 2 {
		t.Errorf("default key: %+v, %v", s, err)
	}
	for _, bad := range []string{"order=x", "up=-1", "late=1"} {
		if _, err := ParseStartup(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseStartup(%q) = %v", bad, err)
		}
	}
}
