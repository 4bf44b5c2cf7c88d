//go:build !linux

package btrfs

import (
	"errors"
	"fmt"
)

func unsupported(op string) error {
	return fmt.Errorf("btrfs %s: %w", op, errors.ErrUnsupported)
}

// CreateSubvolume needs Linux.
func (c *Client) CreateSubvolume(path string) error { return unsupported("subvolume create") }

// SnapshotOptions tune Snapshot.
type SnapshotOptions struct{ ReadOnly bool }

// Snapshot needs Linux.
func (c *Client) Snapshot(src, dst string, opts *SnapshotOptions) error {
	return unsupported("subvolume snapshot")
}

// DeleteOptions tune DeleteSubvolume.
type DeleteOptions struct{ Recursive bool }

// DeleteSubvolume needs Linux.
func (c *Client) DeleteSubvolume(path string, opts *DeleteOptions) error {
	return unsupported("subvolume delete")
}

// DeleteSubvolumeID needs Linux.
func (c *Client) DeleteSubvolumeID(path string, id uint64) error {
	return unsupported("subvolume delete")
}

// ReadOnly needs Linux.
func (c *Client) ReadOnly(path string) (bool, error) {
	return false, unsupported("subvolume get flags")
}

// SetReadOnly needs Linux.
func (c *Client) SetReadOnly(path string, readOnly bool) error {
	return unsupported("subvolume set flags")
}

// Subvolumes needs Linux.
func (c *Client) Subvolumes(path string) ([]Subvolume, error) {
	return nil, unsupported("subvolume list")
}

// Subvolume needs Linux.
func (c *Client) Subvolume(path string) (*Subvolume, error) {
	return nil, unsupported("subvolume show")
}

// DefaultSubvolume needs Linux.
func (c *Client) DefaultSubvolume(path string) (uint64, error) {
	return 0, unsupported("subvolume get-default")
}

// SetDefaultSubvolume needs Linux.
func (c *Client) SetDefaultSubvolume(path string, id uint64) error {
	return unsupported("subvolume set-default")
}

// Info needs Linux.
func (c *Client) Info(path string) (*Info, error) { return nil, unsupported("filesystem show") }

// Usage needs Linux.
func (c *Client) Usage(path string) (*Usage, error) { return nil, unsupported("filesystem usage") }

// Compression needs Linux.
func (c *Client) Compression(path string) (string, error) {
	return "", unsupported("property get compression")
}

// SetCompression needs Linux.
func (c *Client) SetCompression(path, alg string) error {
	return unsupported("property set compression")
}
