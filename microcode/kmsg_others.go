//go:build !linux

package microcode

import (
	"context"
	"errors"
)

func readKmsg(context.Context) ([]byte, error) {
	return nil, errors.ErrUnsupported
}
