package netcfg

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// object is one stanza as ifupdown2 reads it, after expanding an
// interface range such as "swp[1-4]" into one object per interface.
type object struct {
	name     string // without ":label"
	written  string // the name as written, for $IFACE
	vlan     bool   // a "vlan" stanza (ifupdown2's BRIDGE_VLAN type)
	families []string
	method   string
	auto     bool
	classes  []string
	stanza   *Stanza
	file     *File
}

// options calls fn for each option of the object's stanza as ifupdown2
// reads it: "_" in the key turned into "-", "$IFACE" in the value replaced
// by the interface name as written.
func (o *object) options(fn func(key, value string, opt *Option)) {
	for _, e := range o.stanza.Body {
		if op, ok := e.(*Option); ok {
			fn(normKey(op.Key), strings.ReplaceAll(op.Value, "$IFACE", o.written), op)
		}
	}
}

// reading is the result of reading a file tree the way ifupdown2 does.
type reading struct {
	objs  []*object
	notes []note
}

// note is something the reader noticed that the validator reports.
type note struct {
	pos  Pos
	kind noteKind
	name string
	arg  string
}

type noteKind int

const (
	noteDollarName   noteKind = iota // "$" in an interface name
	noteLongName                     // name longer than IFNAMSIZ-1
	noteEmptyRange                   // range that expands to nothing
	noteSourceDir                    // top-level source-directory, ignored
	noteAllowNoClass                 // "allow-" without class
)

type reader struct {
	r        reading
	objs     slab[object]
	autoAll  bool
	autoSet  map[string]bool
	classes  []string            // allow classes in order of first sight
	allow    map[string][]string // class -> names
	stack    []*File
	maxDepth int
}

// read walks f and the files its source lines include, as ifupdown2 does:
// an interface is auto or in an allow class only if the line saying so
// comes before its stanza; source-directory lines are not followed.
func read(f *File) *reading {
	rd := &reader{autoSet: map[string]bool{}, allow: map[string][]string{}, maxDepth: 64}
	rd.walk(f)
	return &rd.r
}

func (rd *reader) walk(f *File) {
	if slices.Contains(rd.stack, f) || len(rd.stack) >= rd.maxDepth {
		return
	}
	rd.stack = append(rd.stack, f)
	defer func() { rd.stack = rd.stack[:len(rd.stack)-1] }()
	for _, st := range f.Stmts {
		switch st := st.(type) {
		case *Auto:
			rd.auto(st)
		case *Source:
			if st.Directory {
				rd.r.notes = append(rd.r.notes, note{pos: st.pos, kind: noteSourceDir, arg: st.Path})
				continue
			}
			for _, inc := range st.Files {
				rd.walk(inc)
			}
		case *Stanza:
			rd.stanza(f, st)
		}
	}
}

func (rd *reader) auto(a *Auto) {
	if a.Keyword == "auto" {
		for _, n := range a.Names {
			if n == "all" {
				rd.autoAll = true
				break
			}
			if prefix, lo, hi, suffix, ok := parseRange(n); ok {
				for v := lo; v <= hi; v++ {
					rd.autoSet[prefix+strconv.Itoa(v)+suffix] = true
				}
			}
			rd.autoSet[n] = true
		}
		return
	}
	_, class, _ := strings.Cut(a.Keyword, "-")
	class, _, _ = strings.Cut(class, "-")
	if _, ok := rd.allow[class]; !ok {
		rd.classes = append(rd.classes, class)
	}
	rd.allow[class] = append(rd.allow[class], a.Names...)
}

func (rd *reader) stanza(f *File, s *Stanza) {
	written := s.Name
	name, _, _ := strings.Cut(written, ":")
	if strings.Contains(written, "$") {
		rd.r.notes = append(rd.r.notes, note{pos: s.pos, kind: noteDollarName, name: written})
	}
	if !strings.ContainsAny(name, "[]") && len(name) > maxNameLen {
		rd.r.notes = append(rd.r.notes, note{pos: s.pos, kind: noteLongName, name: name})
	}
	o := rd.objs.new()
	o.name, o.written, o.vlan, o.stanza, o.file = name, written, s.Keyword == "vlan", s, f
	switch s.Family {
	case "":
	case "inet":
		o.families = familyInet
	case "inet6":
		o.families = familyInet6
	default:
		o.families = []string{s.Family}
	}
	o.method = s.Method
	if len(o.families) > 0 {
		if familyMethods(s.Family) == nil {
			o.families, o.method = nil, ""
		} else if o.method == "" {
			o.method = "static"
		}
	}
	o.auto = rd.autoAll || rd.autoSet[name]
	for _, c := range rd.classes {
		if slices.Contains(rd.allow[c], name) {
			o.classes = append(o.classes, c)
		}
	}

	prefix, lo, hi, suffix, ok := parseRange(name)
	if !ok {
		rd.r.objs = append(rd.r.objs, o)
		return
	}
	if lo > hi {
		rd.r.notes = append(rd.r.notes, note{pos: s.pos, kind: noteEmptyRange, name: name})
	}
	for v := lo; v <= hi; v++ {
		c := *o
		c.name = prefix + strconv.Itoa(v) + suffix
		if len(c.name) > maxNameLen {
			rd.r.notes = append(rd.r.notes, note{pos: s.pos, kind: noteLongName, name: c.name})
		}
		c.families = slices.Clone(o.families)
		c.classes = slices.Clone(o.classes)
		rd.r.objs = append(rd.r.objs, &c)
	}
}

// Shared family lists of objects; never modified.
var (
	familyInet  = []string{"inet"}
	familyInet6 = []string{"inet6"}
)

// maxNameLen is the longest interface name the kernel takes (IFNAMSIZ-1).
const maxNameLen = 15

// parseRange parses ifupdown2's interface ranges: "swp[1-4]" (prefix
// "swp", 1, 4) and "swp[1-4].100" (suffix ".100"), as its regular
// expressions ^(\w+)\[(\d+)-(\d+)\]([.\w]+) and ^([\w.]+)\[(\d+)-(\d+)\]
// match them.
func parseRange(name string) (prefix string, lo, hi int, suffix string, ok bool) {
	isWord := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }
	// The prefix: word characters, and dots for the second form.
	i := 0
	dots := false
	for i < len(name) {
		r, size := utf8.DecodeRuneInString(name[i:])
		if r == '.' {
			dots = true
		} else if !isWord(r) {
			break
		}
		i += size
	}
	if i == 0 || i >= len(name) || name[i] != '[' {
		return "", 0, 0, "", false
	}
	prefix = name[:i]
	rest := name[i+1:]
	digits := func(s string) (int, string, bool) {
		j := 0
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !unicode.Is(unicode.Nd, r) {
				break
			}
			j += size
		}
		if j == 0 {
			return 0, s, false
		}
		v := 0
		for _, r := range s[:j] {
			v = v*10 + digitValue(r)
			if v > 1<<20 {
				return 0, s, false
			}
		}
		return v, s[j:], true
	}
	var okLo, okHi bool
	lo, rest, okLo = digits(rest)
	if !okLo || !strings.HasPrefix(rest, "-") {
		return "", 0, 0, "", false
	}
	hi, rest, okHi = digits(rest[1:])
	if !okHi || !strings.HasPrefix(rest, "]") {
		return "", 0, 0, "", false
	}
	rest = rest[1:]
	j := 0
	for j < len(rest) {
		r, size := utf8.DecodeRuneInString(rest[j:])
		if r != '.' && !isWord(r) {
			break
		}
		j += size
	}
	if j > 0 && !dots {
		return prefix, lo, hi, rest[:j], true
	}
	return prefix, lo, hi, "", true
}

// digitValue returns the value of a decimal digit in any script.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	// Unicode decimal digits come in runs of ten, each starting at a zero.
	z := r
	for unicode.Is(unicode.Nd, z-1) {
		z--
	}
	return int(r-z) % 10
}

// ifaceConfig is an object's options as ifupdown2 stores them: keys in
// order of first appearance, each with its list of values.
type ifaceConfig struct {
	keys []string
	vals map[string][]string
}

// config builds the option map with ifupdown2's rules: scope, netmask,
// broadcast and preferred-lifetime line up with the address they follow
// (padded with empty strings) and are dropped before any address.
func (o *object) config() *ifaceConfig {
	c := &ifaceConfig{vals: map[string][]string{}}
	o.options(func(k, value string, _ *Option) {
		list := c.vals[k]
		switch k {
		case "scope", "netmask", "broadcast", "preferred-lifetime":
			addrs := c.vals["address"]
			if len(addrs) == 0 {
				return
			}
			for i := 0; i < len(addrs)-len(list)-1; i++ {
				list = append(list, "")
			}
		}
		if _, seen := c.vals[k]; !seen {
			c.keys = append(c.keys, k)
		}
		c.vals[k] = append(list, value)
	})
	return c
}

// same is ifupdown2's test for a duplicate stanza.
func (o *object) same(p *object) bool {
	if o.name != p.name || o.vlan != p.vlan || o.method != p.method || o.auto != p.auto ||
		!slices.Equal(o.families, p.families) || !slices.Equal(o.classes, p.classes) {
		return false
	}
	a, b := o.config(), p.config()
	if len(a.keys) != len(b.keys) {
		return false
	}
	for k, v := range a.vals {
		w, ok := b.vals[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// slab hands out pointers into large blocks, to allocate many small
// values at once.
type slab[T any] struct{ buf []T }

func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, 256)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// group is an interface's objects in file order, duplicates dropped.
type group struct {
	name    string
	objs    []*object
	dropped []*object // exact duplicates, which ifupdown2 ignores
	buf     [1]*object
}

// groups collects the objects by name in order of first appearance,
// dropping exact duplicates of the first object as ifupdown2 does.
func (r *reading) groups() []*group {
	var out []*group
	idx := make(map[string]*group, len(r.objs))
	var gs slab[group]
	for _, o := range r.objs {
		g := idx[o.name]
		if g == nil {
			g = gs.new()
			g.name = o.name
			g.objs = g.buf[:0]
			idx[o.name] = g
			out = append(out, g)
			g.objs = append(g.objs, o)
			continue
		}
		if o.same(g.objs[0]) {
			g.dropped = append(g.dropped, o)
			continue
		}
		g.objs = append(g.objs, o)
	}
	return out
}
