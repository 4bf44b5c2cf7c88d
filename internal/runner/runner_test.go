package runner

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunCapturesAndSetsLocale(t *testing.T) {
	t.Setenv("LANG", "de_DE.UTF-8")
	t.Setenv("LC_MESSAGES", "de_DE.UTF-8")
	res, err := Default.Run(context.Background(), Cmd{
		Args:  []string{"sh", "-c", `echo "$LC_ALL $LANG $LC_MESSAGES"; echo err >&2; read x; echo "in:$x"`},
		Stdin: []byte("hello\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("C  \nin:hello\n", string(res.Stdout)); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	if string(res.Stderr) != "err\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestRunNoShell(t *testing.T) {
	res, err := Default.Run(context.Background(), Cmd{Args: []string{"echo", "$HOME", "a;b", "`id`"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Stdout); got != "$HOME a;b `id`\n" {
		t.Errorf("arguments were interpreted: %q", got)
	}
}

func TestExitErrorRedacts(t *testing.T) {
	_, err := Default.Run(context.Background(), Cmd{
		Args:    []string{"sh", "-c", "echo token=s3cret-value >&2; exit 3", "--token=s3cret-value"},
		Secrets: []string{"s3cret-value"},
	})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("got %T %v, want *ExitError", err, err)
	}
	if ee.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", ee.ExitCode)
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") {
		t.Errorf("secret in error: %s", msg)
	}
	for _, want := range []string{"exit status 3", "--token=<redacted>", "token=<redacted>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestNotFound(t *testing.T) {
	_, err := Default.Run(context.Background(), Cmd{Args: []string{"hostadm-no-such-tool"}})
	if !NotFound(err) {
		t.Errorf("got %v, want exec.ErrNotFound", err)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode != -1 {
		t.Errorf("got %#v", err)
	}
	if !errors.Is(err, exec.ErrNotFound) {
		t.Error("errors.Is(err, exec.ErrNotFound) is false")
	}
}

func TestTimeoutKillsGroup(t *testing.T) {
	start := time.Now()
	// The child spawns a grandchild that keeps stdout open; only killing
	// the group ends the run quickly.
	_, err := Default.Run(context.Background(), Cmd{
		Args:    []string{"sh", "-c", "sleep 30 & sleep 30"},
		Timeout: 200 * time.Millisecond,
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run took %v after the timeout", d)
	}
}

func TestOnLine(t *testing.T) {
	var lines []string
	_, err := Default.Run(context.Background(), Cmd{
		Args:   []string{"printf", "one\ntwo\r\nthree"},
		OnLine: func(l string) { lines = append(lines, l) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one", "two", "three"}, lines); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
}

func TestExecPath(t *testing.T) {
	e := &Exec{Path: "/nonexistent"}
	if _, err := e.Run(context.Background(), Cmd{Args: []string{"ls"}}); !NotFound(err) {
		t.Errorf("PATH override ignored: %v", err)
	}
}
