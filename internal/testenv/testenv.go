// Package testenv holds the test helpers of every tier: what a test
// requires (root, a tool, the test VM) and the kernel objects it may create
// (network namespaces and loop devices, removed when the test ends).
//
// With CI=true in the environment, a test that would skip because a tool
// or privilege is missing fails instead, so that CI cannot pass by
// skipping.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run under CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// InVM reports whether the tests run inside the project's test VM.
func InVM() bool { return os.Getenv("HOSTADM_VM") == "1" }

// Skip skips the test, or fails it under CI.
func Skip(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		tb.Fatalf("CI=true: would skip: %s", msg)
	}
	tb.Skip(msg)
}

// RequireRoot skips (or fails under CI) unless the test runs as root.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Skip(tb, "needs root")
	}
}

// RequireTool skips (or fails under CI) unless every named program is in
// PATH.
func RequireTool(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			Skip(tb, "needs %s in PATH", n)
		}
	}
}

// RequireFile skips (or fails under CI) unless path exists; use it for
// kernel features such as /sys/kernel/mm/ksm.
func RequireFile(tb testing.TB, path string) {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		Skip(tb, "needs %s: %v", path, err)
	}
}

// RequireVM skips the test unless it runs inside the test VM. VM-tier tests
// (build tag vmtest) start with it; `make vmtest` runs them in the guest,
// where they never skip. It does not fail under CI on the host, because the
// host never runs those tests directly.
func RequireVM(tb testing.TB) {
	tb.Helper()
	if !InVM() {
		tb.Skip("runs inside the test VM (make vmtest)")
	}
}
