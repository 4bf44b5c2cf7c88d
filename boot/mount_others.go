//go:build !linux

package boot

import (
	"errors"
	"fmt"
)

func withMountedESP(dev, dir string, fn func() error) error {
	return fmt.Errorf("mount %s: %w", dev, errors.ErrUnsupported)
}
