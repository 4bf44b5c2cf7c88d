package main

import (
	"strings"
	"testing"
)

func TestNetLiveUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"net", "apply", "a", "b"}, "at most one FILE"},
		{[]string{"net", "apply", "--fdb", "tap100i0", "x"}, "PORT=MAC"},
		{[]string{"net", "apply", "--fdb", "tap100i0=zz", "x"}, "not a MAC address"},
		{[]string{"net", "apply", "--fdb", "tap100i0=bc:24:11:00:00:01@5000", "x"}, "VLAN"},
		{[]string{"net", "apply", "--confirm-within", "soon", "x"}, "invalid value"},
		{[]string{"net", "links", "x"}, "no arguments"},
		{[]string{"net", "commit", "x"}, "no arguments"},
	} {
		_, stderr, code := runAdm(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A missing file is a failure, not a usage error.
	if _, stderr, code := runAdm(t, "--root", t.TempDir(), "net", "apply", "--dry-run"); code != 1 || !strings.Contains(stderr, "interfaces") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	_, stderr, code := runAdm(t, "help", "net")
	if code != 0 || !strings.Contains(stderr, "apply") || !strings.Contains(stderr, "links") || !strings.Contains(stderr, "commit") {
		t.Errorf("net help lacks the live commands:\n%s", stderr)
	}
}
