//go:build !(linux && cgo && libzfs)

package libzfs

import (
	"errors"
	"fmt"

	"github.com/hostadm/hostadm/zfs"
)

// New returns an error: this build has no libzfs backend.
func New() (zfs.Backend, error) {
	return nil, fmt.Errorf("libzfs: built without the libzfs build tag (or cgo): %w", errors.ErrUnsupported)
}
