package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hostadm/hostadm/internal/propstr"
)

// GuestType is "qemu" for virtual machines and "lxc" for containers.
type GuestType string

// Guest types.
const (
	QEMU GuestType = "qemu"
	LXC  GuestType = "lxc"
)

// Guest is what bulk actions need to know about one guest on the node.
type Guest struct {
	VMID     int       `json:"vmid"`
	Type     GuestType `json:"type"`
	Name     string    `json:"name,omitempty"`
	Running  bool      `json:"running"`
	OnBoot   bool      `json:"onboot"`
	Template bool      `json:"template,omitempty"`
	// Startup is the guest's "startup" property (order, up, down).
	Startup Startup `json:"startup"`
}

// Startup is a guest's "startup" property: "[order=]N[,up=S][,down=S]".
type Startup struct {
	// Order is the start order; guests without one (0) start after all
	// ordered ones and stop before them.
	Order int `json:"order,omitempty"`
	// Up is the delay after this guest started before the next one
	// starts; 0 means none (3 s for a VM, as Proxmox VE).
	Up time.Duration `json:"up,omitempty"`
	// Down is this guest's shutdown timeout; 0 means the bulk action's.
	Down time.Duration `json:"down,omitempty"`
}

// ParseStartup parses a guest's startup property.
func ParseStartup(v string) (Startup, error) {
	p, err := propstr.Parse(v, "order")
	if err != nil {
		return Startup{}, fmt.Errorf("%w: startup: %v", ErrInvalid, err)
	}
	var s Startup
	for _, k := range p.Keys() {
		val, _ := p.Get(k)
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return Startup{}, fmt.Errorf("%w: startup: %s=%q is not a non-negative integer", ErrInvalid, k, val)
		}
		switch k {
		case "order":
			s.Order = n
		case "up":
			s.Up = time.Duration(n) * time.Second
		case "down":
			s.Down = time.Duration(n) * time.Second
		default:
			return Startup{}, fmt.Errorf("%w: startup: unknown key %q", ErrInvalid, k)
		}
	}
	return s, nil
}

// Guests is the caller's access to the node's guests: this package
// decides what to do and in which order, the caller does it (through
// the Proxmox VE API, qm/pct, or a fake in tests).
type Guests interface {
	// List returns the guests on this node.
	List(ctx context.Context) ([]Guest, error)
	// Start starts a guest and returns when it runs.
	Start(ctx context.Context, g Guest) error
	// Shutdown asks a guest to shut down cleanly and returns when it
	// stopped, or an error when it did not within timeout.
	Shutdown(ctx context.Context, g Guest, timeout time.Duration) error
	// Stop stops a guest hard.
	Stop(ctx context.Context, g Guest) error
	// Migrate moves a guest to the target node: online (live for a VM,
	// restart mode for a container) when it runs.
	Migrate(ctx context.Context, g Guest, target string, opt MigrateOptions) error
}

// Clock is the time source of bulk actions, swappable in tests.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Action is what a bulk action did to a guest.
type Action string

// Actions of a Result.
const (
	ActionStart    Action = "start"
	ActionShutdown Action = "shutdown"
	ActionStop     Action = "stop" // hard stop after a failed clean shutdown
	ActionMigrate  Action = "migrate"
	ActionSkip     Action = "skip"
)

// Result is the outcome for one guest.
type Result struct {
	VMID int       `json:"vmid"`
	Type GuestType `json:"type"`
	Name string    `json:"name,omitempty"`
	// Action is the last action taken; ActionSkip with Reason when the
	// guest was left alone.
	Action Action `json:"action"`
	Reason string `json:"reason,omitempty"`
	// Err is the failure, nil on success.
	Err   error     `json:"-"`
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// Failed reports whether the guest's action failed.
func (r *Result) Failed() bool { return r.Err != nil }

// StartOptions control StartAll, like pvenode startall's options.
type StartOptions struct {
	// Force starts guests that are not marked to start on boot.
	Force bool
	// VMIDs limits the action to these guests; empty means all.
	VMIDs []int
	// FirstDelay is waited before the first guest starts: the node's
	// startall-onboot-delay, which Proxmox VE applies on boot.
	FirstDelay time.Duration
	// MaxWorkers is how many guests of the same start order start at
	// once; 0 means 1, one after the other as Proxmox VE does.
	MaxWorkers int
	// Clock is the time source; nil means the real clock.
	Clock Clock
}

// StopOptions control StopAll, like pvenode stopall's options.
type StopOptions struct {
	// VMIDs limits the action to these guests; empty means all.
	VMIDs []int
	// Timeout is each guest's clean shutdown timeout unless its startup
	// property has a down value; 0 means 3 minutes.
	Timeout time.Duration
	// NoForceStop leaves guests running that did not shut down in time
	// (pvenode stopall --force-stop 0); by default they are hard
	// stopped.
	NoForceStop bool
	// MaxWorkers is how many guests of the same order shut down at once;
	// 0 means the number of CPUs, as Proxmox VE without max_workers.
	MaxWorkers int
	Clock      Clock
}

// MigrateOptions control MigrateAll.
type MigrateOptions struct {
	// VMIDs limits the action to these guests; empty means all.
	VMIDs []int
	// WithLocalDisks migrates VMs with local disks, copying them live.
	WithLocalDisks bool
	// MaxWorkers is how many migrations run at once; 0 means 1.
	MaxWorkers int
	Clock      Clock
}

// DefaultStopTimeout is the clean shutdown timeout of StopAll.
const DefaultStopTimeout = 3 * time.Minute

// vmDefaultUp is the pause Proxmox VE makes after starting a VM without
// an up delay, to spread the load.
const vmDefaultUp = 3 * time.Second

func orderKey(g Guest) int {
	if g.Startup.Order == 0 {
		return math.MaxInt
	}
	return g.Startup.Order
}

// groups splits guests into start-order groups, ascending order and
// VMID within a group; desc reverses both for stopping.
func groups(gs []Guest, desc bool) [][]Guest {
	slices.SortFunc(gs, func(a, b Guest) int {
		c := cmp.Or(cmp.Compare(orderKey(a), orderKey(b)), cmp.Compare(a.VMID, b.VMID))
		if desc {
			c = -c
		}
		return c
	})
	var out [][]Guest
	for i, g := range gs {
		if i == 0 || orderKey(g) != orderKey(gs[i-1]) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], g)
	}
	return out
}

func selected(ids []int, vmid int) bool { return len(ids) == 0 || slices.Contains(ids, vmid) }

// runGroup runs fn for each guest with at most workers at once and
// returns the results in guest order.
func runGroup(ctx context.Context, gs []Guest, workers int, fn func(ctx context.Context, g Guest) Result) []Result {
	res := make([]Result, len(gs))
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for i, g := range gs {
		if ctx.Err() != nil {
			res[i] = Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionSkip, Reason: "canceled", Err: ctx.Err()}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res[i] = fn(ctx, g)
		}()
	}
	wg.Wait()
	return res
}

// StartAll starts the node's guests as pvenode startall does: only
// those marked to start on boot unless Force, limited to VMIDs, never
// templates or running guests; by ascending start order (unordered
// last) and VMID; after FirstDelay; waiting each guest's up delay (3 s
// for a VM without one) before the next start. A guest that fails to
// start does not stop the others. The error is non-nil only when the
// guests cannot be listed or ctx ends.
func StartAll(ctx context.Context, guests Guests, opt StartOptions) ([]Result, error) {
	clk := opt.Clock
	if clk == nil {
		clk = realClock{}
	}
	all, err := guests.List(ctx)
	if err != nil {
		return nil, err
	}
	var results, skipped []Result
	var todo []Guest
	for _, g := range all {
		if !selected(opt.VMIDs, g.VMID) {
			continue
		}
		r := Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionSkip}
		switch {
		case g.Template:
			r.Reason = "template"
		case !g.OnBoot && !opt.Force:
			r.Reason = "not marked to start on boot"
		case g.Running:
			r.Reason = "already running"
		default:
			todo = append(todo, g)
			continue
		}
		skipped = append(skipped, r)
	}
	if len(todo) > 0 && opt.FirstDelay > 0 {
		if err := clk.Sleep(ctx, opt.FirstDelay); err != nil {
			return append(results, skipped...), err
		}
	}
	for _, grp := range groups(todo, false) {
		res := runGroup(ctx, grp, opt.MaxWorkers, func(ctx context.Context, g Guest) Result {
			r := Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionStart, Start: clk.Now()}
			r.Err = guests.Start(ctx, g)
			r.End = clk.Now()
			if r.Err != nil {
				return r
			}
			up := g.Startup.Up
			if up == 0 && g.Type == QEMU {
				up = vmDefaultUp
			}
			if up > 0 {
				clk.Sleep(ctx, up)
			}
			return r
		})
		results = append(results, res...)
		if ctx.Err() != nil {
			return append(results, skipped...), ctx.Err()
		}
	}
	return append(results, skipped...), nil
}

// StopAll stops the node's guests as pvenode stopall does: by
// descending start order (unordered first) and VMID, up to MaxWorkers at
// once within an order; each gets a clean shutdown with its down timeout
// or Timeout (3 minutes), and is hard stopped if it did not stop in time
// unless NoForceStop. Guests that do not run are skipped.
func StopAll(ctx context.Context, guests Guests, opt StopOptions) ([]Result, error) {
	clk := opt.Clock
	if clk == nil {
		clk = realClock{}
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	workers := opt.MaxWorkers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	all, err := guests.List(ctx)
	if err != nil {
		return nil, err
	}
	var results, skipped []Result
	var todo []Guest
	for _, g := range all {
		if !selected(opt.VMIDs, g.VMID) {
			continue
		}
		if !g.Running {
			skipped = append(skipped, Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionSkip, Reason: "not running"})
			continue
		}
		todo = append(todo, g)
	}
	for _, grp := range groups(todo, true) {
		res := runGroup(ctx, grp, workers, func(ctx context.Context, g Guest) Result {
			r := Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionShutdown, Start: clk.Now()}
			down := g.Startup.Down
			if down <= 0 {
				down = timeout
			}
			err := guests.Shutdown(ctx, g, down)
			if err != nil && !opt.NoForceStop && ctx.Err() == nil {
				r.Action = ActionStop
				r.Reason = "clean shutdown failed: " + err.Error()
				err = guests.Stop(ctx, g)
			}
			r.Err = err
			r.End = clk.Now()
			return r
		})
		results = append(results, res...)
		if ctx.Err() != nil {
			return append(results, skipped...), ctx.Err()
		}
	}
	return append(results, skipped...), nil
}

// MigrateAll migrates the node's guests to target as pvenode migrateall
// does: every guest (running or not, templates too) limited to VMIDs,
// by VMID, MaxWorkers at a time.
func MigrateAll(ctx context.Context, guests Guests, target string, opt MigrateOptions) ([]Result, error) {
	if err := checkNodeName(target); err != nil {
		return nil, err
	}
	clk := opt.Clock
	if clk == nil {
		clk = realClock{}
	}
	all, err := guests.List(ctx)
	if err != nil {
		return nil, err
	}
	var todo []Guest
	for _, g := range all {
		if selected(opt.VMIDs, g.VMID) {
			todo = append(todo, g)
		}
	}
	slices.SortFunc(todo, func(a, b Guest) int { return a.VMID - b.VMID })
	res := runGroup(ctx, todo, max(opt.MaxWorkers, 1), func(ctx context.Context, g Guest) Result {
		r := Result{VMID: g.VMID, Type: g.Type, Name: g.Name, Action: ActionMigrate, Start: clk.Now()}
		r.Err = guests.Migrate(ctx, g, target, opt)
		r.End = clk.Now()
		return r
	})
	return res, ctx.Err()
}

// Errors joins the errors of failed results, each prefixed with its
// guest, or returns nil.
func Errors(results []Result) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s %d: %s: %w", r.Type, r.VMID, r.Action, r.Err))
		}
	}
	return errors.Join(errs...)
}
