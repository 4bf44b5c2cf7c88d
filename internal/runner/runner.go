// Package runner runs external commands for the module's packages: argv
// only, never a shell; LC_ALL=C so output is stable to parse; a context
// whose end kills the child and its process group; stdout and stderr
// captured; failures reported as [*ExitError] with argv, exit code and
// stderr, with secret values redacted.
//
// Packages hold a [Runner] so that tests can swap in a [Fake].
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Cmd describes one command to run.
type Cmd struct {
	// Args is the argv; Args[0] is looked up in PATH unless it holds a
	// slash.
	Args []string
	// Stdin, when non-nil, is written to the command's standard input.
	// Use it for passphrases and plugin data, which must not appear in argv.
	Stdin []byte
	// Env adds variables to the command's environment (KEY=VALUE). The
	// environment always has LC_ALL=C.
	Env []string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Secrets are values that must never appear in errors or logs; every
	// occurrence in argv and stderr of an error is replaced by "<redacted>".
	Secrets []string
	// Timeout, when positive, bounds the run in addition to the context.
	Timeout time.Duration
	// OnLine, when set, receives each line of standard output as it
	// arrives (for progress reporting). Output is captured all the same.
	OnLine func(line string)
}

// Result is what a finished command produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	Duration time.Duration
}

// Runner runs commands.
type Runner interface {
	// Run runs cmd and waits for it. A command that runs but exits
	// non-zero returns its Result and an *ExitError; a command that cannot
	// be started returns an *ExitError wrapping the cause (exec.ErrNotFound
	// for a missing tool) with ExitCode -1.
	Run(ctx context.Context, cmd Cmd) (Result, error)
}

// Exec runs commands on the host.
type Exec struct {
	// Path, when non-empty, replaces PATH for the lookup and the child.
	Path string
}

// Default is the host runner.
var Default Runner = &Exec{}

// Run implements [Runner].
func (e *Exec) Run(ctx context.Context, c Cmd) (Result, error) {
	if len(c.Args) == 0 {
		return Result{}, &ExitError{ExitCode: -1, Err: errors.New("empty argv")}
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	if e.Path != "" && !strings.Contains(c.Args[0], "/") {
		p, err := lookPath(c.Args[0], e.Path)
		cmd.Path, cmd.Err = p, err
		if err != nil {
			cmd.Err = &exec.Error{Name: c.Args[0], Err: err}
		}
	}
	cmd.Dir = c.Dir
	cmd.Env = environ(e.Path, c.Env)
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 1 << 20}
	var lines *lineWriter
	if c.OnLine != nil {
		lines = &lineWriter{fn: c.OnLine}
		cmd.Stdout = io.MultiWriter(&stdout, lines)
	} else {
		cmd.Stdout = &stdout
	}
	start := time.Now()
	err := cmd.Run()
	if lines != nil {
		lines.flush()
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Duration: time.Since(start)}
	if err == nil {
		return res, nil
	}
	res.ExitCode = -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return res, newExitError(c, res, err)
}

func environ(path string, extra []string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+2)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "LC_ALL", k == "LANG", k == "LANGUAGE", strings.HasPrefix(k, "LC_"):
			continue
		case k == "PATH" && path != "":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "LC_ALL=C")
	if path != "" {
		env = append(env, "PATH="+path)
	}
	return append(env, extra...)
}

func lookPath(name, pathList string) (string, error) {
	for _, dir := range strings.Split(pathList, ":") {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// ExitError reports a command that failed.
type ExitError struct {
	Argv     []string // redacted
	ExitCode int      // -1 when the command did not run or was killed
	Stderr   string   // redacted and trimmed to its last lines
	Err      error    // the cause: *exec.ExitError, exec.ErrNotFound, context errors
}

func newExitError(c Cmd, res Result, err error) *ExitError {
	return &ExitError{
		Argv:     Redact(c.Args, c.Secrets),
		ExitCode: res.ExitCode,
		Stderr:   tail(redactString(string(res.Stderr), c.Secrets), 2048),
		Err:      err,
	}
}

func (e *ExitError) Error() string {
	var b strings.Builder
	b.WriteString(strings.Join(quoteArgs(e.Argv), " "))
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, ": exit status %d", e.ExitCode)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

func (e *ExitError) Unwrap() error { return e.Err }

// NotFound reports whether err says the command's program is missing.
func NotFound(err error) bool { return errors.Is(err, exec.ErrNotFound) }

func quoteArgs(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// Redacted replaces secrets in messages.
const Redacted = "<redacted>"

// Redact returns a copy of argv with every secret value replaced.
func Redact(argv []string, secrets []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = redactString(a, secrets)
	}
	return out
}

func redactString(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

type lineWriter struct {
	mu   sync.Mutex
	fn   func(string)
	part []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	consumed := 0
	for {
		i := bytes.IndexByte(w.part[consumed:], '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimRight(string(w.part[consumed:consumed+i]), "\r"))
		consumed += i + 1
	}
	w.part = append(w.part[:0], w.part[consumed:]...)
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.part) > 0 {
		w.fn(string(w.part))
		w.part = nil
	}
}
