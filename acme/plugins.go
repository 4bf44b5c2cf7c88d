package acme

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/sectioncfg"
	"github.com/hostadm/hostadm/node"
)

// Plugin types.
const (
	// Standalone validates http-01 challenges with a built-in web server.
	// A plugin of this type named "standalone" always exists.
	Standalone = "standalone"
	// DNS validates dns-01 challenges through a DNS API.
	DNS = "dns"
)

// DefaultValidationDelay is how long a dns plugin waits after setting
// its TXT records before asking the CA to validate, unless it sets
// validation-delay.
const DefaultValidationDelay = 30 * time.Second

// maxValidationDelay is Proxmox VE's limit: two days.
const maxValidationDelay = 2 * 24 * time.Hour

// Plugin is one section of plugins.cfg.
type Plugin struct {
	ID   string `json:"plugin"`
	Type string `json:"type"`
	// API is the DNS API name of a dns plugin ("nsupdate", "ovh", ...);
	// the names are those of acme.sh's dnsapi scripts.
	API string `json:"api,omitempty"`
	// Data holds the plugin's KEY=VALUE lines, decoded. It holds
	// credentials: never log it.
	Data string `json:"-"`
	// ValidationDelay is the wait before validation; nil means
	// DefaultValidationDelay.
	ValidationDelay *time.Duration `json:"validation-delay,omitempty"`
	// Nodes limits the plugin to these nodes; empty means all.
	Nodes []string `json:"nodes,omitempty"`
	// Disable turns the plugin off.
	Disable bool `json:"disable,omitempty"`
	// Line is the section's line in plugins.cfg; 0 for the implicit
	// standalone plugin.
	Line int `json:"-"`
}

// Delay returns the plugin's validation delay.
func (p *Plugin) Delay() time.Duration {
	if p.ValidationDelay != nil {
		return *p.ValidationDelay
	}
	if p.Type == DNS {
		return DefaultValidationDelay
	}
	return 0
}

// Vars returns the plugin data as variables.
func (p *Plugin) Vars() ([]Var, error) { return ParseData(p.Data) }

// AvailableOn reports whether the plugin may be used on a node.
func (p *Plugin) AvailableOn(nodeName string) bool {
	return !p.Disable && (len(p.Nodes) == 0 || slices.Contains(p.Nodes, nodeName))
}

// Var is one KEY=VALUE line of plugin data.
type Var struct {
	Key, Value string
}

var varKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseData splits plugin data into variables. A value is everything
// after the first '=', spaces included (Proxmox VE's proxmox-acme script
// cuts values at the first space; this package does not). Blank lines and
// lines starting with '#' are skipped, and carriage returns at the end
// of a line dropped (CRLF files), so that no value ends in one and
// FormatData's lines read back the same. Errors never quote values.
func ParseData(data string) ([]Var, error) {
	var out []Var
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !varKeyRE.MatchString(k) {
			return nil, fmt.Errorf("%w: plugin data line %d: want KEY=VALUE with a shell variable name as KEY", ErrInvalid, i+1)
		}
		if slices.ContainsFunc(out, func(x Var) bool { return x.Key == k }) {
			return nil, fmt.Errorf("%w: plugin data line %d: %s set twice", ErrInvalid, i+1, k)
		}
		out = append(out, Var{Key: k, Value: v})
	}
	return out, nil
}

// FormatData joins variables into plugin data lines.
func FormatData(vars []Var) string {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Key + "=" + v.Value + "\n")
	}
	return b.String()
}

func lookupVar(vars []Var, key string) (string, bool) {
	for _, v := range vars {
		if v.Key == key {
			return v.Value, true
		}
	}
	return "", false
}

// PluginsConfig is a parsed plugins.cfg. It keeps the file's text, so an
// untouched file formats unchanged and an edit rewrites only its lines.
type PluginsConfig struct {
	file *sectioncfg.File
}

// ParsePlugins parses plugins.cfg; name is used in errors. Every section
// is checked: its type, id and properties.
func ParsePlugins(name string, data []byte) (*PluginsConfig, error) {
	f, err := sectioncfg.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("acme: %w", errors.Join(ErrSyntax, err))
	}
	pc := &PluginsConfig{file: f}
	for _, s := range f.Sections() {
		if _, err := pc.plugin(s); err != nil {
			return nil, err
		}
	}
	return pc, nil
}

// Format returns the file's text.
func (pc *PluginsConfig) Format() []byte { return pc.file.Format() }

// Plugins returns the plugins in file order; the standalone plugin comes
// first when the file does not define it, as Proxmox VE adds it.
func (pc *PluginsConfig) Plugins() []Plugin {
	var out []Plugin
	for _, s := range pc.file.Sections() {
		p, _ := pc.plugin(s)
		out = append(out, p)
	}
	if !slices.ContainsFunc(out, func(p Plugin) bool { return p.ID == Standalone && p.Type == Standalone }) {
		out = slices.Insert(out, 0, Plugin{ID: Standalone, Type: Standalone})
	}
	return out
}

// Plugin returns one plugin; the standalone plugin always exists.
func (pc *PluginsConfig) Plugin(id string) (Plugin, bool) {
	for _, p := range pc.Plugins() {
		if p.ID == id {
			return p, true
		}
	}
	return Plugin{}, false
}

func (pc *PluginsConfig) errAt(s *sectioncfg.Section, format string, args ...any) error {
	return fmt.Errorf("%s:%d: plugin %s: %w", pc.file.Name(), s.Line, s.ID, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
}

func (pc *PluginsConfig) plugin(s *sectioncfg.Section) (Plugin, error) {
	p := Plugin{ID: s.ID, Type: s.Type, Line: s.Line}
	if err := node.CheckID(s.ID); err != nil {
		return p, pc.errAt(s, "invalid plugin id")
	}
	if s.Type != Standalone && s.Type != DNS {
		return p, pc.errAt(s, "unknown type %q (want standalone or dns)", s.Type)
	}
	for _, prop := range s.Properties() {
		switch prop.Key {
		case "nodes":
			p.Nodes = splitNodes(prop.Value)
		case "disable":
			p.Disable = prop.Value == "1" || prop.Value == "true"
		case "api":
			p.API = prop.Value
		case "data":
			b, err := decodeB64(prop.Value)
			if err != nil {
				return p, pc.errAt(s, "data is not base64")
			}
			p.Data = string(b)
		case "validation-delay":
			n, err := strconv.Atoi(prop.Value)
			d := time.Duration(n) * time.Second
			if err != nil || n < 0 || d > maxValidationDelay {
				return p, pc.errAt(s, "validation-delay %q: want seconds from 0 to %d", prop.Value, int(maxValidationDelay.Seconds()))
			}
			p.ValidationDelay = &d
		default:
			return p, pc.errAt(s, "unknown property %q", prop.Key)
		}
		if p.Type == Standalone && (prop.Key == "api" || prop.Key == "data" || prop.Key == "validation-delay") {
			return p, pc.errAt(s, "property %q is for dns plugins", prop.Key)
		}
	}
	if p.Type == DNS && p.API == "" {
		return p, pc.errAt(s, "dns plugin without api")
	}
	return p, nil
}

func splitNodes(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

var apiRE = regexp.MustCompile(`^[a-z0-9_]+$`)

func checkPlugin(p Plugin) error {
	if err := node.CheckID(p.ID); err != nil {
		return fmt.Errorf("acme: plugin: %w", errors.Join(ErrInvalid, err))
	}
	switch p.Type {
	case Standalone:
		if p.API != "" || p.Data != "" || p.ValidationDelay != nil {
			return fmt.Errorf("acme: plugin %s: %w: standalone plugins take no api, data or validation-delay", p.ID, ErrInvalid)
		}
	case DNS:
		if !apiRE.MatchString(p.API) {
			return fmt.Errorf("acme: plugin %s: %w: api %q: want a DNS API name such as nsupdate or ovh", p.ID, ErrInvalid, p.API)
		}
		if _, err := ParseData(p.Data); err != nil {
			return fmt.Errorf("acme: plugin %s: %w", p.ID, err)
		}
		if d := p.ValidationDelay; d != nil && (*d < 0 || *d > maxValidationDelay || *d%time.Second != 0) {
			return fmt.Errorf("acme: plugin %s: %w: validation-delay must be whole seconds from 0 to 2 days", p.ID, ErrInvalid)
		}
	default:
		return fmt.Errorf("acme: plugin %s: %w: unknown type %q (want standalone or dns)", p.ID, ErrInvalid, p.Type)
	}
	for _, n := range p.Nodes {
		if n == "" || strings.ContainsAny(n, ", ;\t") {
			return fmt.Errorf("acme: plugin %s: %w: node name %q", p.ID, ErrInvalid, n)
		}
	}
	return nil
}

// Put adds a plugin, or replaces the settings of the plugin with its id
// (the type cannot change). Settings that do not change keep their lines.
func (pc *PluginsConfig) Put(p Plugin) error {
	if err := checkPlugin(p); err != nil {
		return err
	}
	s := pc.file.Lookup(p.ID)
	if s == nil {
		var err error
		if s, err = pc.file.Add(p.Type, p.ID); err != nil {
			return fmt.Errorf("acme: %w", err)
		}
	} else if s.Type != p.Type {
		return fmt.Errorf("acme: plugin %s: %w: is of type %s, not %s", p.ID, ErrInvalid, s.Type, p.Type)
	}
	old, _ := pc.plugin(s)
	setOrDel := func(key, value string) error {
		if value == "" {
			s.Delete(key)
			return nil
		}
		return s.Set(key, value)
	}
	if err := setOrDel("api", p.API); err != nil {
		return err
	}
	if p.Data != old.Data {
		enc := ""
		if p.Data != "" {
			enc = base64.RawURLEncoding.EncodeToString([]byte(p.Data))
		}
		if err := setOrDel("data", enc); err != nil {
			return err
		}
	}
	delay := ""
	if p.ValidationDelay != nil {
		delay = strconv.Itoa(int(p.ValidationDelay.Seconds()))
	}
	if err := setOrDel("validation-delay", delay); err != nil {
		return err
	}
	if !slices.Equal(old.Nodes, p.Nodes) {
		if err := setOrDel("nodes", strings.Join(p.Nodes, ",")); err != nil {
			return err
		}
	}
	if p.Disable != old.Disable {
		if p.Disable {
			return s.Set("disable", "1")
		}
		s.Delete("disable")
	}
	return nil
}

// Remove deletes a plugin and reports whether it was there.
func (pc *PluginsConfig) Remove(id string) bool { return pc.file.Remove(id) }

func (c *Client) readPlugins() (*PluginsConfig, rootfs.Digest, error) {
	data, d, err := c.fs.ReadFileDigest(PluginsFile)
	if errors.Is(err, fs.ErrNotExist) {
		pc, _ := ParsePlugins(PluginsFile, nil)
		return pc, d, nil
	}
	if err != nil {
		return nil, d, fmt.Errorf("acme: %w", err)
	}
	pc, err := ParsePlugins(PluginsFile, data)
	return pc, d, err
}

// Plugins returns the configured plugins, the implicit standalone plugin
// included.
func (c *Client) Plugins() ([]Plugin, error) {
	pc, _, err := c.readPlugins()
	if err != nil {
		return nil, err
	}
	return pc.Plugins(), nil
}

// Plugin returns one plugin. The error wraps ErrNotFound when there is
// none.
func (c *Client) Plugin(id string) (Plugin, error) {
	pc, _, err := c.readPlugins()
	if err != nil {
		return Plugin{}, err
	}
	p, ok := pc.Plugin(id)
	if !ok {
		return Plugin{}, fmt.Errorf("acme: plugin %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// AddPlugin adds a plugin to plugins.cfg; the error wraps ErrExists when
// the id is taken.
func (c *Client) AddPlugin(ctx context.Context, p Plugin) error {
	return c.editPlugins(ctx, func(pc *PluginsConfig) error {
		if pc.file.Lookup(p.ID) != nil || p.ID == Standalone && p.Type != Standalone {
			return fmt.Errorf("acme: plugin %q: %w", p.ID, ErrExists)
		}
		return pc.Put(p)
	})
}

// UpdatePlugin changes a plugin through fn, which gets its current
// settings. The error wraps ErrNotFound when there is none.
func (c *Client) UpdatePlugin(ctx context.Context, id string, fn func(p *Plugin) error) error {
	return c.editPlugins(ctx, func(pc *PluginsConfig) error {
		p, ok := pc.Plugin(id)
		if !ok {
			return fmt.Errorf("acme: plugin %q: %w", id, ErrNotFound)
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.ID = id
		return pc.Put(p)
	})
}

// RemovePlugin deletes a plugin. The error wraps ErrNotFound when there
// is none.
func (c *Client) RemovePlugin(ctx context.Context, id string) error {
	return c.editPlugins(ctx, func(pc *PluginsConfig) error {
		if !pc.Remove(id) {
			return fmt.Errorf("acme: plugin %q: %w", id, ErrNotFound)
		}
		return nil
	})
}

func (c *Client) editPlugins(ctx context.Context, fn func(pc *PluginsConfig) error) error {
	lock, err := c.fs.Lock(ctx, acmeLock)
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	pc, d, err := c.readPlugins()
	if err != nil {
		return err
	}
	if err := fn(pc); err != nil {
		return err
	}
	if err := c.fs.MkdirAll(AccountDir, 0o700); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return c.fs.WriteFile(PluginsFile, pc.Format(), &rootfs.WriteOptions{Mode: 0o600, Expect: &d})
}
