package acme

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/node"
)

// NodeConfig reads the node's configuration file
// (/etc/pve/nodes/NODE/config); a missing file reads as empty.
func (c *Client) NodeConfig() (*node.ConfigFile, error) {
	cf, _, err := c.readNodeConfig()
	return cf, err
}

func (c *Client) readNodeConfig() (*node.ConfigFile, rootfs.Digest, error) {
	name := node.ConfigPath(c.node)
	data, d, err := c.fs.ReadFileDigest(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, d, fmt.Errorf("acme: %w", err)
	}
	cf, err := node.ParseConfigFile(name, data)
	if err != nil {
		return nil, d, fmt.Errorf("acme: %w", err)
	}
	return cf, d, nil
}

// EditNodeConfig changes the node configuration through fn under
// Proxmox VE's node config lock, and writes it back only if fn changed
// it. The ACME settings it leaves must be consistent: no domain twice,
// and every plugin they name must exist.
func (c *Client) EditNodeConfig(ctx context.Context, fn func(cf *node.ConfigFile) error) error {
	lock, err := c.fs.Lock(ctx, node.ConfigLock)
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	cf, d, err := c.readNodeConfig()
	if err != nil {
		return err
	}
	before := string(cf.Format())
	if err := fn(cf); err != nil {
		return err
	}
	after := cf.Format()
	if string(after) == before {
		return nil
	}
	if _, err := c.domainPlan(cf, nil); err != nil {
		return err
	}
	return c.fs.WriteFile(node.ConfigPath(c.node), after, &rootfs.WriteOptions{Perm: 0o640, Expect: &d})
}

// Domain is one domain the node's certificate is ordered for, with the
// plugin that validates it.
type Domain struct {
	Domain string `json:"domain"`
	Plugin string `json:"plugin"`
	Alias  string `json:"alias,omitempty"`
	// Key is the node config property naming it ("acme",
	// "acmedomain0", ...).
	Key string `json:"key"`
	// Type is the plugin's type (standalone or dns) and API its DNS API.
	Type string `json:"type"`
	API  string `json:"api,omitempty"`
}

// Settings is the node's ACME configuration.
type Settings struct {
	Account string   `json:"account"`
	Domains []Domain `json:"domains"`
}

// Settings reads the node's ACME account and domains, each domain with
// its plugin. It fails when a domain names a plugin that is missing,
// disabled or not available on this node.
func (c *Client) Settings() (*Settings, error) {
	cf, err := c.NodeConfig()
	if err != nil {
		return nil, err
	}
	pc, _, err := c.readPlugins()
	if err != nil {
		return nil, err
	}
	return c.domainPlan(cf, pc)
}

func (c *Client) domainPlan(cf *node.ConfigFile, pc *PluginsConfig) (*Settings, error) {
	if pc == nil {
		var err error
		if pc, _, err = c.readPlugins(); err != nil {
			return nil, err
		}
	}
	acct, err := cf.ACMEAccount()
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	entries, err := cf.ACMEDomains()
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	s := &Settings{Account: acct}
	for _, e := range entries {
		p, ok := pc.Plugin(e.Plugin)
		where := cf.Name()
		if n := cf.Line(e.Key); n > 0 {
			where = fmt.Sprintf("%s:%d", where, n)
		}
		switch {
		case !ok:
			return nil, fmt.Errorf("acme: %s: %s: plugin '%s' for domain '%s' not found: %w", where, e.Key, e.Plugin, e.Domain, ErrNotFound)
		case !p.AvailableOn(c.node):
			return nil, fmt.Errorf("acme: %s: %s: plugin '%s' for domain '%s' is disabled or not available on node %s: %w", where, e.Key, e.Plugin, e.Domain, c.node, ErrInvalid)
		case e.Alias != "" && p.Type != DNS:
			return nil, fmt.Errorf("acme: %s: %s: domain '%s': an alias needs a dns plugin, '%s' is %s: %w", where, e.Key, e.Domain, e.Plugin, p.Type, ErrInvalid)
		}
		s.Domains = append(s.Domains, Domain{Domain: e.Domain, Plugin: e.Plugin, Alias: e.Alias, Key: e.Key, Type: p.Type, API: p.API})
	}
	return s, nil
}

// hostNames returns the node's fully qualified names from /etc/hosts:
// the dotted names on lines that name the node.
func (c *Client) hostNames() []string {
	data, err := c.fs.ReadFile("/etc/hosts")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		names := f[1:]
		mine := false
		for _, n := range names {
			if strings.EqualFold(n, c.node) || strings.HasPrefix(strings.ToLower(n), strings.ToLower(c.node)+".") {
				mine = true
			}
		}
		if !mine {
			continue
		}
		for _, n := range names {
			if strings.Contains(n, ".") && !strings.HasSuffix(n, ".localdomain") {
				out = append(out, strings.ToLower(n))
			}
		}
	}
	return out
}
