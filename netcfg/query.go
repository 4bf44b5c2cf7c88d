package netcfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrNotFound marks an interface the file does not configure.
var ErrNotFound = errors.New("interface not found")

// QueryIface is one stanza as ifupdown2's "ifquery -o json" reports it.
// Its JSON encoding has ifquery's shape: name, addr_method (left out when
// the stanza has none), addr_family (a string), auto, and config, which
// maps each option to its value, or to the list of its values when the
// option is repeated.
type QueryIface struct {
	Name       string
	AddrMethod string
	AddrFamily []string
	Auto       bool
	// Config holds the options in order of their first line, keys with
	// "_" turned into "-".
	Config []QueryOption
}

// QueryOption is one option of a QueryIface with all its values.
type QueryOption struct {
	Key    string
	Values []string
}

// Query returns what "ifquery -o json -i FILE" from ifupdown2 reports for
// the file (and the files its source lines include, once [Load] has
// resolved them): with no names, the stanzas of every interface marked
// auto ("ifquery -a"); otherwise the stanzas of the named interfaces, in
// the order given. A name may be an ifupdown2 range such as "swp[1-4]".
//
// Stanzas are reported one by one as ifupdown2 does (an interface with an
// inet and an inet6 stanza appears twice), exact duplicates once.
func Query(f *File, names ...string) ([]QueryIface, error) {
	groups := read(f).groups()
	idx := map[string]*group{}
	for _, g := range groups {
		idx[g.name] = g
	}
	var sel []*group
	if len(names) == 0 {
		for _, g := range groups {
			if slices.ContainsFunc(g.objs, func(o *object) bool { return o.auto }) {
				sel = append(sel, g)
			}
		}
		if len(sel) == 0 {
			return nil, errorf(ErrNotFound, "no interfaces marked auto")
		}
	} else {
		var missing []string
		for _, n := range names {
			if g := idx[n]; g != nil {
				sel = append(sel, g)
				continue
			}
			prefix, lo, hi, suffix, ok := parseRange(n)
			if !ok {
				missing = append(missing, n)
				continue
			}
			// ifupdown2 expands a range given on the command line
			// without its last element.
			for v := lo; v < hi; v++ {
				rn := fmt.Sprintf("%s%d%s", prefix, v, suffix)
				if g := idx[rn]; g != nil {
					sel = append(sel, g)
				} else {
					missing = append(missing, rn)
				}
			}
		}
		if len(missing) > 0 {
			return nil, errorf(ErrNotFound, "%s", strings.Join(missing, " "))
		}
	}
	var out []QueryIface
	for _, g := range sel {
		for _, o := range g.objs {
			q := QueryIface{Name: o.name, AddrMethod: o.method, AddrFamily: slices.Clone(o.families), Auto: o.auto}
			if slices.Contains(o.families, "inet") && strings.Contains(o.method, "dhcp") {
				q.AddrMethod = "dhcp"
			}
			c := o.config()
			for _, k := range c.keys {
				q.Config = append(q.Config, QueryOption{Key: k, Values: c.vals[k]})
			}
			out = append(out, q)
		}
	}
	return out, nil
}

// MarshalJSON encodes the stanza as ifquery does, compactly.
func (q QueryIface) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	q.encode(&b, "", "")
	return b.Bytes(), nil
}

// MarshalQuery encodes a query result exactly as "ifquery -o json" prints
// it (Python's json.dumps with an indent of 4 and ASCII escapes), with a
// final newline; an empty result is printed as nothing.
func MarshalQuery(list []QueryIface) []byte {
	if len(list) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, q := range list {
		b.WriteString("    ")
		q.encode(&b, "    ", "    ")
		if i < len(list)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// encode writes the object; with an empty step the output is compact.
func (q QueryIface) encode(b *bytes.Buffer, indent, step string) {
	nl := func(depth int) {
		if step == "" {
			return
		}
		b.WriteByte('\n')
		b.WriteString(indent)
		for range depth {
			b.WriteString(step)
		}
	}
	colon := ": "
	if step == "" {
		colon = ":"
	}
	field := func(depth int, key string, first bool) {
		if !first {
			b.WriteByte(',')
		}
		nl(depth)
		pyQuote(b, key)
		b.WriteString(colon)
	}
	list := func(depth int, vals []string) {
		if len(vals) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			pyQuote(b, v)
		}
		nl(depth)
		b.WriteByte(']')
	}
	b.WriteByte('{')
	field(1, "name", true)
	pyQuote(b, q.Name)
	if q.AddrMethod != "" {
		field(1, "addr_method", false)
		pyQuote(b, q.AddrMethod)
	}
	if len(q.AddrFamily) == 1 {
		field(1, "addr_family", false)
		pyQuote(b, q.AddrFamily[0])
	} else if len(q.AddrFamily) > 1 {
		field(1, "addr_family", false)
		list(1, q.AddrFamily)
	}
	field(1, "auto", false)
	if q.Auto {
		b.WriteString("true")
	} else {
		b.WriteString("false")
	}
	field(1, "config", false)
	if len(q.Config) == 0 {
		b.WriteString("{}")
	} else {
		b.WriteByte('{')
		for i, o := range q.Config {
			field(2, o.Key, i == 0)
			if len(o.Values) == 1 {
				pyQuote(b, o.Values[0])
			} else {
				list(2, o.Values)
			}
		}
		nl(1)
		b.WriteByte('}')
	}
	nl(0)
	b.WriteByte('}')
}

// UnmarshalJSON reads the ifquery encoding back.
func (q *QueryIface) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name       string          `json:"name"`
		AddrMethod string          `json:"addr_method"`
		AddrFamily json.RawMessage `json:"addr_family"`
		Auto       bool            `json:"auto"`
		Config     json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*q = QueryIface{Name: raw.Name, AddrMethod: raw.AddrMethod, Auto: raw.Auto}
	if len(raw.AddrFamily) > 0 {
		var s string
		if err := json.Unmarshal(raw.AddrFamily, &s); err == nil {
			q.AddrFamily = []string{s}
		} else if err := json.Unmarshal(raw.AddrFamily, &q.AddrFamily); err != nil {
			return err
		}
	}
	if len(raw.Config) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Config))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		opt := QueryOption{Key: key}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			opt.Values = []string{s}
		} else if err := json.Unmarshal(v, &opt.Values); err != nil {
			return err
		}
		q.Config = append(q.Config, opt)
	}
	return nil
}

// pyQuote writes s as Python's json module does with ensure_ascii: every
// character outside printable ASCII as \uXXXX (surrogate pairs beyond the
// BMP), and invalid UTF-8 as U+FFFD.
func pyQuote(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	u4 := func(r rune) {
		b.WriteString(`\u`)
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			u4(r)
		case r < 0x80:
			b.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			u4(0xd800 + r>>10)
			u4(0xdc00 + r&0x3ff)
		default:
			if r == utf8.RuneError {
				r = 0xfffd
			}
			u4(r)
		}
	}
	b.WriteByte('"')
}
