//go:build !unix

package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

var (
	errWouldBlock      = errors.New("lock held")
	errSyncUnsupported = errors.New("sync unsupported")
)

func tryLock(*os.File) error {
	return fmt.Errorf("advisory locks: %w", errors.ErrUnsupported)
}

func unlock(*os.File) error { return nil }

func copyOwner(*os.File, fs.FileInfo) error { return nil }
