package rootfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// A read-modify-write cycle on a file below a root: the lock, the digest
// check against writers that do not lock, and the atomic write are Edit's.
func ExampleFS_Edit() {
	dir, _ := os.MkdirTemp("", "rootfs")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/hosts"), []byte("127.0.0.1 localhost\n"), 0o644)

	f, _ := rootfs.Open(dir)
	defer f.Close()
	err := f.Edit(context.Background(), "/etc/hosts", nil, func(old []byte, exists bool) ([]byte, error) {
		if strings.Contains(string(old), "pve1") {
			return old, nil // nothing to do: the file is not rewritten
		}
		return append(old, "192.0.2.10 pve1.example.com pve1\n"...), nil
	})
	if err != nil {
		fmt.Println(err)
	}
	b, _ := f.ReadFile("/etc/hosts")
	fmt.Print(string(b))
	// Output:
	// 127.0.0.1 localhost
	// 192.0.2.10 pve1.example.com pve1
}
