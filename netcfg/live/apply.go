package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/sysctl"
)

// DefaultConfirmWithin is how long ApplyConfirm waits for Confirm before it
// restores the previous state.
const DefaultConfirmWithin = 120 * time.Second

// HookTimeout bounds each hook command.
const HookTimeout = 2 * time.Minute

// ErrRestored is matched by the error of an apply whose step failed: the
// namespace was put back as it was before the apply.
var ErrRestored = errors.New("previous state restored")

// ErrNotConfirmed is matched by Transaction.Err when the deadline passed
// (or Rollback was called) and the previous state was restored.
var ErrNotConfirmed = errors.New("apply not confirmed")

// ErrFinished is returned by Confirm and Rollback on a transaction that is
// already confirmed or rolled back.
var ErrFinished = errors.New("transaction already finished")

// StepError reports the step that failed.
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string {
	s := "step " + strings.TrimSpace(e.Step.Text)
	if e.Step.Where != "" {
		s = e.Step.Where + ": " + s
	}
	return s + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }

// Result reports what an apply did.
type Result struct {
	// Plan is what the apply set out to do; an empty plan means the
	// kernel already matched the configuration.
	Plan *Plan `json:"plan"`
	// Done is the number of steps of Plan that ran.
	Done int `json:"done"`
	// Restore lists the steps that put the previous state back after a
	// failure or an unconfirmed apply, nil if none ran.
	Restore *Plan `json:"restore,omitempty"`
}

// NoOp reports whether the apply had nothing to change.
func (r *Result) NoOp() bool { return r.Plan == nil || r.Plan.Empty() }

// Plan computes what Apply would do, without changing anything: the dry
// run.
func (c *Client) Plan(ctx context.Context, n *netcfg.Network, opts *Options) (*Plan, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, p, _, err := c.prepare(ctx, n, opts)
	return p, err
}

func (c *Client) prepare(ctx context.Context, n *netcfg.Network, opts *Options) (*State, *Plan, *target, error) {
	t, err := newTarget(n, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	var names []string
	for _, s := range t.sysctls {
		names = append(names, s.param)
	}
	// The FDB and VLAN tables are read only when the configuration
	// manages them, or when there is something to do (the snapshot a
	// rollback restores holds them): a no-op re-apply stays cheap.
	partial := !t.usesBridgeTables()
	snap, err := c.readState(ctx, names, !partial)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := makePlan(t, snap)
	if err != nil {
		return nil, nil, nil, err
	}
	if partial && !p.Empty() {
		if snap, err = c.readState(ctx, names, true); err != nil {
			return nil, nil, nil, err
		}
		if p, err = makePlan(t, snap); err != nil {
			return nil, nil, nil, err
		}
	}
	return snap, p, t, nil
}

// Apply makes the namespace match the configuration n: it reads the
// kernel's state, computes the difference (see Plan) and runs only those
// steps. A second Apply of the same configuration finds nothing to do
// and returns a Result whose NoOp is true.
//
// If a step fails, Apply restores the state it found at once (links,
// their options and ports, addresses, routes, FDB and VLAN entries,
// sysctls) and returns a *StepError that also matches ErrRestored; the
// errors of a restore that could not finish are joined to it.
func (c *Client) Apply(ctx context.Context, n *netcfg.Network, opts *Options) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, p, t, err := c.prepare(ctx, n, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: p}
	if p.Empty() {
		return res, nil
	}
	return res, c.runPlan(ctx, res, snap, t)
}

// runPlan executes the plan and restores snap when a step fails.
func (c *Client) runPlan(ctx context.Context, res *Result, snap *State, t *target) error {
	ran := map[string]bool{}
	for i, s := range res.Plan.Steps {
		if err := c.exec(ctx, s); err != nil {
			res.Done = i
			serr := &StepError{Step: s, Err: err}
			// Restore with a context of its own: the caller's may be
			// what failed.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
			defer cancel()
			rp, rerr := c.restore(rctx, snap, t, ran)
			res.Restore = rp
			if rerr != nil {
				return errors.Join(serr, fmt.Errorf("restoring the previous state: %w", rerr))
			}
			return fmt.Errorf("%w (%w)", serr, ErrRestored)
		}
		if s.Op == OpExec && (s.Hook == "up" || s.Hook == "post-up") {
			ran[s.Link] = true
		}
	}
	res.Done = len(res.Plan.Steps)
	return nil
}

// restore puts the namespace back to snap. Links whose up hooks ran get
// their down hooks when the restore takes them down or deletes them.
// After the steps it reads the state again and reports what still
// differs.
func (c *Client) restore(ctx context.Context, snap *State, applied *target, ran map[string]bool) (*Plan, error) {
	var names []string
	for k := range snap.Sysctls {
		names = append(names, k)
	}
	cur, err := c.readState(ctx, names, true)
	if err != nil {
		return nil, err
	}
	t := restoreTarget(snap, applied, ran)
	p, err := makePlan(t, cur)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, s := range p.Steps {
		if err := c.exec(ctx, s); err != nil {
			errs = append(errs, &StepError{Step: s, Err: err})
		}
	}
	after, err := c.readState(ctx, names, true)
	if err != nil {
		return p, errors.Join(append(errs, err)...)
	}
	if left, err := makePlan(restoreTarget(snap, nil, nil), after); err == nil && !left.Empty() {
		errs = append(errs, fmt.Errorf("state still differs: %s", strings.Join(stepTexts(left), "; ")))
	}
	return p, errors.Join(errs...)
}

func stepTexts(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Text)
	}
	return out
}

// restoreTarget asks for the snapshot exactly: its links with every
// option, master and up state, no other virtual links, its addresses,
// routes, FDB and VLAN entries, and its sysctl values.
func restoreTarget(snap *State, applied *target, ran map[string]bool) *target {
	t := &target{prune: true, exactRoutes: true, exactFDB: true, fdbPorts: map[string]bool{}}
	// Lower devices first: a VLAN after its lower device, a veth once.
	order := linkOrder(snap)
	for _, l := range order {
		w := &wantLink{name: l.Name, up: ptr(l.Up), mtu: l.MTU, master: ptr(l.Master), manageAddrs: bothFamilies, manageVLANs: true}
		if l.MTU == 0 {
			w.mtu = 0
		}
		if l.IsVirtual() {
			w.kind = l.Kind
			w.parent = l.Parent
			if l.VLAN != nil {
				v := *l.VLAN
				w.vlan = &v
			}
		}
		if l.IsVirtual() || l.Kind == "" {
			w.mac = l.MAC
		}
		if b := l.Bridge; b != nil {
			w.bridge = &BridgeOptions{STP: ptr(b.STP), ForwardDelay: ptr(b.ForwardDelay), VLANFiltering: ptr(b.VLANFiltering)}
			if b.DefaultPVID != 0 { // 0: the kernel does not report it
				w.bridge.DefaultPVID = ptr(b.DefaultPVID)
			}
		}
		if b := l.Bond; b != nil {
			w.bond = &BondOptions{Mode: ptr(b.Mode), MIIMon: ptr(b.MIIMon), XmitHashPolicy: ptr(b.XmitHashPolicy), LACPRate: ptr(b.LACPRate),
				Primary: ptr(b.Primary), MinLinks: ptr(b.MinLinks), UpDelay: ptr(b.UpDelay), DownDelay: ptr(b.DownDelay)}
		}
		if l.Port != nil {
			p := *l.Port
			w.port = &p
		}
		for _, a := range snap.AddressesOf(l.Name) {
			if a.managed() {
				w.addrs = append(w.addrs, a.Prefix)
			}
		}
		for _, e := range snap.VLANs {
			if e.Link == l.Name {
				w.vlans = append(w.vlans, e)
			}
		}
		w.keepMember = func(string) bool { return false }
		if applied != nil && ran[l.Name] && !l.Up {
			if aw := applied.by[l.Name]; aw != nil {
				w.preDown, w.postDown = aw.preDown, aw.postDown
			}
		}
		t.add(w)
	}
	// Links the apply created and ran hooks for: their down hooks run
	// before the prune deletes them.
	if applied != nil {
		for _, aw := range applied.links {
			if ran[aw.name] && snap.Link(aw.name) == nil {
				t.remove = append(t.remove, &wantLink{name: aw.name, kind: aw.kind, preDown: aw.preDown, postDown: aw.postDown})
			}
		}
	}
	for _, r := range snap.Routes {
		if r.Protocol != "kernel" {
			t.routes = append(t.routes, r)
		}
	}
	t.fdb = slices.Clone(snap.FDB)
	for k, v := range snap.Sysctls {
		t.sysctls = append(t.sysctls, sysctlWant{param: sysctl.Normalize(k), value: v})
	}
	slices.SortFunc(t.sysctls, func(a, b sysctlWant) int { return strings.Compare(a.param, b.param) })
	return t
}

// linkOrder sorts links so that each comes after its VLAN lower device
// and after its ports and slaves (so that MTUs and masters apply bottom
// up).
func linkOrder(s *State) []Link {
	var out []Link
	state := map[string]int{}
	members := map[string][]string{}
	for _, l := range s.Links {
		if l.Master != "" {
			members[l.Master] = append(members[l.Master], l.Name)
		}
	}
	var visit func(name string)
	visit = func(name string) {
		if state[name] != 0 {
			return
		}
		state[name] = 1
		l := s.Link(name)
		if l == nil {
			return
		}
		if l.Kind == "vlan" && l.Parent != "" {
			visit(l.Parent)
		}
		for _, m := range members[name] {
			visit(m)
		}
		state[name] = 2
		out = append(out, *l)
	}
	for _, l := range s.Links {
		visit(l.Name)
	}
	return out
}

// exec runs one step. A removal of what is already gone succeeds.
func (c *Client) exec(ctx context.Context, s Step) error {
	err := c.exec1(ctx, s)
	switch s.Op {
	case OpAddrDel, OpRouteDel, OpFDBDel, OpDelete:
		// Deleting a device takes its VLANs, addresses and routes along.
		if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, ErrNotFound) || errors.Is(err, syscall.ENODEV) {
			return nil
		}
	}
	return err
}

func (c *Client) exec1(ctx context.Context, s Step) error {
	switch s.Op {
	case OpCreate:
		var br *BridgeOptions
		var bond *BondOptions
		if s.chg != nil {
			br, bond = s.chg.Bridge, s.chg.Bond
		}
		return c.k.create(ctx, s.link, br, bond)
	case OpDelete:
		return c.k.del(ctx, s.Link)
	case OpSet:
		// MTU and MAC first, then the driver options, each its own
		// request so that a refusal names what was refused.
		if s.chg.MTU != 0 || s.chg.MAC != nil {
			if err := c.k.change(ctx, s.Link, &linkChange{MTU: s.chg.MTU, MAC: s.chg.MAC}); err != nil {
				return err
			}
		}
		if s.chg.Bridge != nil || s.chg.Bond != nil {
			return c.k.change(ctx, s.Link, &linkChange{Bridge: s.chg.Bridge, Bond: s.chg.Bond})
		}
		return nil
	case OpUp:
		return c.k.setUp(ctx, s.Link, true)
	case OpDown:
		return c.k.setUp(ctx, s.Link, false)
	case OpEnslave:
		return c.k.setMaster(ctx, s.Link, s.master)
	case OpRelease:
		return c.k.setMaster(ctx, s.Link, "")
	case OpPort:
		return c.k.setLearning(ctx, s.Link, s.port.Learning)
	case OpVLAN:
		cur, err := c.k.linkVLANs(ctx, s.Link)
		if err != nil {
			return err
		}
		del, add := vlanDiff(s.Link, cur, s.vlans, s.manage)
		if len(del) > 0 {
			if err := c.k.vlan(ctx, false, s.self, del); err != nil {
				return err
			}
		}
		if len(add) > 0 {
			return c.k.vlan(ctx, true, s.self, add)
		}
		return nil
	case OpFDBAdd, OpFDBDel:
		return c.k.fdbEntry(ctx, s.Op == OpFDBAdd, s.fdb)
	case OpAddrAdd, OpAddrDel:
		return c.k.address(ctx, s.Op == OpAddrAdd, s.Link, s.addr)
	case OpRouteAdd, OpRouteDel:
		return c.k.route(ctx, s.Op == OpRouteAdd, s.route)
	case OpSysctl:
		err := c.sys.Set(s.param, s.value)
		if s.optional && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	case OpExec:
		return c.hook(ctx, s)
	}
	return fmt.Errorf("unknown step %q", s.Op)
}

// hook runs a hook command in the client's namespace: through nsenter
// when the client works in another namespace.
func (c *Client) hook(ctx context.Context, s Step) error {
	argv := s.Argv
	if s.Shell != "" {
		argv = []string{"/bin/sh", "-c", s.line}
	}
	if ns := c.k.nsPath(); ns != "" {
		argv = append([]string{"nsenter", "--net=" + ns, "--"}, argv...)
	}
	_, err := c.run.Run(ctx, runner.Cmd{Args: argv, Env: s.env, Timeout: HookTimeout})
	return err
}

// Transaction is an apply waiting for confirmation: unless Confirm is
// called before the deadline, the previous state is restored.
type Transaction struct {
	// Result is what the apply did; after an automatic restore its
	// Restore lists the restoring steps.
	Result *Result

	c        *Client
	snap     *State
	t        *target
	ran      map[string]bool
	deadline time.Time
	timer    *time.Timer
	mu       sync.Mutex
	finished bool
	done     chan struct{}
	err      error
	// onRollback runs after the state is restored (a commit puts the
	// old file back).
	onRollback func(ctx context.Context) error
}

// ApplyConfirm applies n like Apply and arms a deadline (within, or
// DefaultConfirmWithin when 0): the caller checks that the host is still
// reachable and calls Confirm; if it does not in time, the namespace is
// restored to the state before the apply, as when a step fails. The
// Client must stay open until the transaction is done.
func (c *Client) ApplyConfirm(ctx context.Context, n *netcfg.Network, opts *Options, within time.Duration) (*Transaction, error) {
	return c.applyConfirm(ctx, n, opts, within, nil)
}

// applyConfirm is ApplyConfirm with a function that runs after an
// automatic or explicit rollback restored the state.
func (c *Client) applyConfirm(ctx context.Context, n *netcfg.Network, opts *Options, within time.Duration, onRollback func(context.Context) error) (*Transaction, error) {
	if within <= 0 {
		within = DefaultConfirmWithin
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, p, t, err := c.prepare(ctx, n, opts)
	if err != nil {
		return nil, err
	}
	tx := &Transaction{Result: &Result{Plan: p}, c: c, snap: snap, t: t, ran: map[string]bool{}, done: make(chan struct{}), onRollback: onRollback}
	if p.Empty() {
		tx.finished = true
		close(tx.done)
		return tx, nil
	}
	if err := c.runPlan(ctx, tx.Result, snap, t); err != nil {
		tx.finished, tx.err = true, err
		close(tx.done)
		return tx, err
	}
	for _, s := range p.Steps {
		if s.Op == OpExec && (s.Hook == "up" || s.Hook == "post-up") {
			tx.ran[s.Link] = true
		}
	}
	tx.deadline = time.Now().Add(within)
	tx.timer = time.AfterFunc(within, func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		tx.rollback(rctx)
	})
	return tx, nil
}

// Deadline returns when the transaction rolls back unless confirmed.
func (tx *Transaction) Deadline() time.Time { return tx.deadline }

// Done is closed when the transaction is confirmed or rolled back.
func (tx *Transaction) Done() <-chan struct{} { return tx.done }

// Err returns, once Done is closed, nil for a confirmed transaction and
// an error matching ErrNotConfirmed for a rolled back one (joined with
// the errors of a restore that could not finish).
func (tx *Transaction) Err() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.err
}

// Confirm keeps the applied configuration. It returns ErrFinished when
// the deadline already passed and the state was restored.
func (tx *Transaction) Confirm() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.finished {
		if tx.err != nil {
			return fmt.Errorf("%w: %w", ErrFinished, tx.err)
		}
		return nil
	}
	tx.timer.Stop()
	tx.finished = true
	close(tx.done)
	return nil
}

// Rollback restores the previous state now instead of at the deadline.
func (tx *Transaction) Rollback(ctx context.Context) error {
	if tx.timer != nil {
		tx.timer.Stop()
	}
	return tx.rollback(ctx)
}

func (tx *Transaction) rollback(ctx context.Context) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.finished {
		return ErrFinished
	}
	tx.c.mu.Lock()
	rp, err := tx.c.restore(ctx, tx.snap, tx.t, tx.ran)
	tx.c.mu.Unlock()
	tx.Result.Restore = rp
	if tx.onRollback != nil {
		err = errors.Join(err, tx.onRollback(ctx))
	}
	tx.err = ErrNotConfirmed
	if err != nil {
		tx.err = errors.Join(ErrNotConfirmed, err)
	}
	tx.finished = true
	close(tx.done)
	if err != nil {
		return err
	}
	return nil
}
