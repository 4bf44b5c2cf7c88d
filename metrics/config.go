package metrics

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// Paths of the metric server configuration.
const (
	StatusConfigPath = "/etc/pve/status.cfg"
	// TokenDir holds each InfluxDB server's token as ID.pw (mode 0600).
	TokenDir = "/etc/pve/priv/metricserver"
	// statusLock serialises edits of status.cfg by this package.
	statusLock = "/run/lock/hostadm-status-cfg.lock"
)

// Server types.
const (
	Graphite = "graphite"
	InfluxDB = "influxdb"
)

// Transport protocols.
const (
	UDP   = "udp"
	TCP   = "tcp"
	HTTP  = "http"
	HTTPS = "https"
)

// Defaults Proxmox VE applies to missing options.
const (
	DefaultGraphitePort = 2003
	DefaultInfluxDBPort = 8089
	DefaultPath         = "proxmox"
	DefaultMTU          = 1500
	DefaultTimeout      = time.Second
	DefaultMaxBodySize  = 25_000_000
	DefaultOrganization = "proxmox"
	DefaultBucket       = "proxmox"
)

var (
	// ErrInvalid is matched by errors for option values Proxmox VE would
	// refuse.
	ErrInvalid = errors.New("invalid value")
	// ErrNotFound is returned for a server id that status.cfg lacks.
	ErrNotFound = errors.New("no such metric server")
)

// Server is one entry of status.cfg. Zero values mean Proxmox VE's
// defaults, applied by the methods of Server.
type Server struct {
	Type string `json:"type"` // Graphite or InfluxDB
	ID   string `json:"id"`
	// Server is the host name or address of the metric server.
	Server string `json:"server"`
	// Port; 0 means 2003 for Graphite and 8089 for InfluxDB.
	Port int `json:"port,omitempty"`
	// Disable turns the entry off.
	Disable bool `json:"disable,omitempty"`
	// MTU caps UDP datagrams; 0 means 1500.
	MTU int `json:"mtu,omitempty"`
	// Timeout bounds TCP connects and writes (Graphite) and HTTP requests
	// (InfluxDB); 0 means one second.
	Timeout time.Duration `json:"timeout,omitempty"`

	// Path is the Graphite path prefix; "" means "proxmox".
	Path string `json:"path,omitempty"`
	// Proto is the Graphite transport, UDP or TCP; "" means UDP.
	Proto string `json:"proto,omitempty"`

	// InfluxDBProto is UDP, HTTP or HTTPS; "" means UDP.
	InfluxDBProto string `json:"influxdbproto,omitempty"`
	// Organization and Bucket address the v2 write API; "" means
	// "proxmox" for both.
	Organization string `json:"organization,omitempty"`
	Bucket       string `json:"bucket,omitempty"`
	// APIPathPrefix is put between host:port and /api/v2/write, for an
	// InfluxDB behind a reverse proxy.
	APIPathPrefix string `json:"api-path-prefix,omitempty"`
	// MaxBodySize caps one HTTP request body in bytes; 0 means 25000000.
	MaxBodySize int `json:"max-body-size,omitempty"`
	// VerifyCertificate, when false, skips TLS verification; nil means
	// verify.
	VerifyCertificate *bool `json:"verify-certificate,omitempty"`
}

// EffectivePort returns the port with the default applied.
func (s *Server) EffectivePort() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.Type == Graphite:
		return DefaultGraphitePort
	}
	return DefaultInfluxDBPort
}

// EffectiveMTU returns the MTU with the default applied.
func (s *Server) EffectiveMTU() int { return cmpOr(s.MTU, DefaultMTU) }

// EffectiveTimeout returns the timeout with the default applied.
func (s *Server) EffectiveTimeout() time.Duration { return cmpOr(s.Timeout, DefaultTimeout) }

// EffectiveProto returns the transport: UDP or TCP for Graphite, UDP,
// HTTP or HTTPS for InfluxDB.
func (s *Server) EffectiveProto() string {
	if s.Type == InfluxDB {
		return cmpOr(s.InfluxDBProto, UDP)
	}
	return cmpOr(s.Proto, UDP)
}

// Verify reports whether TLS certificates are verified.
func (s *Server) Verify() bool { return s.VerifyCertificate == nil || *s.VerifyCertificate }

// Addr returns host:port.
func (s *Server) Addr() string {
	h := s.Server
	if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(s.EffectivePort())
}

// WriteURL returns the v2 write API's URL for an HTTP(S) InfluxDB
// server: /api/v2/write with org, bucket and precision=ns.
func (s *Server) WriteURL() string {
	u := url.URL{Scheme: s.EffectiveProto(), Host: s.Addr()}
	prefix := strings.Trim(s.APIPathPrefix, "/")
	if prefix != "" {
		prefix = "/" + prefix
	}
	u.Path = prefix + "/api/v2/write"
	q := url.Values{}
	q.Set("org", cmpOr(s.Organization, DefaultOrganization))
	q.Set("bucket", cmpOr(s.Bucket, DefaultBucket))
	q.Set("precision", "ns")
	u.RawQuery = q.Encode()
	return u.String()
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

var idRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_\-]*$`)

// Check validates the server as Proxmox VE's schema does.
func (s *Server) Check() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, s.ID, fmt.Sprintf(f, a...))
	}
	if !idRE.MatchString(s.ID) {
		return fmt.Errorf("%w: bad metric server id %q", ErrInvalid, s.ID)
	}
	switch s.Type {
	case Graphite, InfluxDB:
	default:
		return bad("unknown type %q", s.Type)
	}
	if s.Server == "" || strings.ContainsAny(s.Server, " \t\n/") {
		return bad("bad server %q", s.Server)
	}
	if s.Port < 0 || s.Port > 65535 {
		return bad("port %d out of range", s.Port)
	}
	if s.MTU != 0 && (s.MTU < 512 || s.MTU > 65536) {
		return bad("mtu %d out of range 512-65536", s.MTU)
	}
	if s.Timeout < 0 || s.Timeout%time.Second != 0 {
		return bad("timeout must be whole seconds")
	}
	if s.MaxBodySize < 0 {
		return bad("negative max-body-size")
	}
	if strings.ContainsAny(s.Path+s.Organization+s.Bucket+s.APIPathPrefix, " \t\n") {
		return bad("whitespace in an option value")
	}
	switch s.Type {
	case Graphite:
		if p := s.Proto; p != "" && p != UDP && p != TCP {
			return bad("proto %q is not udp or tcp", p)
		}
		if s.InfluxDBProto != "" || s.Organization != "" || s.Bucket != "" || s.APIPathPrefix != "" || s.MaxBodySize != 0 || s.VerifyCertificate != nil {
			return bad("InfluxDB option on a graphite server")
		}
	case InfluxDB:
		if p := s.InfluxDBProto; p != "" && p != UDP && p != HTTP && p != HTTPS {
			return bad("influxdbproto %q is not udp, http or https", p)
		}
		if s.Path != "" || s.Proto != "" {
			return bad("graphite option on an influxdb server")
		}
	}
	return nil
}

// StatusConfig is a parsed /etc/pve/status.cfg, read and written
// losslessly through the section-config format.
type StatusConfig struct {
	f *sectioncfg.File
}

// ParseStatusConfig parses status.cfg; name is used in errors.
func ParseStatusConfig(name string, data []byte) (*StatusConfig, error) {
	f, err := sectioncfg.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return &StatusConfig{f: f}, nil
}

// Format returns the file's text.
func (c *StatusConfig) Format() []byte { return c.f.Format() }

// Servers returns every entry in file order. An entry with a bad value
// is an error naming its file and line.
func (c *StatusConfig) Servers() ([]Server, error) {
	var out []Server
	for _, sec := range c.f.Sections() {
		s, err := c.decode(sec)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Server returns one entry.
func (c *StatusConfig) Server(id string) (Server, error) {
	sec := c.f.Lookup(id)
	if sec == nil {
		return Server{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return c.decode(sec)
}

func (c *StatusConfig) decode(sec *sectioncfg.Section) (Server, error) {
	s := Server{Type: sec.Type, ID: sec.ID}
	var err error
	fail := func(p sectioncfg.Property, msg string) {
		if err == nil {
			err = fmt.Errorf("%s:%d: %w: %s: %s", c.f.Name(), p.Line, ErrInvalid, p.Key, msg)
		}
	}
	num := func(p sectioncfg.Property) int {
		n, e := strconv.Atoi(p.Value)
		if e != nil {
			fail(p, strconv.Quote(p.Value)+" is not an integer")
		}
		return n
	}
	boolean := func(p sectioncfg.Property) bool {
		switch p.Value {
		case "1", "yes", "on", "true":
			return true
		case "0", "no", "off", "false":
			return false
		}
		fail(p, strconv.Quote(p.Value)+" is not a boolean")
		return false
	}
	for _, p := range sec.Properties() {
		switch p.Key {
		case "server":
			s.Server = p.Value
		case "port":
			s.Port = num(p)
		case "disable":
			s.Disable = boolean(p)
		case "mtu":
			s.MTU = num(p)
		case "timeout":
			s.Timeout = time.Duration(num(p)) * time.Second
		case "path":
			s.Path = p.Value
		case "proto":
			s.Proto = p.Value
		case "influxdbproto":
			s.InfluxDBProto = p.Value
		case "organization":
			s.Organization = p.Value
		case "bucket":
			s.Bucket = p.Value
		case "api-path-prefix":
			s.APIPathPrefix = p.Value
		case "max-body-size":
			s.MaxBodySize = num(p)
		case "verify-certificate":
			v := boolean(p)
			s.VerifyCertificate = &v
		case "token":
			fail(p, "tokens belong in "+TokenDir+"/"+s.ID+".pw")
		default:
			fail(p, "unknown option")
		}
	}
	if err != nil {
		return s, err
	}
	if e := s.Check(); e != nil {
		return s, fmt.Errorf("%s:%d: %w", c.f.Name(), sec.Line, e)
	}
	return s, nil
}

// SetServer adds the entry, or updates it in place changing only the
// options whose value differs.
func (c *StatusConfig) SetServer(s Server) error {
	if err := s.Check(); err != nil {
		return err
	}
	sec := c.f.Lookup(s.ID)
	if sec != nil && sec.Type != s.Type {
		return fmt.Errorf("%w: %s is a %s server, not %s", ErrInvalid, s.ID, sec.Type, s.Type)
	}
	if sec == nil {
		var err error
		if sec, err = c.f.Add(s.Type, s.ID); err != nil {
			return err
		}
	}
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	boolStr := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	verify := ""
	if s.VerifyCertificate != nil {
		verify = "0"
		if *s.VerifyCertificate {
			verify = "1"
		}
	}
	opts := []struct{ key, value string }{
		{"server", s.Server}, {"port", itoa(s.Port)}, {"disable", boolStr(s.Disable)},
		{"mtu", itoa(s.MTU)}, {"timeout", itoa(int(s.Timeout / time.Second))},
		{"path", s.Path}, {"proto", s.Proto},
		{"influxdbproto", s.InfluxDBProto}, {"organization", s.Organization}, {"bucket", s.Bucket},
		{"api-path-prefix", s.APIPathPrefix}, {"max-body-size", itoa(s.MaxBodySize)},
		{"verify-certificate", verify},
	}
	for _, o := range opts {
		if o.value == "" {
			sec.Delete(o.key)
			continue
		}
		if cur, ok := sec.Get(o.key); ok && cur == o.value {
			continue
		}
		if err := sec.Set(o.key, o.value); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes an entry and reports whether it was there.
func (c *StatusConfig) Remove(id string) bool { return c.f.Remove(id) }

// Client reads and edits a host's metric server configuration and
// tokens.
type Client struct {
	fs *rootfs.FS
}

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to work on; "" means "/".
	Root string
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
	return &Client{fs: f}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// FS returns the client's root file system.
func (c *Client) FS() *rootfs.FS { return c.fs }

// StatusConfig reads status.cfg; a missing file is an empty one.
func (c *Client) StatusConfig() (*StatusConfig, rootfs.Digest, error) {
	data, d, err := c.fs.ReadFileDigest(StatusConfigPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, d, err
	}
	sc, err := ParseStatusConfig(StatusConfigPath, data)
	return sc, d, err
}

// Servers returns the configured metric servers.
func (c *Client) Servers() ([]Server, error) {
	sc, _, err := c.StatusConfig()
	if err != nil {
		return nil, err
	}
	return sc.Servers()
}

// EditStatusConfig reads status.cfg under a lock, lets fn change it and
// writes it back atomically when the text changed; a concurrent edit
// fails with rootfs.ErrConflict.
func (c *Client) EditStatusConfig(ctx context.Context, fn func(*StatusConfig) error) error {
	return rootfs.EditParsed(ctx, c.fs, StatusConfigPath, &rootfs.EditOptions{Lock: statusLock, Perm: 0o640}, ParseStatusConfig, fn)
}

func tokenPath(id string) string { return TokenDir + "/" + id + ".pw" }

// Token returns an InfluxDB server's token; "" when it has none.
func (c *Client) Token(id string) (string, error) {
	if !idRE.MatchString(id) {
		return "", fmt.Errorf("%w: bad metric server id %q", ErrInvalid, id)
	}
	b, err := c.fs.ReadFile(tokenPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// SetToken stores a server's token in its private file (mode 0600); an
// empty token removes the file.
func (c *Client) SetToken(id, token string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: bad metric server id %q", ErrInvalid, id)
	}
	if token == "" {
		err := c.fs.Remove(tokenPath(id))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if strings.ContainsAny(token, "\r\n") {
		return fmt.Errorf("%w: token holds a line break", ErrInvalid)
	}
	if err := c.fs.MkdirAll(TokenDir, 0o700); err != nil {
		return err
	}
	return c.fs.WriteFile(tokenPath(id), []byte(token), &rootfs.WriteOptions{Mode: 0o600})
}
