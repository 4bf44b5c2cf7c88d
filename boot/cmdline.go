package boot

import (
	"fmt"
	"strings"
)

// Param is one kernel command-line parameter: a flag ("quiet",
// "dis_ucode_ldr") or a key with a value ("root=ZFS=rpool/ROOT/pve-1",
// "net.naming-scheme=v252").
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"` // unquoted
	// HasValue distinguishes "key=" (empty value) from a bare flag.
	HasValue bool `json:"has_value,omitempty"`
}

// String formats the parameter, quoting a value with spaces as the
// kernel expects (key="a b").
func (p Param) String() string {
	if !p.HasValue {
		return p.Key
	}
	v := p.Value
	if strings.ContainsAny(v, " \t") {
		v = `"` + v + `"`
	}
	return p.Key + "=" + v
}

// ParseParam parses one parameter as given on a command line or by a
// user ("net.naming-scheme=v252", "dis_ucode_ldr").
func ParseParam(s string) Param {
	k, v, ok := strings.Cut(s, "=")
	if ok && len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return Param{Key: k, Value: v, HasValue: ok}
}

// Cmdline is a kernel command line kept as its text, so that edits change
// only the parameters they touch and keep the spacing of the rest.
// Parameters are separated by blanks; double quotes protect blanks inside a
// value, as the kernel's own parser does. The zero value is an empty
// command line.
type Cmdline struct {
	text string
}

// ParseCmdline returns the command line in s (one line; a trailing newline
// is not part of it).
func ParseCmdline(s string) *Cmdline {
	return &Cmdline{text: strings.TrimRight(s, "\r\n")}
}

// String returns the command line's text.
func (c *Cmdline) String() string { return c.text }

// token is one parameter's position in the text.
type token struct {
	start, end int
	param      Param
}

func (c *Cmdline) tokens() []token {
	var out []token
	s := c.text
	i := 0
	for i < len(s) {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		quoted := false
		for i < len(s) && (quoted || !isBlank(s[i])) {
			if s[i] == '"' {
				quoted = !quoted
			}
			i++
		}
		raw := s[start:i]
		k, v, ok := strings.Cut(raw, "=")
		p := Param{Key: strings.ReplaceAll(k, `"`, ""), Value: strings.ReplaceAll(v, `"`, ""), HasValue: ok}
		out = append(out, token{start, i, p})
	}
	return out
}

func isBlank(b byte) bool { return b == ' ' || b >= '\t' && b <= '\r' } // the kernel's isspace

// Valid reports an error for a line with an unbalanced double quote,
// which makes the kernel read the rest of the line as one parameter.
func (c *Cmdline) Valid() error {
	if strings.Count(c.text, `"`)%2 != 0 {
		return fmt.Errorf("kernel command line %q has an unbalanced quote", c.text)
	}
	return nil
}

// Params returns the parameters in order.
func (c *Cmdline) Params() []Param {
	var out []Param
	for _, t := range c.tokens() {
		out = append(out, t.param)
	}
	return out
}

// Get returns the value of the last parameter named key (the one the
// kernel honours) and whether there is one. A bare flag has an empty value.
func (c *Cmdline) Get(key string) (Param, bool) {
	ts := c.tokens()
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].param.Key == key {
			return ts[i].param, true
		}
	}
	return Param{}, false
}

// Has reports whether a parameter named key is present.
func (c *Cmdline) Has(key string) bool {
	_, ok := c.Get(key)
	return ok
}

// Set makes p the only parameter with its key: the first occurrence is
// replaced in place, later ones are removed, and a missing one is
// appended. It reports whether the text changed.
func (c *Cmdline) Set(p Param) bool {
	old := c.text
	ts := c.tokens()
	var b strings.Builder
	last := 0
	done := false
	for _, t := range ts {
		if t.param.Key != p.Key {
			continue
		}
		if !done {
			b.WriteString(c.text[last:t.start])
			b.WriteString(p.String())
			last = t.end
			done = true
			continue
		}
		// drop this token and the blanks before it
		ws := t.start
		for ws > last && isBlank(c.text[ws-1]) {
			ws--
		}
		b.WriteString(c.text[last:ws])
		last = t.end
	}
	b.WriteString(c.text[last:])
	c.text = b.String()
	if !done {
		if c.text != "" && !isBlank(c.text[len(c.text)-1]) {
			c.text += " "
		}
		c.text += p.String()
	}
	return c.text != old
}

// Remove deletes every parameter named key, with the blanks before it
// (or after it, for the first parameter). It reports whether any was
// found. A key with a value, "key=value", removes only that exact
// parameter.
func (c *Cmdline) Remove(key string) bool {
	match := func(p Param) bool { return p.Key == key }
	if k, v, ok := strings.Cut(key, "="); ok {
		want := ParseParam(k + "=" + v)
		match = func(p Param) bool { return p.Key == want.Key && p.HasValue && p.Value == want.Value }
	}
	ts := c.tokens()
	var b strings.Builder
	last := 0
	found := false
	for _, t := range ts {
		if !match(t.param) {
			continue
		}
		found = true
		ws := t.start
		for ws > last && isBlank(c.text[ws-1]) {
			ws--
		}
		end := t.end
		if ws == 0 { // first parameter: eat the blanks after it instead
			for end < len(c.text) && isBlank(c.text[end]) {
				end++
			}
		}
		b.WriteString(c.text[last:ws])
		last = end
	}
	if !found {
		return false
	}
	b.WriteString(c.text[last:])
	c.text = b.String()
	return true
}
