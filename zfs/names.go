package zfs

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest pool or dataset name ZFS accepts.
const MaxNameLen = 255

// reservedPrefixes are words a pool name must not begin with, because
// zpool create would read them as vdev types.
var reservedPrefixes = []string{"mirror", "raidz", "draid", "spare"}

// ValidatePoolName checks a pool name against the rules of ZFS: it
// begins with a letter, contains only alphanumeric characters and
// "-", "_", ".", ":" or " ", does not begin with mirror, raidz, draid
// or spare, and is not "log". Errors match ErrInvalid.
func ValidatePoolName(name string) error {
	switch {
	case name == "":
		return invalidf("empty pool name")
	case len(name) > MaxNameLen:
		return invalidf("pool name %.20q...: longer than %d characters", name, MaxNameLen)
	case !isLetter(name[0]):
		return invalidf("pool name %q: must begin with a letter", name)
	case name == "log":
		return invalidf("pool name %q: reserved", name)
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			return invalidf("pool name %q: must not begin with %q", name, p)
		}
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameChar(r) }); i >= 0 {
		return invalidf("pool name %q: invalid character %q", name, name[i:i+1])
	}
	return nil
}

// ValidateDatasetName checks a file system or volume name
// ("pool/parent/child"), a snapshot ("pool/fs@snap") or a bookmark
// ("pool/fs#mark"). Errors match ErrInvalid.
func ValidateDatasetName(name string) error {
	if name == "" {
		return invalidf("empty dataset name")
	}
	if len(name) > MaxNameLen {
		return invalidf("dataset name %.20q...: longer than %d characters", name, MaxNameLen)
	}
	base, suffix := name, ""
	if i := strings.IndexAny(name, "@#"); i >= 0 {
		base, suffix = name[:i], name[i+1:]
		kind := "snapshot"
		if name[i] == '#' {
			kind = "bookmark"
		}
		if suffix == "" {
			return invalidf("dataset name %q: empty %s name", name, kind)
		}
		if err := checkComponent(name, suffix); err != nil {
			return err
		}
	}
	parts := strings.Split(base, "/")
	if err := ValidatePoolName(parts[0]); err != nil {
		return fmt.Errorf("dataset name %q: %w", name, err)
	}
	for _, p := range parts[1:] {
		if err := checkComponent(name, p); err != nil {
			return err
		}
	}
	return nil
}

func checkComponent(name, c string) error {
	switch c {
	case "":
		return invalidf("dataset name %q: empty component", name)
	case ".", "..":
		return invalidf("dataset name %q: component %q not allowed", name, c)
	}
	if i := strings.IndexFunc(c, func(r rune) bool { return !isNameChar(r) }); i >= 0 {
		return invalidf("dataset name %q: invalid character %q", name, c[i:i+1])
	}
	return nil
}

// PoolOf returns the pool part of a dataset name.
func PoolOf(dataset string) string {
	if i := strings.IndexAny(dataset, "/@#"); i >= 0 {
		return dataset[:i]
	}
	return dataset
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameChar(r rune) bool {
	return r < 0x80 && (isLetter(byte(r)) || r >= '0' && r <= '9') ||
		r == '-' || r == '_' || r == '.' || r == ':' || r == ' '
}
