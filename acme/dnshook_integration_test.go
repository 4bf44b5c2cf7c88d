//go:build integration

package acme

import (
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestHookUserNobody checks that, run as root, the hook runs as nobody
// unless told otherwise, and still gets whole values.
func TestHookUserNobody(t *testing.T) {
	testenv.RequireRoot(t)
	script, run := fakeHook(t)
	got := run(t, Config{HookScript: script})
	if !strings.HasPrefix(got, "uid=65534 ") || !strings.HasSuffix(got, "secret=two words and more") {
		t.Errorf("as nobody: %q", got)
	}
}
