package boot

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is matched by every *ParseError.
var ErrSyntax = errors.New("syntax error")

// ParseError reports a malformed line of a configuration file.
type ParseError struct {
	File string
	Line int // 1-based
	Col  int // 1-based, 0 if unknown
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) hold.
func (e *ParseError) Is(target error) bool { return target == ErrSyntax }

// GrubDefaults is /etc/default/grub or a /etc/default/grub.d/*.cfg
// snippet: shell variable assignments that update-grub sources. Parsing
// keeps every line, so Format returns an untouched file byte for byte and
// Set changes only the value it sets.
type GrubDefaults struct {
	Name  string // file name, for errors
	lines []grubLine
}

type grubLine struct {
	text string // the whole line(s), without the final newline
	nl   bool   // followed by a newline
	// For an assignment:
	key        string
	valueStart int // byte offsets of the value's source text in text
	valueEnd   int
	line       int
}

// ParseGrubDefaults parses a GRUB defaults file. Lines that are not
// assignments (comments, blank lines, shell code) are kept as they are; a
// quoted value may span lines. An unterminated quote is an error.
func ParseGrubDefaults(name string, b []byte) (*GrubDefaults, error) {
	g := &GrubDefaults{Name: name}
	s := string(b)
	lineNo := 1
	for len(s) > 0 {
		end, err := logicalLineEnd(s)
		if err != nil {
			return nil, &ParseError{File: name, Line: lineNo, Col: err.col + 1, Msg: err.msg}
		}
		text := s[:end]
		nl := end < len(s)
		if nl {
			s = s[end+1:]
		} else {
			s = ""
		}
		gl := grubLine{text: text, nl: nl, line: lineNo}
		parseAssignment(&gl)
		g.lines = append(g.lines, gl)
		lineNo += strings.Count(text, "\n") + 1
	}
	return g, nil
}

type quoteError struct {
	col int
	msg string
}

// logicalLineEnd returns the index of the newline that ends the logical
// line starting at s[0], following quotes across newlines.
func logicalLineEnd(s string) (int, *quoteError) {
	var q byte
	qpos := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == 0 && c == '#' && (i == 0 || isBlank(s[i-1])):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return len(s), nil
			}
			return i + j, nil
		case q == 0 && c == '\n':
			return i, nil
		case q == 0 && (c == '"' || c == '\''):
			q, qpos = c, i
		case q != 0 && c == q:
			q = 0
		case q != '\'' && c == '\\' && i+1 < len(s):
			i++
		}
	}
	if q != 0 {
		col := qpos
		if k := strings.LastIndexByte(s[:qpos], '\n'); k >= 0 {
			col = qpos - k - 1
		}
		return 0, &quoteError{col: col, msg: fmt.Sprintf("unterminated %c quote", q)}
	}
	return len(s), nil
}

// parseAssignment recognises `[export ]NAME=VALUE[ # comment]`.
func parseAssignment(gl *grubLine) {
	t := gl.text
	i := 0
	for i < len(t) && isBlank(t[i]) {
		i++
	}
	if strings.HasPrefix(t[i:], "export ") {
		i += len("export ")
		for i < len(t) && isBlank(t[i]) {
			i++
		}
	}
	k := i
	for k < len(t) && (t[k] == '_' || t[k] >= 'A' && t[k] <= 'Z' || t[k] >= 'a' && t[k] <= 'z' || k > i && t[k] >= '0' && t[k] <= '9') {
		k++
	}
	if k == i || k >= len(t) || t[k] != '=' {
		return
	}
	vs := k + 1
	ve := vs
	var q byte
	for ve < len(t) {
		c := t[ve]
		if q == 0 && isBlank(c) {
			break
		}
		switch {
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q != 0 && c == q:
			q = 0
		case q != '\'' && c == '\\':
			ve++
		}
		ve++
	}
	gl.key, gl.valueStart, gl.valueEnd = t[i:k], vs, min(ve, len(t))
}

// Format returns the file's text.
func (g *GrubDefaults) Format() []byte {
	var b strings.Builder
	for _, l := range g.lines {
		b.WriteString(l.text)
		if l.nl {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// Assignment is one `NAME=VALUE` line of a GRUB defaults file.
type Assignment struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Key  string `json:"key"`
	// Raw is the value as written, with its quotes.
	Raw string `json:"raw"`
}

// Assignments returns the assignments in order.
func (g *GrubDefaults) Assignments() []Assignment {
	var out []Assignment
	for _, l := range g.lines {
		if l.key != "" {
			out = append(out, Assignment{File: g.Name, Line: l.line, Key: l.key, Raw: l.text[l.valueStart:l.valueEnd]})
		}
	}
	return out
}

// Get returns the value of the last assignment to key in this file,
// unquoted, with $VAR references expanded from env (which may be nil).
func (g *GrubDefaults) Get(key string, env map[string]string) (string, bool) {
	for i := len(g.lines) - 1; i >= 0; i-- {
		if g.lines[i].key == key {
			l := g.lines[i]
			return shellValue(l.text[l.valueStart:l.valueEnd], env), true
		}
	}
	return "", false
}

// Eval applies the file's assignments to env in order (what sourcing it
// does to those variables) and returns env.
func (g *GrubDefaults) Eval(env map[string]string) map[string]string {
	if env == nil {
		env = map[string]string{}
	}
	for _, l := range g.lines {
		if l.key != "" {
			env[l.key] = shellValue(l.text[l.valueStart:l.valueEnd], env)
		}
	}
	return env
}

// Set replaces the value of the last assignment to key, keeping the line's
// indentation, `export` and trailing comment, or appends `KEY="value"`.
// The value is written in double quotes (single quotes if the old value
// used them and the new one allows it) and is not expanded.
func (g *GrubDefaults) Set(key, value string) {
	for i := len(g.lines) - 1; i >= 0; i-- {
		l := &g.lines[i]
		if l.key != key {
			continue
		}
		raw := l.text[l.valueStart:l.valueEnd]
		nv := quoteShell(value, strings.HasPrefix(raw, "'"))
		l.text = l.text[:l.valueStart] + nv + l.text[l.valueEnd:]
		l.valueEnd = l.valueStart + len(nv)
		return
	}
	if n := len(g.lines); n > 0 && !g.lines[n-1].nl {
		g.lines[n-1].nl = true
	}
	if n := len(g.lines); n > 0 && strings.HasSuffix(g.lines[n-1].text, `\`) {
		// A trailing backslash would continue onto the new line.
		g.lines = append(g.lines, grubLine{nl: true, line: g.lines[n-1].line + strings.Count(g.lines[n-1].text, "\n") + 1})
	}
	line := 1
	if n := len(g.lines); n > 0 {
		line = g.lines[n-1].line + strings.Count(g.lines[n-1].text, "\n") + 1
	}
	text := key + "=" + quoteShell(value, false)
	g.lines = append(g.lines, grubLine{text: text, nl: true, key: key, valueStart: len(key) + 1, valueEnd: len(text), line: line})
}

// setLine replaces the value source text of the assignment on line
// (as returned by Assignments) with value quoted as Set does, keeping
// $VAR references that the caller left in value.
func (g *GrubDefaults) setLine(line int, value string) bool {
	for i := range g.lines {
		l := &g.lines[i]
		if l.line != line || l.key == "" {
			continue
		}
		raw := l.text[l.valueStart:l.valueEnd]
		nv := quoteShellKeepVars(value, strings.HasPrefix(raw, "'"))
		l.text = l.text[:l.valueStart] + nv + l.text[l.valueEnd:]
		l.valueEnd = l.valueStart + len(nv)
		return true
	}
	return false
}

// rawValue returns the unquoted value of the assignment on line without
// expanding variables.
func (g *GrubDefaults) rawValue(line int) (string, bool) {
	for _, l := range g.lines {
		if l.line == line && l.key != "" {
			return shellValue(l.text[l.valueStart:l.valueEnd], nil, true), true
		}
	}
	return "", false
}

// shellValue unquotes a shell word. With env, $NAME and ${NAME} outside
// single quotes expand (unknown names to ""); keepVars leaves them as
// written.
func shellValue(raw string, env map[string]string, keepVars ...bool) string {
	keep := len(keepVars) > 0 && keepVars[0]
	var b strings.Builder
	var q byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q != 0 && c == q:
			q = 0
		case q == '\'':
			b.WriteByte(c)
		case c == '\\' && i+1 < len(raw):
			n := raw[i+1]
			if q == '"' && !strings.ContainsRune("$`\"\\\n", rune(n)) {
				b.WriteByte(c)
			}
			if n != '\n' {
				b.WriteByte(n)
			}
			i++
		case c == '$' && !keep:
			name, l := varRef(raw[i+1:])
			if l == 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(env[name])
			i += l
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// varRef parses NAME or {NAME} after a '$' and returns the name and the
// length consumed.
func varRef(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if j := strings.IndexByte(s, '}'); j > 1 {
			return s[1:j], j + 1
		}
		return "", 0
	}
	j := 0
	for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || j > 0 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	return s[:j], j
}

// quoteShell quotes value literally for a shell assignment.
func quoteShell(value string, single bool) string {
	if single && !strings.Contains(value, "'") {
		return "'" + value + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(value) + `"`
}

// quoteShellKeepVars quotes value in double quotes but leaves $ alone, so
// that references such as $GRUB_CMDLINE_LINUX_DEFAULT keep working.
func quoteShellKeepVars(value string, single bool) string {
	if single && !strings.Contains(value, "'") && !strings.Contains(value, "$") {
		return "'" + value + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`")
	return `"` + r.Replace(value) + `"`
}
