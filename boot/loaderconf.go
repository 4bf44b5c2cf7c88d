package boot

import (
	"strings"
)

// LoaderConf is a systemd-boot configuration file: loader/loader.conf or
// a loader/entries/*.conf boot entry. Each line is a key, blanks, and a
// value; '#' starts a comment line. Parsing keeps every line, so Format
// returns an untouched file byte for byte.
type LoaderConf struct {
	lines []loaderLine
}

type loaderLine struct {
	text  string
	nl    bool
	key   string
	value string // trimmed
	ke    int    // offset of the end of the key in text
	vs    int    // offset of the value in text
	end   int    // offset of the end of the value (trailing blanks and \r follow)
}

// ParseLoaderConf parses a loader.conf or boot entry file.
func ParseLoaderConf(b []byte) *LoaderConf {
	c := &LoaderConf{}
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		l := loaderLine{}
		if i < 0 {
			l.text, s = s, ""
		} else {
			l.text, l.nl, s = s[:i], true, s[i+1:]
		}
		t := strings.TrimRight(l.text, " \t\r")
		lead := len(t) - len(strings.TrimLeft(t, " \t"))
		l.end = len(t)
		t = t[lead:]
		if t != "" && t[0] != '#' {
			k := strings.IndexAny(t, " \t")
			if k < 0 {
				l.key, l.ke, l.vs = t, l.end, l.end
			} else {
				l.key, l.ke = t[:k], lead+k
				v := strings.TrimLeft(t[k:], " \t")
				l.value = v
				l.vs = l.end - len(v)
			}
		}
		c.lines = append(c.lines, l)
	}
	return c
}

// Format returns the file's text.
func (c *LoaderConf) Format() []byte {
	var b strings.Builder
	for _, l := range c.lines {
		b.WriteString(l.text)
		if l.nl {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// Get returns the value of the last line with key.
func (c *LoaderConf) Get(key string) (string, bool) {
	for i := len(c.lines) - 1; i >= 0; i-- {
		if c.lines[i].key == key {
			return c.lines[i].value, true
		}
	}
	return "", false
}

// All returns the values of every line with key, in order (an entry may
// have several initrd and options lines).
func (c *LoaderConf) All(key string) []string {
	var out []string
	for _, l := range c.lines {
		if l.key == key {
			out = append(out, l.value)
		}
	}
	return out
}

// Set gives every line with key the value (keeping each line's spacing
// between key and value), or appends "key value" if there is none. It
// reports whether the text changed.
func (c *LoaderConf) Set(key, value string) bool {
	changed, found := false, false
	for i := range c.lines {
		l := &c.lines[i]
		if l.key != key {
			continue
		}
		found = true
		if l.value != value {
			sep := l.text[l.ke:l.vs]
			if sep == "" {
				sep = " "
			}
			l.text = l.text[:l.ke] + sep + value + l.text[l.end:]
			l.vs = l.ke + len(sep)
			l.end = l.vs + len(value)
			l.value = value
			changed = true
		}
	}
	if !found {
		if n := len(c.lines); n > 0 && !c.lines[n-1].nl {
			c.lines[n-1].nl = true
		}
		c.lines = append(c.lines, loaderLine{text: key + " " + value, nl: true, key: key, value: value, ke: len(key), vs: len(key) + 1, end: len(key) + 1 + len(value)})
		changed = true
	}
	return changed
}

// Delete removes every line with key and reports whether there was one.
func (c *LoaderConf) Delete(key string) bool {
	n := len(c.lines)
	out := c.lines[:0]
	for _, l := range c.lines {
		if l.key != key {
			out = append(out, l)
		}
	}
	c.lines = out
	return len(out) != n
}
