package runnertest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/runner"
)

// recorder captures failures instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}
func (r *recorder) Helper() {}

func TestFakeExpectations(t *testing.T) {
	f := New(t)
	f.Expect("zpool", "list", "-Hp").Stdout("rpool\t100\n")
	f.Expect("zfs", "load-key", "tank").WantStdin("pw\n").Exit(255).Stderr("bad pw for pw")
	ctx := context.Background()
	res, err := f.Run(ctx, runner.Cmd{Args: []string{"zpool", "list", "-Hp"}})
	if err != nil || string(res.Stdout) != "rpool\t100\n" {
		t.Fatalf("got %q, %v", res.Stdout, err)
	}
	_, err = f.Run(ctx, runner.Cmd{Args: []string{"zfs", "load-key", "tank"}, Stdin: []byte("pw\n"), Secrets: []string{"pw"}})
	var ee *runner.ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 255 {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(ee.Stderr, "pw") {
		t.Errorf("secret not redacted: %q", ee.Stderr)
	}
}

func TestFakeHandlerState(t *testing.T) {
	f := New(t)
	pools := map[string]bool{}
	f.Handle(func(c runner.Cmd) (runner.Result, error) {
		pools[c.Args[2]] = true
		return runner.Result{}, nil
	}, "zpool", "create")
	f.Handle(func(c runner.Cmd) (runner.Result, error) {
		var b strings.Builder
		for p := range pools {
			b.WriteString(p + "\n")
		}
		return runner.Result{Stdout: []byte(b.String())}, nil
	}, "zpool", "list")
	ctx := context.Background()
	f.Run(ctx, runner.Cmd{Args: []string{"zpool", "create", "tank", "sdb"}})
	res, _ := f.Run(ctx, runner.Cmd{Args: []string{"zpool", "list", "-H"}})
	if string(res.Stdout) != "tank\n" {
		t.Errorf("state lost: %q", res.Stdout)
	}
}

func TestFakeUnexpectedFails(t *testing.T) {
	rec := &recorder{TB: t}
	f := &Fake{tb: rec}
	f.Expect("a")
	_, err := f.Run(context.Background(), runner.Cmd{Args: []string{"b"}})
	if !errors.Is(err, ErrUnexpected) {
		t.Errorf("got %v, want ErrUnexpected", err)
	}
	if len(rec.errs) != 1 {
		t.Errorf("test not failed on unexpected argv: %v", rec.errs)
	}
}

func TestFakeUnmetExpectationFails(t *testing.T) {
	rec := &recorder{TB: t}
	var cleanups []func()
	tb := &cleanupRecorder{recorder: rec, cleanups: &cleanups}
	f := New(tb)
	f.Expect("never")
	for _, c := range cleanups {
		c()
	}
	if len(rec.errs) != 1 {
		t.Errorf("unmet expectation not reported: %v", rec.errs)
	}
}

type cleanupRecorder struct {
	*recorder
	cleanups *[]func()
}

func (c *cleanupRecorder) Cleanup(fn func()) { *c.cleanups = append(*c.cleanups, fn) }
