package zfs

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Binary size units as ZFS uses them: "4K" is 4096 bytes.
const (
	KiB uint64 = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
	PiB
	EiB
)

// ParseSize parses a size the way zfs and zpool accept it: a number with
// an optional binary suffix B, K, M, G, T, P or E (also KB, KiB, ...),
// such as "512", "4K", "1.5G" or "8589934592". Errors match ErrInvalid.
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, invalidf("empty size")
	}
	u := strings.ToUpper(t)
	u = strings.TrimSuffix(u, "IB")
	if len(u) > 1 && u[len(u)-1] == 'B' && !isDigit(u[len(u)-2]) {
		u = u[:len(u)-1]
	}
	mult := uint64(1)
	if n := len(u); n > 0 {
		if i := strings.IndexByte("BKMGTPE", u[n-1]); i >= 0 {
			mult = 1 << (10 * i)
			u = u[:n-1]
		}
	}
	if u == "" {
		return 0, invalidf("size %q: no number", s)
	}
	if v, err := strconv.ParseUint(u, 10, 64); err == nil {
		hi, lo := bits.Mul64(v, mult)
		if hi != 0 {
			return 0, invalidf("size %q: too large", s)
		}
		return lo, nil
	}
	f, err := strconv.ParseFloat(u, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, invalidf("size %q: not a number", s)
	}
	v := f * float64(mult)
	if v >= math.MaxUint64 {
		return 0, invalidf("size %q: too large", s)
	}
	return uint64(v), nil
}

// FormatSize writes a size with the largest binary suffix that divides it
// exactly ("4K", "1M", "10G"), or in bytes.
func FormatSize(n uint64) string {
	if n == 0 {
		return "0"
	}
	units := "KMGTPE"
	suffix := ""
	for i := 0; i < len(units) && n%1024 == 0; i++ {
		n /= 1024
		suffix = units[i : i+1]
	}
	return strconv.FormatUint(n, 10) + suffix
}

// HumanSize writes a size for people, rounded to three significant
// digits with a binary suffix ("1.50G", "931G", "512B").
func HumanSize(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	f := float64(n)
	i := -1
	for f >= 1024 && i < 5 {
		f /= 1024
		i++
	}
	u := "KMGTPE"[i : i+1]
	switch {
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64) + u
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64) + u
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + u
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
