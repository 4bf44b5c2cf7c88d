package acme

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Directory endpoints that pvenode offers by name.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// KnownDirectory is a named ACME directory endpoint.
type KnownDirectory struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// KnownDirectories lists the endpoints pvenode offers, production first.
var KnownDirectories = []KnownDirectory{
	{"Let's Encrypt V2", LetsEncrypt},
	{"Let's Encrypt V2 Staging", LetsEncryptStaging},
}

// Files and folders, relative to Config.Root.
const (
	// AccountDir holds one JSON file per account, named after it, and
	// PluginsFile.
	AccountDir = "/etc/pve/priv/acme"
	// PluginsFile is the challenge plugin configuration.
	PluginsFile = "/etc/pve/priv/acme/plugins.cfg"
	// ClusterCA and ClusterCAKey are the cluster CA files, never written.
	ClusterCA    = "/etc/pve/pve-root-ca.pem"
	ClusterCAKey = "/etc/pve/priv/pve-root-ca.key"
	// certLock serializes certificate changes, as Proxmox VE does.
	certLock = "/var/lock/pve-certs.lock"
	// acmeLock serializes account and plugin file changes.
	acmeLock = "/var/lock/hostadm-acme.lock"
)

var (
	// ErrNotFound is matched by errors for a missing account, plugin or
	// certificate.
	ErrNotFound = errors.New("not found")
	// ErrExists is matched by errors for an account or plugin that
	// already exists, and for an existing custom certificate that an
	// order would replace without Force.
	ErrExists = errors.New("already exists")
	// ErrInvalid is matched by errors for bad input: names, domains,
	// plugin settings, certificates and keys that fail their checks.
	ErrInvalid = errors.New("invalid")
	// ErrSyntax is matched by errors for malformed account or plugin
	// files.
	ErrSyntax = errors.New("syntax error")
	// ErrNotDue is returned by Renew when the certificate does not
	// expire within the renewal window and Force is not set.
	ErrNotDue = errors.New("certificate does not expire within the renewal window")
	// ErrProtected is matched by errors for a write to the default node
	// certificate or the cluster CA files, which must never be replaced.
	ErrProtected = errors.New("protected file")
	// ErrTOS is returned by Register when the CA has terms of service and
	// they were not agreed to.
	ErrTOS = errors.New("terms of service not agreed to")
	// ErrPortInUse is matched by the error of the standalone plugin when
	// its port is taken.
	ErrPortInUse = errors.New("port in use")
)

// Config configures a Client. A nil *Config means the zero value.
type Config struct {
	// Root is the root directory of the host's files; "" means "/".
	Root string
	// Node is the node whose configuration and certificate are used; ""
	// means the node /etc/pve/local points to, else the host name in
	// /etc/hostname.
	Node string
	// HTTPClient talks to the ACME server; nil means a client with a
	// 60-second timeout and the system's trust store.
	HTTPClient *http.Client
	// UserAgent is prepended to the ACME client's User-Agent; "" means
	// "hostadm".
	UserAgent string
	// Progress receives each progress line of long operations, the way
	// pvenode prints them ("Placing ACME order", ...); nil discards them.
	Progress func(line string)
	// HTTPAddr is the listen address of the standalone http-01 plugin;
	// "" means ":80", all addresses on port 80 as the ACME CA expects.
	HTTPAddr string
	// Hook is the argv prefix of the command that runs dns plugins that
	// have no native implementation, with the proxmox-acme calling
	// convention: "setup" or "teardown", the API name and the domain are
	// appended; the TXT value and the plugin data come on standard input.
	// nil means Proxmox VE's /usr/share/proxmox-acme/proxmox-acme, run
	// through a small wrapper that keeps plugin values whole (the stock
	// script cuts them at the first space).
	Hook []string
	// HookScript is the proxmox-acme style script run through the
	// whole-value wrapper when Hook is nil; "" means ProxmoxACMEScript.
	HookScript string
	// HookUser is the user the hook runs as when hostadm runs as root,
	// through setpriv(1); "" means "nobody" (as Proxmox VE does) and
	// "root" runs it unchanged.
	HookUser string
	// CertFile and KeyFile are where the pveproxy certificate chain and
	// key are installed; "" means /etc/pve/nodes/NODE/pveproxy-ssl.pem
	// and .key (/etc/pve/local is a link to the node's folder).
	CertFile string
	KeyFile  string
	// RestartCommand reloads the proxy after a certificate change; nil
	// means "systemctl reload-or-restart pveproxy".
	RestartCommand []string
	// NoRestart skips RestartCommand.
	NoRestart bool
	// RenewWithin is the renewal window: Renew acts when the certificate
	// expires within it; 0 means 30 days, as Proxmox VE.
	RenewWithin time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Client manages the ACME accounts, plugins and certificates of a node.
type Client struct {
	cfg  Config
	fs   *rootfs.FS
	run  runner.Runner
	node string
	// rfc2136Timeout bounds each DNS exchange; tests shorten it.
	rfc2136Timeout time.Duration
}

// New returns a Client. It opens the root directory; call Close when done.
func New(cfg *Config) (*Client, error) {
	c := &Client{run: runner.Default, rfc2136Timeout: 10 * time.Second}
	if cfg != nil {
		c.cfg = *cfg
	}
	fs, err := rootfs.Open(c.cfg.Root)
	if err != nil {
		return nil, err
	}
	c.fs = fs
	c.node = c.cfg.Node
	if c.node == "" {
		c.node = localNode(fs)
	}
	if c.node == "" || strings.ContainsAny(c.node, "/\x00") || c.node == "." || c.node == ".." {
		fs.Close()
		return nil, fmt.Errorf("acme: %w: cannot tell the node name (set Config.Node)", ErrInvalid)
	}
	return c, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Node returns the node name the client works for.
func (c *Client) Node() string { return c.node }

func localNode(fs *rootfs.FS) string {
	if target, err := fs.Readlink("/etc/pve/local"); err == nil {
		if n := path.Base(strings.TrimRight(target, "/")); n != "." && n != "/" {
			return n
		}
	}
	if h, err := fs.ReadSmall("/etc/hostname"); err == nil {
		h = strings.TrimSpace(h)
		if i := strings.IndexByte(h, '.'); i > 0 {
			h = h[:i]
		}
		return h
	}
	return ""
}

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Client) progress(format string, args ...any) {
	if c.cfg.Progress != nil {
		c.cfg.Progress(fmt.Sprintf(format, args...))
	}
}

func (c *Client) httpClient() *http.Client {
	if c.cfg.HTTPClient != nil {
		return c.cfg.HTTPClient
	}
	return &http.Client{Timeout: 60 * time.Second}
}

func (c *Client) acmeClient(directory string) *xacme.Client {
	ua := c.cfg.UserAgent
	if ua == "" {
		ua = "hostadm"
	}
	return &xacme.Client{DirectoryURL: directory, HTTPClient: c.httpClient(), UserAgent: ua}
}

// Meta is what an ACME directory says about its CA.
type Meta struct {
	TermsOfService          string   `json:"termsOfService,omitempty"`
	Website                 string   `json:"website,omitempty"`
	CAAIdentities           []string `json:"caaIdentities,omitempty"`
	ExternalAccountRequired bool     `json:"externalAccountRequired,omitempty"`
}

// Meta fetches a directory's meta data: the terms of service to show
// before registering and whether the CA needs External Account Binding.
// An empty directory means LetsEncrypt.
func (c *Client) Meta(ctx context.Context, directory string) (Meta, error) {
	if directory == "" {
		directory = LetsEncrypt
	}
	d, err := c.acmeClient(directory).Discover(ctx)
	if err != nil {
		return Meta{}, fmt.Errorf("acme: directory %s: %w", directory, err)
	}
	return Meta{TermsOfService: d.Terms, Website: d.Website, CAAIdentities: d.CAA, ExternalAccountRequired: d.ExternalAccountRequired}, nil
}

func (c *Client) certFile() string {
	if c.cfg.CertFile != "" {
		return c.cfg.CertFile
	}
	return "/etc/pve/nodes/" + c.node + "/pveproxy-ssl.pem"
}

func (c *Client) keyFile() string {
	if c.cfg.KeyFile != "" {
		return c.cfg.KeyFile
	}
	return "/etc/pve/nodes/" + c.node + "/pveproxy-ssl.key"
}

// defaultCertFile is the node certificate signed by the cluster CA, which
// pveproxy uses when there is no custom one.
func (c *Client) defaultCertFile() string { return "/etc/pve/nodes/" + c.node + "/pve-ssl.pem" }
