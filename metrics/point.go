package metrics

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadPoint is matched by errors for points that cannot be encoded: no
// measurement, no fields, a line break in a name.
var ErrBadPoint = errors.New("bad metric point")

// Tag is one tag of a point.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Field is one field of a point. Value is a float64, int64, uint64,
// int, bool or string; floats that are NaN or infinite are dropped when
// encoding, as neither Graphite nor InfluxDB can store them.
type Field struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Point is one measurement at one time: the unit both senders export.
//
// Points follow Proxmox VE's layout: Tags start with object (nodes,
// qemu, lxc, storages) and host, an instance tag names the device of
// per-device measurements (a NIC, a disk), and Measurement is the
// statistic group (cpustat, memory, nics, blockstat, ...) or "system"
// for top-level values. Graphite paths are built from the same parts:
// PATH.object.host.measurement[.instance].field.
type Point struct {
	Measurement string    `json:"measurement"`
	Tags        []Tag     `json:"tags,omitempty"`
	Fields      []Field   `json:"fields"`
	Time        time.Time `json:"time"`
}

// Tag returns a tag's value.
func (p *Point) Tag(key string) (string, bool) {
	for _, t := range p.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// numeric returns a field's value as a number, and false for values
// that are not numbers or not finite.
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		f := float64(x)
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}

// AppendLine appends p in InfluxDB line protocol, with a nanosecond
// timestamp and a final newline. NaN and infinite floats are dropped;
// a point left without fields appends nothing and returns (dst, nil).
// Names are escaped as the line protocol reference says: commas and
// spaces in the measurement; commas, equals signs and spaces in tag
// keys, tag values and field keys; double quotes and backslashes in
// string values. A backslash that would otherwise read as an escape is
// doubled.
func AppendLine(dst []byte, p Point) ([]byte, error) {
	if p.Measurement == "" || strings.HasPrefix(p.Measurement, "#") {
		return dst, fmt.Errorf("%w: measurement %q", ErrBadPoint, p.Measurement)
	}
	for _, s := range []string{p.Measurement} {
		if strings.ContainsAny(s, "\n\r") {
			return dst, fmt.Errorf("%w: line break in measurement", ErrBadPoint)
		}
	}
	start := len(dst)
	dst = appendEscaped(dst, p.Measurement, ", ")
	for _, t := range p.Tags {
		if t.Key == "" || t.Value == "" {
			continue // InfluxDB drops empty tags
		}
		if strings.ContainsAny(t.Key+t.Value, "\n\r") {
			return dst[:start], fmt.Errorf("%w: line break in tag %q", ErrBadPoint, t.Key)
		}
		dst = append(dst, ',')
		dst = appendEscaped(dst, t.Key, ",= ")
		dst = append(dst, '=')
		dst = appendEscaped(dst, t.Value, ",= ")
	}
	n := 0
	for _, f := range p.Fields {
		if f.Key == "" || strings.ContainsAny(f.Key, "\n\r") {
			return dst[:start], fmt.Errorf("%w: field key %q", ErrBadPoint, f.Key)
		}
		mark := len(dst)
		if n == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		dst = appendEscaped(dst, f.Key, ",= ")
		dst = append(dst, '=')
		switch v := f.Value.(type) {
		case float64, float32:
			x, ok := numeric(v)
			if !ok {
				dst = dst[:mark]
				continue
			}
			dst = appendFloat(dst, x)
		case int:
			dst = strconv.AppendInt(dst, int64(v), 10)
			dst = append(dst, 'i')
		case int32:
			dst = strconv.AppendInt(dst, int64(v), 10)
			dst = append(dst, 'i')
		case int64:
			dst = strconv.AppendInt(dst, v, 10)
			dst = append(dst, 'i')
		case uint32:
			dst = strconv.AppendUint(dst, uint64(v), 10)
			dst = append(dst, 'i')
		case uint64:
			dst = strconv.AppendUint(dst, v, 10)
			if v > math.MaxInt64 {
				dst = append(dst, 'u')
			} else {
				dst = append(dst, 'i')
			}
		case bool:
			dst = strconv.AppendBool(dst, v)
		case string:
			if strings.ContainsAny(v, "\n\r") {
				return dst[:start], fmt.Errorf("%w: line break in field %q", ErrBadPoint, f.Key)
			}
			dst = append(dst, '"')
			for i := 0; i < len(v); i++ {
				if v[i] == '"' || v[i] == '\\' {
					dst = append(dst, '\\')
				}
				dst = append(dst, v[i])
			}
			dst = append(dst, '"')
		default:
			return dst[:start], fmt.Errorf("%w: field %q has type %T", ErrBadPoint, f.Key, f.Value)
		}
		n++
	}
	if n == 0 {
		return dst[:start], nil
	}
	if !p.Time.IsZero() {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, p.Time.UnixNano(), 10)
	}
	return append(dst, '\n'), nil
}

// appendEscaped escapes the characters in special with a backslash,
// and doubles a backslash that is followed by a special character, by
// another backslash or by the end of the name, so that it reads as
// itself.
func appendEscaped(dst []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(special, c) >= 0:
			dst = append(dst, '\\', c)
		case c == '\\' && (i+1 == len(s) || s[i+1] == '\\' || strings.IndexByte(special, s[i+1]) >= 0):
			dst = append(dst, '\\', '\\')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// GraphitePath returns the dotted Graphite path of one field of p below
// prefix: prefix.object.host.measurement[.instance].field, as Proxmox VE
// writes them ("proxmox.nodes.pve1.cpustat.user"). Every part has dots
// replaced by "-" and whitespace by "_", so that it stays one path
// component.
func GraphitePath(prefix string, p *Point, field string) string {
	var parts []string
	if prefix != "" {
		parts = append(parts, graphiteComponent(prefix, true))
	}
	instance := ""
	for _, t := range p.Tags {
		if t.Key == "instance" {
			instance = t.Value
			continue
		}
		if t.Value != "" {
			parts = append(parts, graphiteComponent(t.Value, false))
		}
	}
	if p.Measurement != "" && p.Measurement != "system" {
		parts = append(parts, graphiteComponent(p.Measurement, false))
	}
	if instance != "" {
		parts = append(parts, graphiteComponent(instance, false))
	}
	parts = append(parts, graphiteComponent(field, false))
	return strings.Join(parts, ".")
}

func graphiteComponent(s string, keepDots bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.' && !keepDots:
			return '-'
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r < 0x20 || r == 0x7f:
			return '_'
		}
		return r
	}, s)
}

// AppendGraphite appends p's numeric fields in Graphite's plaintext
// protocol, one "path value timestamp" line each (seconds since the
// epoch). Fields that are not numbers, NaN or infinite are dropped.
func AppendGraphite(dst []byte, prefix string, p Point) []byte {
	ts := p.Time.Unix()
	for _, f := range p.Fields {
		if _, isBool := f.Value.(bool); isBool {
			continue
		}
		v, ok := numeric(f.Value)
		if !ok {
			continue
		}
		dst = append(dst, GraphitePath(prefix, &p, f.Key)...)
		dst = append(dst, ' ')
		switch x := f.Value.(type) {
		case int64:
			dst = strconv.AppendInt(dst, x, 10)
		case int:
			dst = strconv.AppendInt(dst, int64(x), 10)
		case uint64:
			dst = strconv.AppendUint(dst, x, 10)
		default:
			dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
		}
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, ts, 10)
		dst = append(dst, '\n')
	}
	return dst
}

// appendFloat writes x in plain decimal notation where that is short
// (1e-4 <= |x| < 1e21, the range of whole byte counters) and in
// exponent notation otherwise; both are valid line protocol floats.
func appendFloat(dst []byte, x float64) []byte {
	if a := math.Abs(x); a == 0 || (a >= 1e-4 && a < 1e21) {
		return strconv.AppendFloat(dst, x, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, x, 'g', -1, 64)
}
