//go:build !linux

package efivar

import (
	"errors"
	"fmt"
)

func writeVar(p string, b []byte) error {
	return fmt.Errorf("write %s: %w", p, errors.ErrUnsupported)
}

func deleteVar(p string) error {
	return fmt.Errorf("delete %s: %w", p, errors.ErrUnsupported)
}
