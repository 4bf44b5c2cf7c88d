// Package runnertest provides a scripted, stateful [runner.Runner] for
// tests: every command must match an expectation or a handler, and anything
// else fails the test.
package runnertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hostadm/hostadm/internal/runner"
)

// Fake is a [runner.Runner] for tests.
//
// Expectations are consumed in the order they were added; handlers stay
// registered and can keep state between calls (a fake zpool that remembers
// the pools it created). A call is matched against the next expectation
// first, then against the handler with the longest matching argv prefix.
type Fake struct {
	tb       testing.TB
	mu       sync.Mutex
	expects  []*Reply
	handlers []handler
	calls    []runner.Cmd
}

type handler struct {
	prefix []string
	fn     func(runner.Cmd) (runner.Result, error)
}

// New returns a Fake that fails tb on unexpected commands and, at cleanup,
// on expectations that were never met.
func New(tb testing.TB) *Fake {
	tb.Helper()
	f := &Fake{tb: tb}
	tb.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, r := range f.expects {
			tb.Errorf("expected command never ran: %s", strings.Join(r.argv, " "))
		}
	})
	return f
}

// Reply is the scripted outcome of one expected command.
type Reply struct {
	argv  []string
	stdin *string
	res   runner.Result
	err   error
}

// Expect adds an expectation for the exact argv; it replies with empty
// output and exit status 0 unless told otherwise.
func (f *Fake) Expect(argv ...string) *Reply {
	r := &Reply{argv: argv}
	f.mu.Lock()
	f.expects = append(f.expects, r)
	f.mu.Unlock()
	return r
}

// Stdout sets the reply's standard output.
func (r *Reply) Stdout(s string) *Reply { r.res.Stdout = []byte(s); return r }

// Stderr sets the reply's standard error.
func (r *Reply) Stderr(s string) *Reply { r.res.Stderr = []byte(s); return r }

// Exit sets the reply's exit status.
func (r *Reply) Exit(code int) *Reply { r.res.ExitCode = code; return r }

// Fail makes the command fail to start with err (use exec.ErrNotFound for
// a missing tool).
func (r *Reply) Fail(err error) *Reply { r.err = err; return r }

// WantStdin makes the call fail the test unless its stdin equals s.
func (r *Reply) WantStdin(s string) *Reply { r.stdin = &s; return r }

// Handle registers fn for every command whose argv starts with prefix.
func (f *Fake) Handle(fn func(runner.Cmd) (runner.Result, error), prefix ...string) {
	f.mu.Lock()
	f.handlers = append(f.handlers, handler{prefix: prefix, fn: fn})
	f.mu.Unlock()
}

// Calls returns the commands run so far.
func (f *Fake) Calls() []runner.Cmd {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ErrUnexpected is returned for a command that nothing expected.
var ErrUnexpected = errors.New("runnertest: unexpected command")

// Run implements [runner.Runner].
func (f *Fake) Run(ctx context.Context, c runner.Cmd) (runner.Result, error) {
	if err := ctx.Err(); err != nil {
		return runner.Result{ExitCode: -1}, &runner.ExitError{Argv: runner.Redact(c.Args, c.Secrets), ExitCode: -1, Err: err}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	var (
		res runner.Result
		err error
		fn  func(runner.Cmd) (runner.Result, error)
	)
	switch {
	case len(f.expects) > 0 && slices.Equal(f.expects[0].argv, c.Args):
		r := f.expects[0]
		f.expects = f.expects[1:]
		if r.stdin != nil && *r.stdin != string(c.Stdin) {
			f.tb.Errorf("command %s: stdin = %q, want %q", strings.Join(c.Args, " "), c.Stdin, *r.stdin)
		}
		res, err = r.res, r.err
	default:
		best := -1
		for i, h := range f.handlers {
			if len(h.prefix) <= len(c.Args) && slices.Equal(h.prefix, c.Args[:len(h.prefix)]) &&
				(best < 0 || len(h.prefix) > len(f.handlers[best].prefix)) {
				best = i
			}
		}
		if best < 0 {
			next := "nothing"
			if len(f.expects) > 0 {
				next = strings.Join(f.expects[0].argv, " ")
			}
			f.mu.Unlock()
			f.tb.Errorf("unexpected command: %s (next expected: %s)", strings.Join(c.Args, " "), next)
			return runner.Result{ExitCode: -1}, &runner.ExitError{Argv: c.Args, ExitCode: -1, Err: ErrUnexpected}
		}
		fn = f.handlers[best].fn
	}
	f.mu.Unlock()
	if fn != nil {
		res, err = fn(c)
	}
	if c.OnLine != nil {
		for line := range strings.Lines(string(res.Stdout)) {
			c.OnLine(strings.TrimRight(line, "\n"))
		}
	}
	if err != nil {
		var ee *runner.ExitError
		if errors.As(err, &ee) {
			return res, err
		}
		return runner.Result{ExitCode: -1}, &runner.ExitError{Argv: runner.Redact(c.Args, c.Secrets), ExitCode: -1, Err: err}
	}
	if res.ExitCode != 0 {
		return res, &runner.ExitError{
			Argv:     runner.Redact(c.Args, c.Secrets),
			ExitCode: res.ExitCode,
			Stderr:   redact(string(res.Stderr), c.Secrets),
			Err:      fmt.Errorf("exit status %d", res.ExitCode),
		}
	}
	return res, nil
}

func redact(s string, secrets []string) string {
	return strings.Join(runner.Redact([]string{s}, secrets), "")
}
