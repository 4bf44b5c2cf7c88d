//go:build !linux

package apt

import "testing"

// evictLists is a no-op where posix_fadvise is not available: the cold
// benchmark then measures a warm cache.
func evictLists(tb testing.TB) {}
