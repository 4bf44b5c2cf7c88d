package metrics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrLineProtocol is matched by errors of ParseLines.
var ErrLineProtocol = errors.New("line protocol syntax error")

// ParseLines decodes InfluxDB line protocol as the v2 reference defines
// it: "measurement[,tag=value...] field=value[,field=value...]
// [timestamp]" lines, "#" comment lines and blank lines. Timestamps are
// read as nanoseconds; a line without one gets the zero time. Integers
// ("1i") decode as int64, unsigned integers ("1u") as uint64, floats
// as float64, booleans as bool and quoted strings as string. It is the
// oracle the encoder is tested against, and serves to check payloads.
func ParseLines(data []byte) ([]Point, error) {
	var out []Point
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			continue
		}
		p, err := parseLine(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

type lpScanner struct {
	s string
	i int
}

func (sc *lpScanner) errorf(format string, a ...any) error {
	return fmt.Errorf("%w: column %d: %s", ErrLineProtocol, sc.i+1, fmt.Sprintf(format, a...))
}

// name reads an escaped name up to one of the stop bytes; escapable are
// the bytes a backslash may escape (besides the backslash itself).
func (sc *lpScanner) name(stop, escapable string) string {
	var b strings.Builder
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if c == '\\' && sc.i+1 < len(sc.s) && (sc.s[sc.i+1] == '\\' || strings.IndexByte(escapable, sc.s[sc.i+1]) >= 0) {
			b.WriteByte(sc.s[sc.i+1])
			sc.i += 2
			continue
		}
		if strings.IndexByte(stop, c) >= 0 {
			break
		}
		b.WriteByte(c)
		sc.i++
	}
	return b.String()
}

func parseLine(line string) (Point, error) {
	sc := &lpScanner{s: line}
	var p Point
	p.Measurement = sc.name(", ", ", ")
	if p.Measurement == "" {
		return p, sc.errorf("missing measurement")
	}
	for sc.i < len(sc.s) && sc.s[sc.i] == ',' {
		sc.i++
		k := sc.name("=, ", ",= ")
		if k == "" || sc.i >= len(sc.s) || sc.s[sc.i] != '=' {
			return p, sc.errorf("bad tag")
		}
		sc.i++
		v := sc.name(", ", ",= ")
		if v == "" {
			return p, sc.errorf("empty tag value for %q", k)
		}
		p.Tags = append(p.Tags, Tag{Key: k, Value: v})
	}
	if sc.i >= len(sc.s) || sc.s[sc.i] != ' ' {
		return p, sc.errorf("missing field set")
	}
	sc.i++
	for {
		k := sc.name("=, ", ",= ")
		if k == "" || sc.i >= len(sc.s) || sc.s[sc.i] != '=' {
			return p, sc.errorf("bad field")
		}
		sc.i++
		v, err := sc.fieldValue()
		if err != nil {
			return p, err
		}
		p.Fields = append(p.Fields, Field{Key: k, Value: v})
		if sc.i < len(sc.s) && sc.s[sc.i] == ',' {
			sc.i++
			continue
		}
		break
	}
	if sc.i < len(sc.s) {
		if sc.s[sc.i] != ' ' {
			return p, sc.errorf("unexpected %q", sc.s[sc.i])
		}
		sc.i++
		ts := sc.s[sc.i:]
		ns, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return p, sc.errorf("bad timestamp %q", ts)
		}
		p.Time = time.Unix(0, ns).UTC()
	}
	return p, nil
}

func (sc *lpScanner) fieldValue() (any, error) {
	if sc.i < len(sc.s) && sc.s[sc.i] == '"' {
		sc.i++
		var b strings.Builder
		for sc.i < len(sc.s) {
			c := sc.s[sc.i]
			if c == '\\' && sc.i+1 < len(sc.s) && (sc.s[sc.i+1] == '"' || sc.s[sc.i+1] == '\\') {
				b.WriteByte(sc.s[sc.i+1])
				sc.i += 2
				continue
			}
			if c == '"' {
				sc.i++
				return b.String(), nil
			}
			b.WriteByte(c)
			sc.i++
		}
		return nil, sc.errorf("unterminated string")
	}
	start := sc.i
	for sc.i < len(sc.s) && sc.s[sc.i] != ',' && sc.s[sc.i] != ' ' {
		sc.i++
	}
	raw := sc.s[start:sc.i]
	switch raw {
	case "t", "T", "true", "True", "TRUE":
		return true, nil
	case "f", "F", "false", "False", "FALSE":
		return false, nil
	case "":
		return nil, sc.errorf("empty field value")
	}
	switch raw[len(raw)-1] {
	case 'i':
		n, err := strconv.ParseInt(raw[:len(raw)-1], 10, 64)
		if err != nil {
			return nil, sc.errorf("bad integer %q", raw)
		}
		return n, nil
	case 'u':
		n, err := strconv.ParseUint(raw[:len(raw)-1], 10, 64)
		if err != nil {
			return nil, sc.errorf("bad unsigned integer %q", raw)
		}
		return n, nil
	}
	if strings.ContainsAny(raw, "xXpP_") || strings.EqualFold(raw, "nan") || strings.Contains(strings.ToLower(raw), "inf") {
		return nil, sc.errorf("bad float %q", raw)
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return nil, sc.errorf("bad float %q", raw)
	}
	return f, nil
}
