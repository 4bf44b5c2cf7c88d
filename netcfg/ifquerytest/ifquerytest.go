// Package ifquerytest runs ifupdown2's ifquery as a test oracle, from
// Debian's ifupdown2 package unpacked (never installed: it would take over
// the machine's networking) into the module's .cache directory by
// scripts/debroot, in a network namespace of its own.
package ifquerytest

import (
	"bytes"
	_ "embed"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

//go:embed oracle.py
var script []byte

// Oracle runs ifquery.
type Oracle struct {
	root   string // the unpacked package tree
	script string
	python string
}

var (
	mu      sync.Mutex
	unpacks = map[string]error{}
)

// moduleRoot finds the directory holding go.mod above the working
// directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// Unpacked returns the directory into which the Debian packages pkgs are
// unpacked (.cache/NAME below the module), unpacking them with
// scripts/debroot first if needed (as root). It skips the test (or fails
// it under CI) when they cannot be had.
func Unpacked(tb testing.TB, name string, pkgs ...string) string {
	tb.Helper()
	mod := moduleRoot(tb)
	dir := filepath.Join(mod, ".cache", name)
	mu.Lock()
	defer mu.Unlock()
	err, tried := unpacks[dir]
	if !tried {
		complete := true
		for _, p := range pkgs {
			if _, err := os.Stat(filepath.Join(dir, ".debroot", p)); err != nil {
				complete = false
			}
		}
		if !complete {
			if os.Geteuid() != 0 {
				err = errors.New("not root")
			} else {
				cmd := exec.Command(filepath.Join(mod, "scripts/debroot"), append([]string{dir}, pkgs...)...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if e := cmd.Run(); e != nil {
					err = errors.New(e.Error() + ": " + out.String())
				}
			}
		}
		unpacks[dir] = err
	}
	if err != nil {
		testenv.Skip(tb, "Debian packages %v are not unpacked in %s (run scripts/debroot %s %v as root): %v", pkgs, dir, dir, pkgs, err)
	}
	return dir
}

// New returns the ifquery oracle. It needs python3 and unshare.
func New(tb testing.TB) *Oracle {
	tb.Helper()
	testenv.RequireTool(tb, "unshare")
	root := Unpacked(tb, "ifupdown2", "ifupdown2")
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		testenv.RequireTool(tb, "python3")
		python = "python3"
	}
	p := filepath.Join(tb.TempDir(), "ifquery.py")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		tb.Fatal(err)
	}
	return &Oracle{root: root, script: p, python: python}
}

// Command returns the command that runs "ifquery ARGS..." in a new user
// and network namespace.
func (o *Oracle) Command(args ...string) *exec.Cmd {
	cmd := exec.Command("unshare", append([]string{"-rn", o.python, o.script}, args...)...)
	cmd.Env = append(os.Environ(), "IFQUERY_ORACLE_ROOT="+o.root, "LC_ALL=C")
	return cmd
}

// Run runs "ifquery ARGS..." and returns its standard output and error
// output; err is set when it exits non-zero.
func (o *Oracle) Run(args ...string) (stdout, stderr []byte, err error) {
	cmd := o.Command(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}
