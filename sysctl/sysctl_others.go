//go:build !linux

package sysctl

import (
	"errors"
	"fmt"
)

func doInNetNS(path string, fd int, fn func() error) error {
	return fmt.Errorf("network namespaces: %w", errors.ErrUnsupported)
}
