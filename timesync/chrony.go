package timesync

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/parseerr"
	"github.com/hostadm/hostadm/internal/textline"
)

var (
	// ErrSyntax is matched by errors for lines that cannot be read.
	ErrSyntax = errors.New("syntax error")
	// ErrInvalid is matched by errors for values chrony or
	// systemd-timesyncd would refuse: an unknown source option, a
	// missing option value, a bad host name.
	ErrInvalid = errors.New("invalid value")
)

// ParseError reports a problem at a line and column of a configuration
// file: File, Line (1-based; 0 when the problem has no single line), Col
// (1-based; 0 when unknown) and Msg. It unwraps to its Err: ErrSyntax or
// ErrInvalid.
type ParseError = parseerr.Error

// SourceType is the directive that names a time source.
type SourceType string

// The source directives of chrony.conf. systemd-timesyncd knows servers
// only.
const (
	Server SourceType = "server"
	Pool   SourceType = "pool"
	Peer   SourceType = "peer"
)

// Option is one option of a source directive: a flag such as "iburst"
// (empty Value) or a name with a value ("minpoll 4").
type Option struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// Source is one configured time source.
type Source struct {
	Type    SourceType `json:"type"`
	Address string     `json:"address"`
	Options []Option   `json:"options,omitempty"`
	// File and Line say where the source is configured; Line is 0 for a
	// source not read from a file.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// String formats the source as a chrony.conf directive.
func (s Source) String() string {
	var b strings.Builder
	b.WriteString(string(s.Type))
	b.WriteByte(' ')
	b.WriteString(s.Address)
	for _, o := range s.Options {
		b.WriteByte(' ')
		b.WriteString(o.Name)
		if o.Value != "" {
			b.WriteByte(' ')
			b.WriteString(o.Value)
		}
	}
	return b.String()
}

// Option returns the value of an option and whether it is set; flags
// have the value "".
func (s Source) Option(name string) (string, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// chronyFlags are the source options that take no value (chrony 4.x).
var chronyFlags = map[string]bool{
	"auto_offline": true, "burst": true, "copy": true, "iburst": true,
	"noselect": true, "nts": true, "offline": true, "prefer": true,
	"require": true, "trust": true, "xleave": true,
}

// chronyValues are the source options that take one value, with the
// kind of value: 'i' integer, 'f' number, 's' word.
var chronyValues = map[string]byte{
	"asymmetry": 'f', "certset": 'i', "extfield": 's', "filter": 'i',
	"key": 'i', "maxdelay": 'f', "maxdelaydevratio": 'f',
	"maxdelayratio": 'f', "maxpoll": 'i', "maxsamples": 'i',
	"maxsources": 'i', "mindelay": 'f', "minpoll": 'i', "minsamples": 'i',
	"minstratum": 'i', "ntsport": 'i', "offset": 'f', "polltarget": 'i',
	"port": 'i', "presend": 'i', "version": 'i',
}

// CheckSource checks a source the way chronyd reads it: a known type, an
// address without spaces, known options with values of the right kind
// (maxsources for pools only).
func CheckSource(s Source) error {
	switch s.Type {
	case Server, Pool, Peer:
	default:
		return fmt.Errorf("%w: unknown source type %q", ErrInvalid, s.Type)
	}
	if err := checkHost(s.Address); err != nil {
		return err
	}
	for _, o := range s.Options {
		if err := checkOption(s.Type, o); err != nil {
			return err
		}
	}
	return nil
}

func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("%w: empty address", ErrInvalid)
	}
	if strings.ContainsAny(h, " \t\r\n#;!%=") || strings.HasPrefix(h, "-") {
		return fmt.Errorf("%w: bad address %q", ErrInvalid, h)
	}
	return nil
}

func checkOption(t SourceType, o Option) error {
	if chronyFlags[o.Name] {
		if o.Value != "" {
			return fmt.Errorf("%w: option %s takes no value", ErrInvalid, o.Name)
		}
		return nil
	}
	kind, ok := chronyValues[o.Name]
	if !ok {
		return fmt.Errorf("%w: unknown source option %q", ErrInvalid, o.Name)
	}
	if o.Name == "maxsources" && t != Pool {
		return fmt.Errorf("%w: maxsources is for pools only", ErrInvalid)
	}
	if o.Value == "" {
		return fmt.Errorf("%w: option %s needs a value", ErrInvalid, o.Name)
	}
	switch kind {
	case 'i':
		if _, err := strconv.Atoi(o.Value); err != nil {
			return fmt.Errorf("%w: option %s: %q is not an integer", ErrInvalid, o.Name, o.Value)
		}
	case 'f':
		if _, err := strconv.ParseFloat(o.Value, 64); err != nil {
			return fmt.Errorf("%w: option %s: %q is not a number", ErrInvalid, o.Name, o.Value)
		}
	case 's':
		if strings.ContainsAny(o.Value, " \t") {
			return fmt.Errorf("%w: option %s: bad value %q", ErrInvalid, o.Name, o.Value)
		}
	}
	return nil
}

// ParseSource parses a source directive such as
// "server ntp1.example.com iburst minpoll 4".
func ParseSource(line string) (Source, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return Source{}, fmt.Errorf("%w: want TYPE ADDRESS [OPTIONS]", ErrInvalid)
	}
	s, _, err := sourceFromFields(SourceType(f[0]), f[1:])
	if err != nil {
		return Source{}, err
	}
	return s, CheckSource(s)
}

// sourceFromFields decodes the arguments of a source directive; on
// error it also returns the index in args of the offending word.
func sourceFromFields(t SourceType, args []string) (Source, int, error) {
	s := Source{Type: t, Address: args[0]}
	if err := checkHost(args[0]); err != nil {
		return s, 0, err
	}
	for i := 1; i < len(args); i++ {
		name := args[i]
		switch {
		case chronyFlags[name]:
			s.Options = append(s.Options, Option{Name: name})
		case chronyValues[name] != 0:
			if i+1 >= len(args) {
				return s, i, fmt.Errorf("%w: option %s needs a value", ErrInvalid, name)
			}
			o := Option{Name: name, Value: args[i+1]}
			if err := checkOption(t, o); err != nil {
				return s, i + 1, err
			}
			s.Options = append(s.Options, o)
			i++
		default:
			return s, i, fmt.Errorf("%w: unknown source option %q", ErrInvalid, name)
		}
	}
	return s, 0, nil
}

// Directive is one directive line of chrony.conf: a name and its
// whitespace-separated arguments.
type Directive struct {
	Name string
	Args []string
	// Line is the line number in the parsed file, 0 for a new line.
	Line int
}

// ChronyConf is a parsed chrony configuration file (chrony.conf, a
// conf.d/*.conf file or a sources.d/*.sources file). Parsing keeps every
// line, so Format of an untouched file returns its bytes and an edit
// rewrites only the lines it touches. chrony's comments start with one
// of "#", "%", "!" or ";" as the first non-blank character.
type ChronyConf struct {
	name  string
	lines []chronyLine
	noEOL bool
}

type chronyLine struct {
	raw  string
	dir  *Directive // nil for blank and comment lines
	cols []int      // 1-based column of each word of a directive
}

// ParseChronyConf parses a chrony configuration file; name is used in
// errors. Every directive is kept, known or not; source directives are
// checked when read through Sources.
func ParseChronyConf(name string, data []byte) (*ChronyConf, error) {
	c := &ChronyConf{name: name}
	raws, noEOL := textline.Split(string(data))
	c.noEOL = noEOL
	for i, raw := range raws {
		l := chronyLine{raw: raw}
		words, cols := fieldsCols(raw)
		if len(words) > 0 && !strings.ContainsRune("#%!;", rune(words[0][0])) {
			if strings.ContainsRune(raw, 0) {
				return nil, &ParseError{File: name, Line: i + 1, Msg: "NUL byte in line", Err: ErrSyntax}
			}
			l.dir = &Directive{Name: strings.ToLower(words[0]), Args: words[1:], Line: i + 1}
			l.cols = cols
		}
		c.lines = append(c.lines, l)
	}
	return c, nil
}

// fieldsCols splits s at spaces and tabs and returns each word's
// 1-based column.
func fieldsCols(s string) ([]string, []int) {
	var words []string
	var cols []int
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' {
			if start >= 0 {
				words = append(words, s[start:i])
				cols = append(cols, start+1)
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return words, cols
}

// Name returns the file name given to ParseChronyConf.
func (c *ChronyConf) Name() string { return c.name }

// Format returns the file's text.
func (c *ChronyConf) Format() []byte {
	return textline.Join(c.lines, func(l chronyLine) string { return l.raw }, c.noEOL)
}

// Directives returns the directives in file order.
func (c *ChronyConf) Directives() []Directive {
	var out []Directive
	for _, l := range c.lines {
		if l.dir != nil {
			d := *l.dir
			d.Args = slices.Clone(d.Args)
			out = append(out, d)
		}
	}
	return out
}

// Lookup returns the arguments of the first directive of the given
// name.
func (c *ChronyConf) Lookup(name string) ([]string, bool) {
	for _, l := range c.lines {
		if l.dir != nil && l.dir.Name == name {
			return slices.Clone(l.dir.Args), true
		}
	}
	return nil, false
}

func isSourceDirective(name string) bool {
	return name == string(Server) || name == string(Pool) || name == string(Peer)
}

// Sources returns the server, pool and peer directives in file order.
// A directive chronyd would refuse is an error with its line and column
// wrapping ErrInvalid.
func (c *ChronyConf) Sources() ([]Source, error) {
	var out []Source
	for _, l := range c.lines {
		if l.dir == nil || !isSourceDirective(l.dir.Name) {
			continue
		}
		if len(l.dir.Args) == 0 {
			return out, &ParseError{File: c.name, Line: l.dir.Line, Col: l.cols[0], Msg: l.dir.Name + ": missing address", Err: ErrInvalid}
		}
		s, at, err := sourceFromFields(SourceType(l.dir.Name), l.dir.Args)
		if err != nil {
			return out, &ParseError{File: c.name, Line: l.dir.Line, Col: l.cols[at+1], Msg: strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "), Err: ErrInvalid}
		}
		s.File, s.Line = c.name, l.dir.Line
		out = append(out, s)
	}
	return out, nil
}

// SetSource configures a source: a source directive with the same
// address (of any type) is rewritten in place, later duplicates are
// removed; otherwise the directive is added after the last source
// directive, or at the end of the file when there is none.
func (c *ChronyConf) SetSource(s Source) error {
	if err := CheckSource(s); err != nil {
		return err
	}
	s.File, s.Line = "", 0
	text := s.String()
	found := false
	last := -1
	for i := 0; i < len(c.lines); i++ {
		d := c.lines[i].dir
		if d == nil || !isSourceDirective(d.Name) {
			continue
		}
		last = i
		if len(d.Args) == 0 || d.Args[0] != s.Address {
			continue
		}
		if found {
			c.lines = slices.Delete(c.lines, i, i+1)
			i--
			continue
		}
		found = true
		if c.lines[i].raw != text && sourceText(c.lines[i].dir) != text {
			c.lines[i] = newChronyLine(text, d.Line)
		}
	}
	if found {
		return nil
	}
	if last < 0 {
		last = len(c.lines) - 1
	}
	c.insert(last+1, text)
	return nil
}

// sourceText is a parsed directive as SetSource would write it.
func sourceText(d *Directive) string {
	return strings.Join(append([]string{d.Name}, d.Args...), " ")
}

func newChronyLine(text string, num int) chronyLine {
	words, cols := fieldsCols(text)
	return chronyLine{raw: text, dir: &Directive{Name: words[0], Args: words[1:], Line: num}, cols: cols}
}

// insert adds a directive line before index i.
func (c *ChronyConf) insert(i int, text string) {
	c.lines = slices.Insert(c.lines, i, newChronyLine(text, 0))
	if i == len(c.lines)-1 {
		c.noEOL = false
	}
}

// RemoveSource removes every source directive for address and reports
// whether there was one.
func (c *ChronyConf) RemoveSource(address string) bool {
	n := len(c.lines)
	c.lines = slices.DeleteFunc(c.lines, func(l chronyLine) bool {
		return l.dir != nil && isSourceDirective(l.dir.Name) && len(l.dir.Args) > 0 && l.dir.Args[0] == address
	})
	return len(c.lines) != n
}

// ReplaceSources replaces every source directive by srcs: the new
// directives take the place of the first old one (or go to the end of
// the file), and comments stay where they are.
func (c *ChronyConf) ReplaceSources(srcs []Source) error {
	for _, s := range srcs {
		if err := CheckSource(s); err != nil {
			return err
		}
	}
	at := -1
	var kept []chronyLine
	for _, l := range c.lines {
		if l.dir != nil && isSourceDirective(l.dir.Name) {
			if at < 0 {
				at = len(kept)
			}
			continue
		}
		kept = append(kept, l)
	}
	if at < 0 {
		at = len(kept)
	}
	if at == len(kept) && len(srcs) > 0 {
		c.noEOL = false
	}
	var add []chronyLine
	for _, s := range srcs {
		s.File, s.Line = "", 0
		add = append(add, newChronyLine(s.String(), 0))
	}
	c.lines = slices.Insert(kept, at, add...)
	return nil
}
