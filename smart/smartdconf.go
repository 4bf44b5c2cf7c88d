package smart

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// SmartdConfPath is smartd's configuration file.
const SmartdConfPath = "/etc/smartd.conf"

const smartdLock = "/run/lock/hostadm/smartd.conf.lock"

// ErrSmartdSyntax is matched by errors for malformed smartd.conf lines.
var ErrSmartdSyntax = errors.New("smartd.conf syntax error")

// SmartdParseError reports a bad line of smartd.conf.
type SmartdParseError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *SmartdParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSmartdSyntax) hold.
func (e *SmartdParseError) Unwrap() error { return ErrSmartdSyntax }

// Directive is one option of a smartd.conf entry ("-m root", "-a").
type Directive struct {
	Name string `json:"name"`          // "-m"
	Arg  string `json:"arg,omitempty"` // "root"; "exec /usr/bin/x" for -M exec
}

// String returns the directive as it is written.
func (d Directive) String() string {
	if d.Arg == "" {
		return d.Name
	}
	return d.Name + " " + d.Arg
}

// smartdArgs lists the directives that take an argument (smartd.conf(5)).
var smartdArgs = map[string]bool{
	"-d": true, "-T": true, "-o": true, "-S": true, "-n": true, "-s": true, "-m": true, "-M": true,
	"-C": true, "-U": true, "-W": true, "-r": true, "-R": true, "-i": true, "-I": true, "-l": true,
	"-e": true, "-v": true, "-P": true, "-F": true, "-c": true,
}

// monitorDirectives are the ones whose absence makes smartd assume -a.
var monitorDirectives = []string{"-a", "-H", "-f", "-t", "-l", "-C", "-U", "-p", "-u", "-r", "-R", "-i", "-I", "-W"}

// SmartdEntry is one device line (with its continuation lines).
type SmartdEntry struct {
	// Device is a device name, DEVICESCAN or DEFAULT.
	Device     string      `json:"device"`
	Directives []Directive `json:"directives"`
	// Line is the entry's first line number (1-based) in the file it was
	// parsed from; zero for a new entry.
	Line int `json:"line,omitempty"`
}

// Get returns the argument of the last directive named name.
func (e *SmartdEntry) Get(name string) (string, bool) {
	v, ok := "", false
	for _, d := range e.Directives {
		if d.Name == name {
			v, ok = d.Arg, true
		}
	}
	return v, ok
}

// Has reports whether the entry has the directive.
func (e *SmartdEntry) Has(name string) bool { _, ok := e.Get(name); return ok }

// MonitorsAll reports whether smartd checks everything -a stands for:
// -a given, or no monitoring directive at all (smartd then assumes -a).
func (e *SmartdEntry) MonitorsAll() bool {
	if e.Has("-a") {
		return true
	}
	return !slices.ContainsFunc(e.Directives, func(d Directive) bool { return slices.Contains(monitorDirectives, d.Name) })
}

// Mail returns the -m address list ("root"), "" when smartd sends no mail.
func (e *SmartdEntry) Mail() string { v, _ := e.Get("-m"); return v }

// Schedule returns the -s self-test schedule regular expression.
func (e *SmartdEntry) Schedule() string { v, _ := e.Get("-s"); return v }

// String formats the entry as one line.
func (e *SmartdEntry) String() string {
	parts := []string{e.Device}
	for _, d := range e.Directives {
		parts = append(parts, d.String())
	}
	return strings.Join(parts, " ")
}

// smartdBlock is a run of physical lines: an entry or comments/blanks.
type smartdBlock struct {
	text  string // verbatim, including newlines
	entry *SmartdEntry
	orig  string // the entry's String() when parsed, to detect edits
}

// SmartdConf is smartd.conf kept block by block, so that formatting an
// untouched file gives back the same bytes and an edit rewrites only the
// entry it changes.
type SmartdConf struct {
	name   string
	blocks []*smartdBlock
}

// ParseSmartdConf parses smartd.conf. name is used in errors.
func ParseSmartdConf(name string, data []byte) (*SmartdConf, error) {
	c := &SmartdConf{name: name}
	lines := slices.Collect(strings.Lines(string(data)))
	for i := 0; i < len(lines); {
		start := i
		var logical strings.Builder
		// Join continuation lines (a backslash right before the newline).
		for {
			l := strings.TrimRight(lines[i], "\n")
			i++
			body, _, _ := strings.Cut(l, "#")
			if c, ok := cutContinuation(body); ok && i < len(lines) {
				logical.WriteString(c + " ")
				continue
			}
			// A backslash on the last line continues into nothing.
			c, _ := cutContinuation(body)
			logical.WriteString(c)
			break
		}
		text := strings.Join(lines[start:i], "")
		fields := strings.Fields(logical.String())
		if len(fields) == 0 {
			c.blocks = append(c.blocks, &smartdBlock{text: text})
			continue
		}
		e, err := parseSmartdEntry(fields)
		if err != nil {
			col := strings.Index(lines[start], strings.TrimSpace(lines[start])) + 1
			return nil, &SmartdParseError{Path: name, Line: start + 1, Col: col, Msg: err.Error()}
		}
		e.Line = start + 1
		c.blocks = append(c.blocks, &smartdBlock{text: text, entry: e, orig: e.String()})
	}
	return c, nil
}

func parseSmartdEntry(f []string) (*SmartdEntry, error) {
	e := &SmartdEntry{Device: f[0]}
	if strings.HasPrefix(e.Device, "-") {
		return nil, fmt.Errorf("line starts with directive %q, want a device name, DEVICESCAN or DEFAULT", e.Device)
	}
	for i := 1; i < len(f); i++ {
		tok := f[i]
		if !strings.HasPrefix(tok, "-") || len(tok) < 2 {
			return nil, fmt.Errorf("%s: %q is not a directive", e.Device, tok)
		}
		d := Directive{Name: tok}
		// Directives that carry their argument attached ("-Hmask") or are
		// unknown are kept as the single token written.
		if smartdArgs[tok] {
			if i+1 >= len(f) {
				return nil, fmt.Errorf("%s: directive %s needs an argument", e.Device, tok)
			}
			i++
			d.Arg = f[i]
			if tok == "-M" && d.Arg == "exec" {
				if i+1 >= len(f) {
					return nil, fmt.Errorf("%s: -M exec needs a program", e.Device)
				}
				i++
				d.Arg += " " + f[i]
			}
		}
		e.Directives = append(e.Directives, d)
	}
	return e, nil
}

// continues reports whether text's last line ends in a continuation
// backslash, which would join the next line to it.
func continues(text string) bool {
	text = strings.TrimSuffix(text, "\n")
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	}
	body, _, _ := strings.Cut(text, "#")
	_, ok := cutContinuation(body)
	return ok
}

// cutContinuation removes the backslash that continues a line, as smartd
// reads it: the last one, followed by blanks only (comments are cut off
// before).
func cutContinuation(body string) (string, bool) {
	i := strings.LastIndexByte(body, '\\')
	if i < 0 || strings.Trim(body[i+1:], " \t") != "" {
		return body, false
	}
	return body[:i], true
}

// insert puts a new block at index i, after a blank line when the block
// before it ends in a continuation backslash.
func (c *SmartdConf) insert(i int, bl *smartdBlock) {
	if i > 0 && continues(c.blocks[i-1].text) {
		c.blocks = slices.Insert(c.blocks, i, &smartdBlock{text: "\n"})
		i++
	}
	c.blocks = slices.Insert(c.blocks, i, bl)
}

// Format returns the file's text.
func (c *SmartdConf) Format() []byte {
	var b strings.Builder
	for i, bl := range c.blocks {
		if bl.entry != nil && bl.entry.String() != bl.orig {
			b.WriteString(bl.entry.String())
			b.WriteByte('\n')
			continue
		}
		b.WriteString(bl.text)
		if i < len(c.blocks)-1 && !strings.HasSuffix(bl.text, "\n") {
			b.WriteByte('\n') // a block moved off the end of the file
		}
	}
	return []byte(b.String())
}

// Entries returns the device entries in file order. Changing an entry
// changes the file.
func (c *SmartdConf) Entries() []*SmartdEntry {
	var out []*SmartdEntry
	for _, bl := range c.blocks {
		if bl.entry != nil {
			out = append(out, bl.entry)
		}
	}
	return out
}

// Entry returns the first entry for device (or DEVICESCAN, DEFAULT).
func (c *SmartdConf) Entry(device string) *SmartdEntry {
	for _, e := range c.Entries() {
		if e.Device == device {
			return e
		}
	}
	return nil
}

// Scan reports whether smartd scans for devices (a DEVICESCAN entry) and
// returns the entry. smartd ignores lines after DEVICESCAN.
func (c *SmartdConf) Scan() (*SmartdEntry, bool) {
	e := c.Entry("DEVICESCAN")
	return e, e != nil
}

// Set replaces the directives of device's entry, or appends a new entry.
// Entries for single devices go before a DEVICESCAN line, because smartd
// ignores the lines after it.
func (c *SmartdConf) Set(device string, directives []Directive) error {
	for _, d := range directives {
		if !strings.HasPrefix(d.Name, "-") || strings.ContainsAny(d.Name+d.Arg, "#\n\\") {
			return fmt.Errorf("smartd.conf: bad directive %q", d.String())
		}
	}
	if device == "" || strings.ContainsAny(device, " \t#\n\\") || strings.HasPrefix(device, "-") {
		return fmt.Errorf("smartd.conf: bad device name %q", device)
	}
	if e := c.Entry(device); e != nil {
		e.Directives = slices.Clone(directives)
		return nil
	}
	e := &SmartdEntry{Device: device, Directives: slices.Clone(directives)}
	bl := &smartdBlock{entry: e}
	if device != "DEVICESCAN" {
		for i, b := range c.blocks {
			if b.entry != nil && b.entry.Device == "DEVICESCAN" {
				// Go right after the last entry before it, keeping the
				// comments and blank lines that lead into DEVICESCAN.
				j := i
				for j > 0 && c.blocks[j-1].entry == nil {
					j--
				}
				if j == 0 {
					j = i
				}
				c.insert(j, bl)
				return nil
			}
		}
	}
	c.insert(len(c.blocks), bl)
	return nil
}

// Remove deletes every entry for device; it reports whether there was one.
func (c *SmartdConf) Remove(device string) bool {
	n := len(c.blocks)
	c.blocks = slices.DeleteFunc(c.blocks, func(b *smartdBlock) bool { return b.entry != nil && b.entry.Device == device })
	return len(c.blocks) != n
}

// SmartdEnabled reports whether smartd starts at boot: Debian's
// smartmontools.service (alias smartd.service) linked into
// multi-user.target.wants. It works on any root.
func (c *Client) SmartdEnabled() bool {
	for _, u := range []string{"smartmontools.service", "smartd.service"} {
		if c.fs.Exists("/etc/systemd/system/multi-user.target.wants/" + u) {
			return true
		}
	}
	return false
}

// SmartdConf reads smartd.conf; a missing file gives an empty one and the
// zero digest.
func (c *Client) SmartdConf() (*SmartdConf, rootfs.Digest, error) {
	data, d, err := c.fs.ReadFileDigest(SmartdConfPath)
	if errors.Is(err, fs.ErrNotExist) {
		return &SmartdConf{name: SmartdConfPath}, rootfs.Digest{}, nil
	}
	if err != nil {
		return nil, d, err
	}
	conf, err := ParseSmartdConf(SmartdConfPath, data)
	return conf, d, err
}

// EditSmartdConf reads smartd.conf under a lock, lets fn change it and
// writes it back atomically when the text changed; a concurrent writer
// that does not take the lock makes it fail with rootfs.ErrConflict.
// smartd reads the file at start and on SIGHUP (systemctl reload smartd).
func (c *Client) EditSmartdConf(ctx context.Context, fn func(*SmartdConf) error) error {
	return rootfs.EditParsed(ctx, c.fs, SmartdConfPath, &rootfs.EditOptions{Lock: smartdLock}, ParseSmartdConf, fn)
}
