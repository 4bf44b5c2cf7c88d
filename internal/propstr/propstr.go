// Package propstr reads and writes Proxmox property strings, the values of
// node and guest config keys such as
//
//	acme: account=default,domains=example.com;www.example.com
//	acmedomain0: example.com,plugin=ovh,alias=challenge.example.net
//
// A property string is a comma-separated list of key=value pairs; one
// value may stand without a key when the schema names a default key
// ("domain" above). List values inside a property are separated by ";".
// As in Proxmox, values cannot hold commas. Parsing keeps the original
// text, so an untouched string formats unchanged and an edit changes only
// its own pair.
package propstr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrSyntax is matched by every parse error.
var ErrSyntax = errors.New("invalid property string")

// String is a parsed property string.
type String struct {
	defaultKey string
	parts      []part
}

type part struct {
	raw   string
	key   string // "" for an empty part such as a trailing comma
	value string
	bare  bool // the default key, written without "key="
	dirty bool
}

// Parse parses s. defaultKey names the key of a value written without one;
// empty means the schema has no default key.
func Parse(s, defaultKey string) (*String, error) {
	p := &String{defaultKey: defaultKey}
	if s == "" {
		return p, nil
	}
	for _, raw := range strings.Split(s, ",") {
		pt := part{raw: raw}
		if strings.TrimSpace(raw) != "" {
			k, v, ok := strings.Cut(raw, "=")
			switch {
			case ok && k == "":
				return nil, fmt.Errorf("%w: %q: missing key", ErrSyntax, raw)
			case ok && v == "":
				return nil, fmt.Errorf("%w: %q: missing value", ErrSyntax, raw)
			case ok:
				pt.key, pt.value = k, v
			case defaultKey == "":
				return nil, fmt.Errorf("%w: %q: value without key", ErrSyntax, raw)
			default:
				pt.key, pt.value, pt.bare = defaultKey, raw, true
			}
			if _, dup := p.Get(pt.key); dup {
				return nil, fmt.Errorf("%w: duplicate key %q", ErrSyntax, pt.key)
			}
		}
		p.parts = append(p.parts, pt)
	}
	return p, nil
}

// Get returns a key's value.
func (p *String) Get(key string) (string, bool) {
	for _, pt := range p.parts {
		if pt.key == key && pt.key != "" {
			return pt.value, true
		}
	}
	return "", false
}

// Keys returns the keys in order.
func (p *String) Keys() []string {
	var out []string
	for _, pt := range p.parts {
		if pt.key != "" {
			out = append(out, pt.key)
		}
	}
	return out
}

// Set sets a key's value in place, or appends it (the default key goes
// first, without "key="). Values may not contain commas or newlines.
func (p *String) Set(key, value string) error {
	if key == "" || strings.ContainsAny(key, ",=\n") {
		return fmt.Errorf("%w: invalid key %q", ErrSyntax, key)
	}
	if value == "" || strings.ContainsAny(value, ",\n") {
		return fmt.Errorf("%w: %s: invalid value %q", ErrSyntax, key, value)
	}
	for i := range p.parts {
		if pt := &p.parts[i]; pt.key == key {
			if pt.value != value {
				pt.value, pt.dirty = value, true
			}
			return nil
		}
	}
	if key == p.defaultKey && !strings.Contains(value, "=") {
		p.parts = slices.Insert(p.parts, 0, part{key: key, value: value, bare: true, dirty: true})
		return nil
	}
	p.parts = append(p.parts, part{key: key, value: value, dirty: true})
	return nil
}

// Delete removes a key and reports whether it was there.
func (p *String) Delete(key string) bool {
	for i, pt := range p.parts {
		if pt.key == key && key != "" {
			p.parts = slices.Delete(p.parts, i, i+1)
			return true
		}
	}
	return false
}

// String formats the property string.
func (p *String) String() string {
	var b strings.Builder
	n := 0
	for _, pt := range p.parts {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		switch {
		case !pt.dirty:
			b.WriteString(pt.raw)
		case pt.bare:
			b.WriteString(pt.value)
		default:
			b.WriteString(pt.key + "=" + pt.value)
		}
	}
	return b.String()
}

// List splits a ";"-separated list value, dropping empty items.
func List(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// JoinList joins list items with ";".
func JoinList(items []string) string { return strings.Join(items, ";") }
