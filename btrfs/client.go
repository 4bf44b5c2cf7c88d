package btrfs

import (
	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to work on; "" means "/".
	// Paths given to the Client's methods are resolved below it, so a
	// target system mounted at /mnt/target can be worked on with its own
	// paths.
	Root string
}

// Client works on the btrfs file systems, fstab and storage.cfg of one
// system. It is safe for concurrent use.
type Client struct {
	fs  *rootfs.FS
	run runner.Runner
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	return &Client{fs: f, run: runner.Default}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// hostPath resolves a path below the root, following links inside it, to
// the host path handed to system calls and commands.
func (c *Client) hostPath(name string) (string, error) {
	p, err := c.fs.Resolve(name)
	if err != nil {
		return "", err
	}
	return c.fs.HostPath(p), nil
}
