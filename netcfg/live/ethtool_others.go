//go:build !linux

package live

import (
	"context"
	"errors"
	"fmt"
)

func (c *Client) nic(context.Context, string) (*NIC, error) {
	return nil, fmt.Errorf("ethtool: %w", errors.ErrUnsupported)
}

func (c *Client) setWoL(context.Context, string, WoLModes) error {
	return fmt.Errorf("ethtool: %w", errors.ErrUnsupported)
}

func (c *Client) setLinkMode(context.Context, string, LinkModeChange) error {
	return fmt.Errorf("ethtool: %w", errors.ErrUnsupported)
}
