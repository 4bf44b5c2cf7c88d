package zfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ZEDFile is the ZFS event daemon's configuration file.
const ZEDFile = "/etc/zfs/zed.d/zed.rc"

// ZEDKeys are the settings zed.rc documents, in its order.
var ZEDKeys = []string{
	"ZED_DEBUG_LOG", "ZED_EMAIL_ADDR", "ZED_EMAIL_PROG", "ZED_EMAIL_OPTS", "ZED_LOCKDIR",
	"ZED_NOTIFY_INTERVAL_SECS", "ZED_NOTIFY_VERBOSE", "ZED_NOTIFY_DATA",
	"ZED_PUSHBULLET_ACCESS_TOKEN", "ZED_PUSHBULLET_CHANNEL_TAG", "ZED_SLACK_WEBHOOK_URL",
	"ZED_PUSHOVER_TOKEN", "ZED_PUSHOVER_USER", "ZED_RUNDIR", "ZED_USE_ENCLOSURE_LEDS",
	"ZED_SCRUB_AFTER_RESILVER", "ZED_SYSLOG_PRIORITY", "ZED_SYSLOG_TAG",
	"ZED_SYSLOG_SUBCLASS_INCLUDE", "ZED_SYSLOG_SUBCLASS_EXCLUDE", "ZED_SYSLOG_DISPLAY_GUIDS",
	"ZED_SPARE_ON_CHECKSUM_ERRORS", "ZED_SPARE_ON_IO_ERRORS",
}

// ZEDConfig is a zed.rc file: shell variable assignments, comments and
// commented-out defaults, kept line by line so that formatting an
// untouched file gives back its bytes and an edit changes only its line.
type ZEDConfig struct {
	name  string
	lines []zedLine
	final bool
}

type zedLine struct {
	text string
	// For an assignment: the variable, its value, and whether the line
	// is a commented-out default ("#ZED_DEBUG_LOG=...").
	key       string
	value     string
	commented bool
}

// ParseZED parses zed.rc. Malformed assignments are errors with line and
// column.
func ParseZED(name string, data []byte) (*ZEDConfig, error) {
	z := &ZEDConfig{name: name}
	if len(data) == 0 {
		return z, nil
	}
	s := string(data)
	z.final = strings.HasSuffix(s, "\n")
	for i, text := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		l := zedLine{text: text}
		t := strings.TrimSpace(text)
		body, commented := t, false
		if c, ok := strings.CutPrefix(t, "#"); ok {
			body, commented = c, true
		}
		body = strings.TrimPrefix(body, "export ")
		if k, rest, ok := strings.Cut(body, "="); ok && isShellName(k) {
			v, err := shellValue(rest)
			switch {
			case err == nil:
				l.key, l.value, l.commented = k, v, commented
			case !commented:
				col := strings.Index(text, "=") + 2
				return nil, &ParseError{File: name, Line: i + 1, Col: col, Msg: fmt.Sprintf("%s: %v", k, err)}
			}
		} else if !commented && t != "" {
			return nil, &ParseError{File: name, Line: i + 1, Col: 1, Msg: "not a variable assignment"}
		}
		z.lines = append(z.lines, l)
	}
	return z, nil
}

func isShellName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// shellValue reads the value of an assignment the way sh does for the
// forms zed.rc uses: unquoted words, "double" and 'single' quotes, and a
// trailing comment.
func shellValue(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			rest := strings.TrimLeft(s[i:], " \t")
			if rest == "" || rest[0] == '#' {
				return b.String(), nil
			}
			return "", errors.New("unquoted space in value")
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", errors.New("unterminated single quote")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				} else if s[i] == '$' || s[i] == '`' {
					return "", errors.New("expansions are not supported")
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", errors.New("unterminated double quote")
			}
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '\\':
			return "", errors.New("a backslash at the end of the line continues it onto the next; not supported")
		case c == '$' || c == '`' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '<' || c == '>':
			return "", fmt.Errorf("shell syntax %q is not supported", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// quoteShell writes a value in double quotes, as zed.rc does.
func quoteShell(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if strings.IndexByte("\"\\$`", v[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Get returns a variable's value and its 1-based line; ok is false when
// it is unset or only a commented-out default. The last assignment wins,
// as in sh.
func (z *ZEDConfig) Get(key string) (value string, line int, ok bool) {
	for i, l := range z.lines {
		if l.key == key && !l.commented {
			value, line, ok = l.value, i+1, true
		}
	}
	return value, line, ok
}

// Default returns the commented-out default of a variable, if any.
func (z *ZEDConfig) Default(key string) (string, bool) {
	for _, l := range z.lines {
		if l.key == key && l.commented {
			return l.value, true
		}
	}
	return "", false
}

// Values returns every active variable.
func (z *ZEDConfig) Values() map[string]string {
	m := map[string]string{}
	for _, l := range z.lines {
		if l.key != "" && !l.commented {
			m[l.key] = l.value
		}
	}
	return m
}

// Set assigns a variable: in place of its active assignment, else right
// after its commented-out default, else at the end of the file.
func (z *ZEDConfig) Set(key, value string) error {
	if !isShellName(key) || !strings.HasPrefix(key, "ZED_") {
		return invalidf("zed.rc: %q is not a ZED_ variable", key)
	}
	if strings.ContainsAny(value, "\n\x00") {
		return invalidf("zed.rc: %s: value contains a newline", key)
	}
	nl := zedLine{text: key + "=" + quoteShell(value), key: key, value: value}
	last, def := -1, -1
	for i, l := range z.lines {
		if l.key == key {
			if l.commented {
				def = i
			} else {
				last = i
			}
		}
	}
	switch {
	case last >= 0:
		z.lines[last] = nl
	case def >= 0:
		z.lines = append(z.lines[:def+1], append([]zedLine{nl}, z.lines[def+1:]...)...)
	default:
		z.lines = append(z.lines, nl)
		z.final = true
	}
	return nil
}

// Unset comments out every active assignment of a variable, which is how
// zed.rc disables a setting, and reports whether there was one.
func (z *ZEDConfig) Unset(key string) bool {
	found := false
	for i, l := range z.lines {
		if l.key == key && !l.commented {
			z.lines[i] = zedLine{text: "#" + l.text, key: key, value: l.value, commented: true}
			found = true
		}
	}
	return found
}

// Format returns the file's text.
func (z *ZEDConfig) Format() []byte {
	var b bytes.Buffer
	for i, l := range z.lines {
		b.WriteString(l.text)
		if i < len(z.lines)-1 || z.final {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// ZED reads /etc/zfs/zed.d/zed.rc.
func (c *Client) ZED() (*ZEDConfig, error) {
	data, err := c.fs.ReadFile(ZEDFile)
	if err != nil {
		return nil, err
	}
	return ParseZED(ZEDFile, data)
}

// UpdateZED edits zed.rc under a lock and writes it atomically, refusing
// to overwrite a concurrent edit. zed reads the file when it starts:
// restart zfs-zed for changes to take effect.
func (c *Client) UpdateZED(ctx context.Context, edit func(*ZEDConfig) error) error {
	return c.editFile(ctx, ZEDFile, func(data []byte) ([]byte, error) {
		if data == nil {
			return nil, fmt.Errorf("zfs: %s: %w", ZEDFile, fs.ErrNotExist)
		}
		z, err := ParseZED(ZEDFile, data)
		if err != nil {
			return nil, err
		}
		if err := edit(z); err != nil {
			return nil, err
		}
		return z.Format(), nil
	})
}
