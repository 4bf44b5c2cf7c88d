//go:build !linux

package timesync

import (
	"errors"
	"fmt"
)

// ReadClock is only implemented on Linux.
func ReadClock() (Clock, error) {
	return Clock{}, fmt.Errorf("adjtimex: %w", errors.ErrUnsupported)
}
