package lvm

import (
	"fmt"
)

// attrError reports an attribute string that does not decode.
func attrError(kind, raw string, pos int, what string) error {
	return fmt.Errorf("%w: %s %q: character %d (%s) is %q", ErrReport, kind, raw, pos+1, what, raw[pos])
}

// decode maps the character at pos through table; '-' means zero.
func decode(kind, raw string, pos int, what string, table map[byte]string) (string, error) {
	c := raw[pos]
	if c == '-' {
		return "", nil
	}
	v, ok := table[c]
	if !ok {
		return "", attrError(kind, raw, pos, what)
	}
	return v, nil
}

// attrFlag decodes a character that is either want or '-'.
func attrFlag(kind, raw string, pos int, what string, want byte) (bool, error) {
	switch raw[pos] {
	case want:
		return true, nil
	case '-':
		return false, nil
	}
	return false, attrError(kind, raw, pos, what)
}

// PVAttr is a decoded pv_attr string such as "a--" (pvs(8)).
type PVAttr struct {
	Raw         string `json:"raw"`
	Allocatable bool   `json:"allocatable"` // (a): extents may be allocated from it
	Used        bool   `json:"used"`        // (u): in use but not in a VG's allocation (a VG-less PV in use)
	Duplicate   bool   `json:"duplicate"`   // (d): another device has the same PV UUID
	Exported    bool   `json:"exported"`    // (x)
	Missing     bool   `json:"missing"`     // (m): the device is gone
}

// ParsePVAttr decodes a pv_attr string.
func ParsePVAttr(s string) (PVAttr, error) {
	a := PVAttr{Raw: s}
	if len(s) != 3 {
		return a, fmt.Errorf("%w: pv_attr %q: want 3 characters", ErrReport, s)
	}
	switch s[0] {
	case 'a':
		a.Allocatable = true
	case 'u':
		a.Used = true
	case 'd':
		a.Duplicate = true
	case '-':
	default:
		return a, attrError("pv_attr", s, 0, "allocation")
	}
	var err error
	if a.Exported, err = attrFlag("pv_attr", s, 1, "exported", 'x'); err != nil {
		return a, err
	}
	if a.Missing, err = attrFlag("pv_attr", s, 2, "missing", 'm'); err != nil {
		return a, err
	}
	return a, nil
}

// VGAttr is a decoded vg_attr string such as "wz--n-" (vgs(8)).
type VGAttr struct {
	Raw        string `json:"raw"`
	Writeable  bool   `json:"writeable"`  // (w), else (r)ead-only
	Resizeable bool   `json:"resizeable"` // (z)
	Exported   bool   `json:"exported"`   // (x)
	Partial    bool   `json:"partial"`    // (p): a PV is missing
	// AllocationPolicy is contiguous, cling, normal or anywhere.
	AllocationPolicy string `json:"allocation_policy"`
	Clustered        bool   `json:"clustered,omitempty"` // (c)
	Shared           bool   `json:"shared,omitempty"`    // (s): lvmlockd
}

var allocationPolicies = map[byte]string{'c': "contiguous", 'l': "cling", 'n': "normal", 'a': "anywhere", 'i': "inherited"}

// ParseVGAttr decodes a vg_attr string.
func ParseVGAttr(s string) (VGAttr, error) {
	a := VGAttr{Raw: s}
	if len(s) != 6 {
		return a, fmt.Errorf("%w: vg_attr %q: want 6 characters", ErrReport, s)
	}
	switch s[0] {
	case 'w':
		a.Writeable = true
	case 'r':
	default:
		return a, attrError("vg_attr", s, 0, "permissions")
	}
	var err error
	if a.Resizeable, err = attrFlag("vg_attr", s, 1, "resizeable", 'z'); err != nil {
		return a, err
	}
	if a.Exported, err = attrFlag("vg_attr", s, 2, "exported", 'x'); err != nil {
		return a, err
	}
	if a.Partial, err = attrFlag("vg_attr", s, 3, "partial", 'p'); err != nil {
		return a, err
	}
	if a.AllocationPolicy, err = decode("vg_attr", s, 4, "allocation policy", allocationPolicies); err != nil {
		return a, err
	}
	switch s[5] {
	case 'c':
		a.Clustered = true
	case 's':
		a.Shared = true
	case '-':
	default:
		return a, attrError("vg_attr", s, 5, "clustered or shared")
	}
	return a, nil
}

// LVType is the volume type, the first character of lv_attr.
type LVType string

// Volume types (lvs(8)).
const (
	TypePlain           LVType = ""                // '-': a plain linear or striped volume
	TypeCache           LVType = "cache"           // C
	TypeMirrored        LVType = "mirrored"        // m
	TypeMirroredNoSync  LVType = "mirrored-nosync" // M
	TypeOrigin          LVType = "origin"          // o
	TypeOriginMerging   LVType = "origin-merging"  // O
	TypeRAID            LVType = "raid"            // r
	TypeRAIDNoSync      LVType = "raid-nosync"     // R
	TypeSnapshot        LVType = "snapshot"        // s
	TypeSnapshotMerging LVType = "snapshot-merging"
	TypePvmove          LVType = "pvmove"  // p
	TypeVirtual         LVType = "virtual" // v
	TypeImage           LVType = "image"   // i
	TypeImageOutOfSync  LVType = "image-out-of-sync"
	TypeMirrorLog       LVType = "mirror-log"     // l
	TypeConverting      LVType = "converting"     // c
	TypeThinVolume      LVType = "thin-volume"    // V
	TypeThinPool        LVType = "thin-pool"      // t
	TypeThinPoolData    LVType = "thin-pool-data" // T
	TypeVDOPool         LVType = "vdo-pool"       // d
	TypeVDOPoolData     LVType = "vdo-pool-data"  // D
	TypeMetadata        LVType = "metadata"       // e: raid or pool metadata, or the pool metadata spare
)

var lvTypes = map[byte]string{
	'C': string(TypeCache), 'm': string(TypeMirrored), 'M': string(TypeMirroredNoSync), 'o': string(TypeOrigin),
	'O': string(TypeOriginMerging), 'r': string(TypeRAID), 'R': string(TypeRAIDNoSync), 's': string(TypeSnapshot),
	'S': string(TypeSnapshotMerging), 'p': string(TypePvmove), 'v': string(TypeVirtual), 'i': string(TypeImage),
	'I': string(TypeImageOutOfSync), 'l': string(TypeMirrorLog), 'c': string(TypeConverting), 'V': string(TypeThinVolume),
	't': string(TypeThinPool), 'T': string(TypeThinPoolData), 'd': string(TypeVDOPool), 'D': string(TypeVDOPoolData),
	'e': string(TypeMetadata),
}

var (
	lvPermissions = map[byte]string{'w': "writeable", 'r': "read-only", 'R': "read-only-activation"}
	lvStates      = map[byte]string{
		'a': "active", 'h': "historical", 's': "suspended", 'I': "invalid-snapshot", 'S': "invalid-suspended-snapshot",
		'm': "snapshot-merge-failed", 'M': "suspended-snapshot-merge-failed", 'd': "mapped-without-tables",
		'i': "mapped-inactive-table", 'c': "thin-pool-check-needed", 'C': "suspended-thin-pool-check-needed", 'X': "unknown",
	}
	lvTargets = map[byte]string{'C': "cache", 'm': "mirror", 'r': "raid", 's': "snapshot", 't': "thin", 'u': "unknown", 'v': "virtual"}
	lvHealth  = map[byte]string{
		'p': "partial", 'r': "refresh-needed", 'm': "mismatches", 'w': "writemostly", 's': "reshaping",
		'R': "remove-after-reshape", 'F': "failed", 'D': "out-of-data-space", 'M': "metadata-read-only",
		'E': "error", 'X': "unknown",
	}
)

// LVAttr is a decoded lv_attr string such as "twi-a-tz--" (lvs(8)).
type LVAttr struct {
	Raw  string `json:"raw"`
	Type LVType `json:"type"`
	// Permissions is writeable, read-only or read-only-activation.
	Permissions string `json:"permissions"`
	// AllocationPolicy is anywhere, contiguous, inherited, cling or
	// normal; AllocationLocked is set while pvmove holds it.
	AllocationPolicy string `json:"allocation_policy"`
	AllocationLocked bool   `json:"allocation_locked,omitempty"`
	FixedMinor       bool   `json:"fixed_minor,omitempty"`
	// State is "" when inactive, else active, suspended, unknown (no
	// device-mapper), thin-pool-check-needed, ...
	State string `json:"state"`
	// Open is set when the device is open (mounted, in use by a guest);
	// OpenUnknown when that could not be told.
	Open        bool `json:"open"`
	OpenUnknown bool `json:"open_unknown,omitempty"`
	// Target groups volumes by kernel target: thin, snapshot, raid,
	// mirror, cache, virtual, unknown; "" for linear.
	Target string `json:"target"`
	// ZeroNewBlocks is set when newly allocated blocks are zeroed first.
	ZeroNewBlocks bool `json:"zero_new_blocks"`
	// Health is "" when healthy, else partial, failed,
	// out-of-data-space, metadata-read-only, refresh-needed, ...
	Health         string `json:"health"`
	SkipActivation bool   `json:"skip_activation,omitempty"`
}

// Active reports whether the volume is active.
func (a LVAttr) Active() bool { return a.State == "active" }

// ParseLVAttr decodes an lv_attr string.
func ParseLVAttr(s string) (LVAttr, error) {
	a := LVAttr{Raw: s}
	if len(s) != 10 {
		return a, fmt.Errorf("%w: lv_attr %q: want 10 characters", ErrReport, s)
	}
	const k = "lv_attr"
	t, err := decode(k, s, 0, "volume type", lvTypes)
	if err != nil {
		return a, err
	}
	a.Type = LVType(t)
	if a.Permissions, err = decode(k, s, 1, "permissions", lvPermissions); err != nil {
		return a, err
	}
	c := s[2]
	if c >= 'A' && c <= 'Z' {
		a.AllocationLocked = true
		c += 'a' - 'A'
	}
	if p, ok := allocationPolicies[c]; ok {
		a.AllocationPolicy = p
	} else if c != '-' {
		return a, attrError(k, s, 2, "allocation policy")
	}
	if a.FixedMinor, err = attrFlag(k, s, 3, "fixed minor", 'm'); err != nil {
		return a, err
	}
	if a.State, err = decode(k, s, 4, "state", lvStates); err != nil {
		return a, err
	}
	switch s[5] {
	case 'o':
		a.Open = true
	case 'X':
		a.OpenUnknown = true
	case '-':
	default:
		return a, attrError(k, s, 5, "device open")
	}
	if a.Target, err = decode(k, s, 6, "target type", lvTargets); err != nil {
		return a, err
	}
	if a.ZeroNewBlocks, err = attrFlag(k, s, 7, "zero", 'z'); err != nil {
		return a, err
	}
	if a.Health, err = decode(k, s, 8, "health", lvHealth); err != nil {
		return a, err
	}
	if a.SkipActivation, err = attrFlag(k, s, 9, "skip activation", 'k'); err != nil {
		return a, err
	}
	return a, nil
}
