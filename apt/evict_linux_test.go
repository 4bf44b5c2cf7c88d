package apt

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// evictLists drops this machine's package lists and dpkg status from the
// page cache (posix_fadvise DONTNEED on those files only), for cold-cache
// runs that do not disturb the rest of the machine.
func evictLists(tb testing.TB) {
	tb.Helper()
	files, _ := filepath.Glob("/var/lib/apt/lists/*")
	files = append(files, DpkgStatus)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
	}
}
