//go:build !linux

package live

import (
	"errors"
	"fmt"
)

func newKernel(*Config) (kernel, error) {
	return nil, fmt.Errorf("netlink: %w", errors.ErrUnsupported)
}
