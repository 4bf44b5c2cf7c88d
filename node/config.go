package node

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hostadm/hostadm/internal/parseerr"
	"github.com/hostadm/hostadm/internal/propstr"
	"github.com/hostadm/hostadm/internal/textline"
)

// ConfigPath returns the root-relative path of a node's configuration
// file. /etc/pve/local is a symbolic link to the running node's folder.
func ConfigPath(node string) string { return "/etc/pve/nodes/" + node + "/config" }

// ConfigLock is the lock file Proxmox VE takes around edits of a node
// configuration file.
const ConfigLock = "/var/lock/pvenode.lock"

// MaxACMEDomain is the highest index of the acmedomainN properties.
const MaxACMEDomain = 5

var (
	// ErrSyntax is matched by errors for lines that are not a comment,
	// a blank line or a "key: value" property.
	ErrSyntax = errors.New("syntax error")
	// ErrInvalid is matched by errors for property values that do not
	// follow their format (a bad domain name, an unknown acme key).
	ErrInvalid = errors.New("invalid value")
	// ErrDuplicate is matched by errors for a key or an ACME domain that
	// appears twice.
	ErrDuplicate = errors.New("duplicate")
)

// ParseError reports a problem at a line and column of a node
// configuration file: File, Line (1-based; 0 when the problem has no
// single line), Col (1-based; 0 when unknown) and Msg. It unwraps to its
// Err: ErrSyntax, ErrInvalid or ErrDuplicate.
type ParseError = parseerr.Error

// ConfigFile is a parsed node configuration file
// (/etc/pve/nodes/NODE/config): "key: value" lines and the node's
// description, stored as "#" comment lines. Parsing keeps every line, so
// Format of an untouched file returns its bytes unchanged and an edit
// rewrites only the lines it touches.
type ConfigFile struct {
	name  string
	lines []cfgLine
	noEOL bool
}

type cfgKind int

const (
	kindBlank cfgKind = iota
	kindComment
	kindProperty
)

type cfgLine struct {
	raw   string
	kind  cfgKind
	key   string
	value string
	num   int // 1-based line number in the parsed file, 0 if new
	col   int // column of the value
	dirty bool
}

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// ParseConfigFile parses a node configuration file; name is used in
// errors. Keys are checked for form only, so properties this package has
// no typed accessor for are kept and reachable through Get and Set.
func ParseConfigFile(name string, data []byte) (*ConfigFile, error) {
	c := &ConfigFile{name: name}
	raws, noEOL := textline.Split(string(data))
	c.noEOL = noEOL
	seen := map[string]int{}
	for i, raw := range raws {
		num := i + 1
		l := cfgLine{raw: raw, num: num}
		trimmed := strings.TrimSpace(raw)
		switch {
		case trimmed == "":
			l.kind = kindBlank
		case strings.HasPrefix(trimmed, "#"):
			l.kind = kindComment
		default:
			k, v, ok := strings.Cut(trimmed, ":")
			lead := len(raw) - len(strings.TrimLeft(raw, " \t"))
			if !ok {
				return nil, &ParseError{File: name, Line: num, Col: lead + 1, Msg: fmt.Sprintf("%q is not a \"key: value\" line", trimmed), Err: ErrSyntax}
			}
			if !keyRE.MatchString(k) {
				return nil, &ParseError{File: name, Line: num, Col: lead + 1, Msg: fmt.Sprintf("invalid key %q", k), Err: ErrSyntax}
			}
			val := strings.TrimSpace(v)
			col := lead + len(k) + 1 + (len(v) - len(strings.TrimLeft(v, " \t"))) + 1
			if val == "" {
				return nil, &ParseError{File: name, Line: num, Col: col, Msg: k + ": missing value", Err: ErrSyntax}
			}
			if prev, dup := seen[k]; dup {
				return nil, &ParseError{File: name, Line: num, Col: lead + 1, Msg: fmt.Sprintf("%s: duplicate key (first on line %d)", k, prev), Err: ErrDuplicate}
			}
			seen[k] = num
			l.kind, l.key, l.value, l.col = kindProperty, k, val, col
		}
		c.lines = append(c.lines, l)
	}
	return c, nil
}

// Name returns the file name given to ParseConfigFile.
func (c *ConfigFile) Name() string { return c.name }

// Format returns the file's text.
func (c *ConfigFile) Format() []byte {
	return textline.Join(c.lines, func(l cfgLine) string {
		if l.dirty {
			return l.key + ": " + l.value
		}
		return l.raw
	}, c.noEOL)
}

// Keys returns the property keys in file order.
func (c *ConfigFile) Keys() []string {
	var keys []string
	for _, l := range c.lines {
		if l.kind == kindProperty {
			keys = append(keys, l.key)
		}
	}
	return keys
}

func (c *ConfigFile) find(key string) int {
	return slices.IndexFunc(c.lines, func(l cfgLine) bool { return l.kind == kindProperty && l.key == key })
}

// Get returns a property's value.
func (c *ConfigFile) Get(key string) (string, bool) {
	if i := c.find(key); i >= 0 {
		return c.lines[i].value, true
	}
	return "", false
}

// Line returns the line number of a property, 0 if it is missing or new.
func (c *ConfigFile) Line(key string) int {
	if i := c.find(key); i >= 0 {
		return c.lines[i].num
	}
	return 0
}

// Set sets a property in place, or adds it where Proxmox VE's sorted
// order puts it (before the first key that sorts after it). Values may
// not be empty or hold a line break.
func (c *ConfigFile) Set(key, value string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("%w: invalid key %q", ErrInvalid, key)
	}
	value = strings.TrimSpace(value)
	if value == "" || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("%w: %s: value must be one non-empty line", ErrInvalid, key)
	}
	if i := c.find(key); i >= 0 {
		if c.lines[i].value != value {
			c.lines[i].value, c.lines[i].dirty = value, true
		}
		return nil
	}
	nl := cfgLine{kind: kindProperty, key: key, value: value, dirty: true}
	at, last := -1, -1
	for i, l := range c.lines {
		if l.kind != kindProperty {
			continue
		}
		last = i
		if at < 0 && l.key > key {
			at = i
		}
	}
	switch {
	case at >= 0:
		c.lines = slices.Insert(c.lines, at, nl)
	case last >= 0:
		c.lines = slices.Insert(c.lines, last+1, nl)
	default:
		c.lines = append(c.lines, nl)
	}
	return nil
}

// Delete removes a property and reports whether it was there.
func (c *ConfigFile) Delete(key string) bool {
	if i := c.find(key); i >= 0 {
		c.lines = slices.Delete(c.lines, i, i+1)
		return true
	}
	return false
}

// Description returns the node description, decoded from the file's
// comment lines as Proxmox VE does (percent escapes, UTF-8), one line per
// comment, without a final newline.
func (c *ConfigFile) Description() string {
	var out []string
	for _, l := range c.lines {
		if l.kind == kindComment {
			out = append(out, decodeText(strings.TrimPrefix(strings.TrimSpace(l.raw), "#")))
		}
	}
	return strings.Join(out, "\n")
}

// SetDescription replaces the description. Its lines are written as
// comments where the first comment was (the top of the file when there was
// none), with control characters, ':', '%' and non-ASCII bytes
// percent-escaped as Proxmox VE reads them. An empty description removes
// the comments. Setting the current description changes nothing.
func (c *ConfigFile) SetDescription(desc string) {
	desc = strings.TrimRight(desc, "\n")
	if desc == c.Description() {
		return
	}
	at := slices.IndexFunc(c.lines, func(l cfgLine) bool { return l.kind == kindComment })
	if at < 0 {
		at = 0
	}
	// Every line before the first comment is kept, so at stays valid.
	var kept []cfgLine
	for _, l := range c.lines {
		if l.kind != kindComment {
			kept = append(kept, l)
		}
	}
	var add []cfgLine
	if desc != "" {
		for _, s := range strings.Split(desc, "\n") {
			add = append(add, cfgLine{raw: "#" + encodeText(s), kind: kindComment})
		}
	}
	c.lines = slices.Insert(kept, min(at, len(kept)), add...)
}

// encodeText escapes what Proxmox VE's decode_text unescapes: bytes
// outside printable ASCII, ':' and (so that it reads back unchanged) '%'.
func encodeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch > 0x7e || ch == ':' || ch == '%' {
			fmt.Fprintf(&b, "%%%02X", ch)
		} else {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// decodeText undoes %XX escapes; a '%' not followed by two hex digits
// stays as it is. Invalid UTF-8 is replaced, as Perl's decode does.
func decodeText(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(n))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

// ACME is the node's "acme" property: the ACME account to order with and
// the domains validated by the standalone http-01 plugin.
type ACME struct {
	// Account is the account name under /etc/pve/priv/acme; empty means
	// "default".
	Account string
	// Domains are validated with the standalone plugin.
	Domains []string
}

// ACMEDomain is one "acmedomainN" property: a domain and the plugin that
// validates it.
type ACMEDomain struct {
	Domain string
	// Plugin is the plugin id in plugins.cfg; empty means "standalone".
	Plugin string
	// Alias is the domain whose _acme-challenge record is written
	// instead, for a permanent CNAME from _acme-challenge.Domain to
	// _acme-challenge.Alias; empty means none.
	Alias string
}

// DomainEntry is one domain of the node's ACME configuration with where
// it comes from.
type DomainEntry struct {
	ACMEDomain
	// Key is the property that names it: "acme" or "acmedomainN".
	Key string
}

var (
	domainLabel = `[a-z0-9][a-z0-9_-]*`
	domainRE    = regexp.MustCompile(`^` + domainLabel + `(?:\.` + domainLabel + `)+$`)
	aliasLabel  = `[a-z0-9_][a-z0-9_-]*`
	aliasRE     = regexp.MustCompile(`^` + aliasLabel + `(?:\.` + aliasLabel + `)+$`)
	configIDRE  = regexp.MustCompile(`^(?i)[a-z][a-z0-9_-]+$`)
)

// CheckDomain lower-cases a domain name and checks it has the form
// Proxmox VE accepts for ACME: two or more labels of letters, digits, '-'
// and '_', each starting with a letter or digit, at most 253 characters.
func CheckDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	if len(d) > 253 || !domainRE.MatchString(d) {
		return "", fmt.Errorf("%w: %q does not look like a valid domain name", ErrInvalid, d)
	}
	for _, l := range strings.Split(d, ".") {
		if len(l) > 63 {
			return "", fmt.Errorf("%w: %q: label longer than 63 characters", ErrInvalid, d)
		}
	}
	return d, nil
}

func checkAlias(a string) (string, error) {
	a = strings.ToLower(strings.TrimSpace(a))
	if len(a) > 253 || !aliasRE.MatchString(a) {
		return "", fmt.Errorf("%w: %q does not look like a valid alias name", ErrInvalid, a)
	}
	return a, nil
}

// CheckID checks an account or plugin name (Proxmox VE's pve-configid
// format: a letter, then letters, digits, '-' or '_').
func CheckID(id string) error {
	if !configIDRE.MatchString(id) {
		return fmt.Errorf("%w: %q is not a valid name (a letter, then letters, digits, '-' or '_')", ErrInvalid, id)
	}
	return nil
}

func (c *ConfigFile) valueErr(key string, err error) error {
	i := c.find(key)
	pe := &ParseError{File: c.name, Msg: key + ": " + err.Error(), Err: ErrInvalid}
	if errors.Is(err, ErrDuplicate) {
		pe.Err = ErrDuplicate
	}
	pe.Msg = strings.Replace(pe.Msg, ErrInvalid.Error()+": ", "", 1)
	pe.Msg = strings.Replace(pe.Msg, ErrDuplicate.Error()+": ", "duplicate ", 1)
	if i >= 0 && c.lines[i].num > 0 {
		pe.Line, pe.Col = c.lines[i].num, c.lines[i].col
	}
	return pe
}

// ACME returns the "acme" property, with domains lower-cased and
// checked. ok is false when the property is missing.
func (c *ConfigFile) ACME() (a ACME, ok bool, err error) {
	v, ok := c.Get("acme")
	if !ok {
		return ACME{}, false, nil
	}
	a, err = parseACME(v)
	if err != nil {
		return ACME{}, true, c.valueErr("acme", err)
	}
	return a, true, nil
}

func parseACME(v string) (ACME, error) {
	p, err := propstr.Parse(v, "")
	if err != nil {
		return ACME{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var a ACME
	for _, k := range p.Keys() {
		val, _ := p.Get(k)
		switch k {
		case "account":
			if err := CheckID(val); err != nil {
				return ACME{}, fmt.Errorf("account: %w", err)
			}
			a.Account = val
		case "domains":
			for _, d := range propstr.List(val) {
				d, err := CheckDomain(d)
				if err != nil {
					return ACME{}, fmt.Errorf("domains: %w", err)
				}
				if slices.Contains(a.Domains, d) {
					return ACME{}, fmt.Errorf("%w domain %q", ErrDuplicate, d)
				}
				a.Domains = append(a.Domains, d)
			}
		default:
			return ACME{}, fmt.Errorf("%w: unknown key %q", ErrInvalid, k)
		}
	}
	return a, nil
}

// SetACME sets the "acme" property, editing only the keys that change. An
// empty Account removes the key (meaning "default"); no Domains removes
// the domains key; when both are empty the property is removed.
func (c *ConfigFile) SetACME(a ACME) error {
	if a.Account != "" {
		if err := CheckID(a.Account); err != nil {
			return fmt.Errorf("acme: account: %w", err)
		}
	}
	domains := make([]string, 0, len(a.Domains))
	for _, d := range a.Domains {
		d, err := CheckDomain(d)
		if err != nil {
			return fmt.Errorf("acme: domains: %w", err)
		}
		if slices.Contains(domains, d) {
			return fmt.Errorf("acme: %w domain %q", ErrDuplicate, d)
		}
		domains = append(domains, d)
	}
	old, _ := c.Get("acme")
	p, err := propstr.Parse(old, "")
	if err != nil {
		p, _ = propstr.Parse("", "")
	}
	setOrDelete(p, "account", a.Account)
	cur, _ := p.Get("domains")
	if !slices.Equal(lowerAll(propstr.List(cur)), domains) {
		setOrDelete(p, "domains", propstr.JoinList(domains))
	}
	s := p.String()
	if strings.Trim(s, ",") == "" {
		c.Delete("acme")
		return nil
	}
	return c.Set("acme", s)
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}

func setOrDelete(p *propstr.String, key, value string) {
	if value == "" {
		p.Delete(key)
		return
	}
	p.Set(key, value) // values are checked by the caller
}

// ACMEDomain returns the acmedomainN property, with the domain and alias
// lower-cased and checked. ok is false when it is missing.
func (c *ConfigFile) ACMEDomain(n int) (d ACMEDomain, ok bool, err error) {
	if n < 0 || n > MaxACMEDomain {
		return ACMEDomain{}, false, fmt.Errorf("%w: acmedomain%d: index out of range 0..%d", ErrInvalid, n, MaxACMEDomain)
	}
	key := "acmedomain" + strconv.Itoa(n)
	v, ok := c.Get(key)
	if !ok {
		return ACMEDomain{}, false, nil
	}
	d, err = parseACMEDomain(v)
	if err != nil {
		return ACMEDomain{}, true, c.valueErr(key, err)
	}
	return d, true, nil
}

func parseACMEDomain(v string) (ACMEDomain, error) {
	p, err := propstr.Parse(v, "domain")
	if err != nil {
		return ACMEDomain{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var d ACMEDomain
	for _, k := range p.Keys() {
		val, _ := p.Get(k)
		switch k {
		case "domain":
			if d.Domain, err = CheckDomain(val); err != nil {
				return ACMEDomain{}, err
			}
		case "plugin":
			if err := CheckID(val); err != nil {
				return ACMEDomain{}, fmt.Errorf("plugin: %w", err)
			}
			d.Plugin = val
		case "alias":
			if d.Alias, err = checkAlias(val); err != nil {
				return ACMEDomain{}, fmt.Errorf("alias: %w", err)
			}
		default:
			return ACMEDomain{}, fmt.Errorf("%w: unknown key %q", ErrInvalid, k)
		}
	}
	if d.Domain == "" {
		return ACMEDomain{}, fmt.Errorf("%w: no domain", ErrInvalid)
	}
	return d, nil
}

// SetACMEDomain sets the acmedomainN property, editing only the keys that
// change. An empty Plugin removes the plugin key (meaning "standalone").
func (c *ConfigFile) SetACMEDomain(n int, d ACMEDomain) error {
	if n < 0 || n > MaxACMEDomain {
		return fmt.Errorf("%w: acmedomain%d: index out of range 0..%d", ErrInvalid, n, MaxACMEDomain)
	}
	key := "acmedomain" + strconv.Itoa(n)
	dom, err := CheckDomain(d.Domain)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if d.Plugin != "" {
		if err := CheckID(d.Plugin); err != nil {
			return fmt.Errorf("%s: plugin: %w", key, err)
		}
	}
	alias := ""
	if d.Alias != "" {
		if alias, err = checkAlias(d.Alias); err != nil {
			return fmt.Errorf("%s: alias: %w", key, err)
		}
	}
	old, _ := c.Get(key)
	p, err := propstr.Parse(old, "domain")
	if err != nil {
		p, _ = propstr.Parse("", "domain")
	}
	if cur, _ := p.Get("domain"); strings.ToLower(cur) != dom {
		p.Set("domain", dom)
	}
	setOrDelete(p, "plugin", d.Plugin)
	if cur, _ := p.Get("alias"); strings.ToLower(cur) != alias {
		setOrDelete(p, "alias", alias)
	}
	return c.Set(key, p.String())
}

// DeleteACMEDomain removes the acmedomainN property and reports whether
// it was there.
func (c *ConfigFile) DeleteACMEDomain(n int) bool {
	return c.Delete("acmedomain" + strconv.Itoa(n))
}

// ACMEDomains returns every domain of the node's ACME configuration, as
// Proxmox VE's get_acme_conf merges them: first the standalone domains of
// "acme", then acmedomain0 to acmedomain5, lower-cased, with the plugin
// defaulting to "standalone". A domain named twice is an error wrapping
// ErrDuplicate that names both properties.
func (c *ConfigFile) ACMEDomains() ([]DomainEntry, error) {
	var out []DomainEntry
	a, _, err := c.ACME()
	if err != nil {
		return nil, err
	}
	for _, d := range a.Domains {
		out = append(out, DomainEntry{ACMEDomain: ACMEDomain{Domain: d, Plugin: "standalone"}, Key: "acme"})
	}
	for n := 0; n <= MaxACMEDomain; n++ {
		d, ok, err := c.ACMEDomain(n)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		key := "acmedomain" + strconv.Itoa(n)
		if i := slices.IndexFunc(out, func(e DomainEntry) bool { return e.Domain == d.Domain }); i >= 0 {
			return nil, c.valueErr(key, fmt.Errorf("%w domain %q (also in %s)", ErrDuplicate, d.Domain, out[i].Key))
		}
		if d.Plugin == "" {
			d.Plugin = "standalone"
		}
		out = append(out, DomainEntry{ACMEDomain: d, Key: key})
	}
	return out, nil
}

// ACMEAccount returns the account name the node orders with: the acme
// property's account, or "default".
func (c *ConfigFile) ACMEAccount() (string, error) {
	a, _, err := c.ACME()
	if err != nil {
		return "", err
	}
	if a.Account == "" {
		return "default", nil
	}
	return a.Account, nil
}
