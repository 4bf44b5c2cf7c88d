//go:build !linux

package smart

import (
	"context"
	"errors"
	"fmt"
)

func (c *Client) readNative(ctx context.Context, device string) (*Report, error) {
	return nil, fmt.Errorf("%s: native SMART reads: %w", device, errors.ErrUnsupported)
}

func (c *Client) enableSMART(ctx context.Context, device string) error {
	return fmt.Errorf("%s: SMART ENABLE OPERATIONS: %w", device, errors.ErrUnsupported)
}
