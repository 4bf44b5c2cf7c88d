package live

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hostadm/hostadm/sysctl"
)

// A hook line (post-up, pre-down, ...) runs in one of three ways: a
// kernel parameter written with echo or sysctl becomes a sysctl step,
// which is set only when its value differs and is restored by a rollback;
// a line of plain words runs as an argv without a shell; anything else
// (redirections, pipes, command lists, expansions) runs through /bin/sh -c
// and the step says why.
type hookAction struct {
	// sysctl: Param is the parameter in /proc/sys path form
	// ("net/ipv4/ip_forward") and Value its value.
	Param, Value string
	// Argv is the command when no shell is needed.
	Argv []string
	// Shell is the reason a shell is needed ("redirection"); the line
	// then runs as sh -c LINE.
	Shell string
}

// errEmptyCommand is returned for a blank hook line.
var errEmptyCommand = errors.New("empty command")

// parseHook classifies a hook command line.
func parseHook(line string) (hookAction, error) {
	words, reason, err := splitWords(line)
	if err != nil {
		return hookAction{}, err
	}
	if reason != "" {
		if p, v, ok := echoSysctl(line); ok {
			return hookAction{Param: p, Value: v}, nil
		}
		return hookAction{Shell: reason}, nil
	}
	if len(words) == 0 {
		return hookAction{}, errEmptyCommand
	}
	if p, v, ok := sysctlWrite(words); ok {
		return hookAction{Param: p, Value: v}, nil
	}
	return hookAction{Argv: words}, nil
}

// echoSysctl recognises "echo VALUE > /proc/sys/PATH" (the form the admin
// guide uses for ip_forward and proxy_arp).
func echoSysctl(line string) (param, value string, ok bool) {
	lhs, rhs, found := strings.Cut(line, ">")
	if !found || strings.ContainsAny(rhs, ">|&;<$`\\\"'*?[") || strings.ContainsAny(lhs, "<|&;$`\\\"'*?[") {
		return "", "", false
	}
	w := strings.Fields(lhs)
	target := strings.Fields(rhs)
	if len(w) != 2 || w[0] != "echo" || len(target) != 1 {
		return "", "", false
	}
	p := path.Clean(target[0])
	if !strings.HasPrefix(p, "/proc/sys/") {
		return "", "", false
	}
	return strings.TrimPrefix(p, "/proc/sys/"), w[1], true
}

// sysctlWrite recognises "sysctl -w NAME=VALUE", "sysctl -q -w ..." and
// "sysctl NAME=VALUE" with a single assignment.
func sysctlWrite(words []string) (param, value string, ok bool) {
	if len(words) < 2 || (words[0] != "sysctl" && words[0] != "/sbin/sysctl" && words[0] != "/usr/sbin/sysctl") {
		return "", "", false
	}
	var assign []string
	for _, w := range words[1:] {
		switch {
		case w == "-w" || w == "-q" || w == "-qw" || w == "-wq" || w == "--write" || w == "--quiet":
		case strings.HasPrefix(w, "-"):
			return "", "", false
		default:
			assign = append(assign, w)
		}
	}
	if len(assign) != 1 {
		return "", "", false
	}
	k, v, found := strings.Cut(assign[0], "=")
	if !found || k == "" {
		return "", "", false
	}
	return sysctl.Normalize(k), v, true
}

// splitWords splits a command line into words the way sh would for a
// simple command: blanks separate words, single quotes keep their text,
// double quotes keep theirs unless it holds $, ` or \, and a backslash
// outside quotes escapes the next character. When the line needs sh
// (operators, expansions, globs, comments, assignments), reason names
// the first such feature and words is nil.
func splitWords(line string) (words []string, reason string, err error) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\n':
			return nil, "command list", nil
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, "", fmt.Errorf("unterminated single quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, "", fmt.Errorf("unterminated double quote in %q", line)
			}
			s := line[i+1 : i+1+j]
			if strings.ContainsAny(s, "$`\\") {
				return nil, "expansion in double quotes", nil
			}
			cur.WriteString(s)
			inWord = true
			i += j + 1
		case c == '\\':
			if i+1 >= len(line) {
				return nil, "", fmt.Errorf("trailing backslash in %q", line)
			}
			cur.WriteByte(line[i+1])
			inWord = true
			i++
		case c == '>' || c == '<':
			return nil, "redirection", nil
		case c == '|':
			return nil, "pipe", nil
		case c == '&' || c == ';':
			return nil, "command list", nil
		case c == '$' || c == '`':
			return nil, "expansion", nil
		case c == '(' || c == ')':
			return nil, "subshell", nil
		case c == '*' || c == '?' || c == '[':
			return nil, "glob", nil
		case (c == '#' || c == '~') && !inWord:
			if c == '#' {
				return nil, "comment", nil
			}
			return nil, "tilde expansion", nil
		case c == '=' && len(words) == 0 && inWord && !strings.ContainsAny(cur.String(), "/"):
			return nil, "variable assignment", nil
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, "", nil
}
