package apt

import (
	"fmt"
	"path"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// APT configuration locations, below the root.
const (
	AptConf    = "/etc/apt/apt.conf"
	AptConfDir = "/etc/apt/apt.conf.d"
)

// ParseAptConf parses apt.conf(5) syntax into a map from lower-case
// "Scope::Name" keys to values: scalar settings only (list items are
// joined under "key::" in order). It understands "//", "#" and "/* */"
// comments, nested scopes, "Scope::Name value;" forms and "#clear"; it
// skips "#include" (APT reads the included file; hostadm needs only the
// settings of the standard files).
func ParseAptConf(name string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	toks, err := aptConfTokens(name, string(data))
	if err != nil {
		return nil, err
	}
	var stack []string
	key := func(k string) string {
		return strings.ToLower(strings.Join(append(append([]string(nil), stack...), k), "::"))
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.text == "}":
			if len(stack) == 0 {
				return nil, &ParseError{Path: name, Line: t.line, Err: fmt.Errorf("%w: unbalanced }", ErrMalformed)}
			}
			stack = stack[:len(stack)-1]
			if i+1 < len(toks) && toks[i+1].text == ";" {
				i++
			}
		case t.text == ";":
		case t.text == "#clear":
			for i+1 < len(toks) && toks[i+1].text != ";" {
				i++
				prefix := strings.ToLower(toks[i].text)
				for k := range out {
					if k == prefix || strings.HasPrefix(k, prefix+"::") {
						delete(out, k)
					}
				}
			}
		case t.text == "#include":
			for i+1 < len(toks) && toks[i+1].text != ";" {
				i++
			}
		case i+1 < len(toks) && toks[i+1].text == "{":
			stack = append(stack, t.text)
			i++
		case t.quoted:
			// A list item: "value";
			out[key("")] = joinList(out[key("")], t.text)
		case i+1 < len(toks) && toks[i+1].text != ";" && toks[i+1].text != "}":
			out[key(t.text)] = toks[i+1].text
			i++
		default:
			out[key(t.text)] = ""
		}
	}
	if len(stack) > 0 {
		return nil, &ParseError{Path: name, Err: fmt.Errorf("%w: unclosed scope %s", ErrMalformed, strings.Join(stack, "::"))}
	}
	return out, nil
}

func joinList(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

type aptConfToken struct {
	text   string
	quoted bool
	line   int
}

func aptConfTokens(name, s string) ([]aptConfToken, error) {
	var out []aptConfToken
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "//"), c == '#' && !strings.HasPrefix(s[i:], "#clear") && !strings.HasPrefix(s[i:], "#include"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, &ParseError{Path: name, Line: line, Err: fmt.Errorf("%w: unterminated comment", ErrMalformed)}
			}
			line += strings.Count(s[i:i+2+end], "\n")
			i += end + 4
		case c == '{' || c == '}' || c == ';':
			out = append(out, aptConfToken{text: string(c), line: line})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, &ParseError{Path: name, Line: line, Err: fmt.Errorf("%w: unterminated string", ErrMalformed)}
			}
			out = append(out, aptConfToken{text: s[i+1 : i+1+end], quoted: true, line: line})
			line += strings.Count(s[i+1:i+1+end], "\n")
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};\"", rune(s[j])) {
				j++
			}
			out = append(out, aptConfToken{text: s[i:j], line: line})
			i = j
		}
	}
	// A quoted value directly after a name is the name's value, not a
	// list item: fold "Name" "value" into one pair.
	var folded []aptConfToken
	for i := 0; i < len(out); i++ {
		t := out[i]
		if !t.quoted && t.text != "{" && t.text != "}" && t.text != ";" && i+1 < len(out) && out[i+1].quoted {
			folded = append(folded, t, aptConfToken{text: out[i+1].text, line: out[i+1].line})
			i++
			continue
		}
		folded = append(folded, t)
	}
	return folded, nil
}

// readAptConf reads apt.conf and the files of apt.conf.d APT reads (no
// extension or ".conf", run-parts names), in APT's order; later settings
// win.
func readAptConf(fsys *rootfs.FS) (map[string]string, error) {
	conf := map[string]string{}
	var names []string
	if ents, err := fsys.ReadDir(AptConfDir); err == nil {
		for _, de := range ents {
			if ok, _ := partName(de.Name(), []string{"conf"}, true); ok && !de.IsDir() {
				names = append(names, path.Join(AptConfDir, de.Name()))
			}
		}
	}
	names = append(names, AptConf) // apt.conf is read after the parts
	for _, n := range names {
		data, err := fsys.ReadFile(n)
		if err != nil {
			continue
		}
		c, err := ParseAptConf(n, data)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			conf[k] = v
		}
	}
	return conf, nil
}
