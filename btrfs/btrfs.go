package btrfs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors matched with errors.Is.
var (
	// ErrNotBtrfs is returned for a path that is not on a btrfs file
	// system.
	ErrNotBtrfs = errors.New("not a btrfs file system")
	// ErrNotSubvolume is returned for a path that is a plain directory,
	// not the root of a subvolume.
	ErrNotSubvolume = errors.New("not a btrfs subvolume")
	// ErrInvalid is returned for arguments refused before any system
	// call: a bad profile, name, compression or device count.
	ErrInvalid = errors.New("invalid argument")
)

// UUID is a file system, device or subvolume UUID.
type UUID [16]byte

// String returns the UUID in its canonical lower-case form, or "" for
// the zero UUID (btrfs writes "-" for a missing parent UUID).
func (u UUID) String() string {
	if u == (UUID{}) {
		return ""
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// MarshalText writes the canonical form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText reads the canonical form; "" reads as the zero UUID.
func (u *UUID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*u = UUID{}
		return nil
	}
	v, err := ParseUUID(string(b))
	*u = v
	return err
}

// ParseUUID reads a UUID in its canonical form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 || len(s) != 36 {
		return u, fmt.Errorf("%w: UUID %q", ErrInvalid, s)
	}
	for i := range u {
		var b byte
		for _, c := range []byte(h[2*i : 2*i+2]) {
			switch {
			case c >= '0' && c <= '9':
				b = b<<4 | (c - '0')
			case c >= 'a' && c <= 'f':
				b = b<<4 | (c - 'a' + 10)
			case c >= 'A' && c <= 'F':
				b = b<<4 | (c - 'A' + 10)
			default:
				return UUID{}, fmt.Errorf("%w: UUID %q", ErrInvalid, s)
			}
		}
		u[i] = b
	}
	return u, nil
}

// TopLevelID is the id of the file system's top-level subvolume
// (BTRFS_FS_TREE_OBJECTID), which every other subvolume descends from.
const TopLevelID = 5

// Subvolume describes one subvolume, as `btrfs subvolume list` and
// `btrfs subvolume show` do.
type Subvolume struct {
	ID uint64 `json:"id"`
	// ParentID is the id of the subvolume that contains it ("top level"
	// in `btrfs subvolume list`); 0 for the top level itself.
	ParentID uint64 `json:"parent_id"`
	// Path is relative to the top-level subvolume
	// ("var/lib/pve/local-btrfs"); "" for the top level.
	Path string `json:"path"`
	// Generation is the transaction that last changed the subvolume's
	// tree ("gen" in `btrfs subvolume list`).
	Generation uint64 `json:"generation"`
	// CreationGeneration is the transaction that created it ("Gen at
	// creation" in `btrfs subvolume show`).
	CreationGeneration uint64    `json:"creation_generation"`
	ReadOnly           bool      `json:"read_only"`
	UUID               UUID      `json:"uuid"`
	ParentUUID         UUID      `json:"parent_uuid,omitzero"` // set for a snapshot: its source
	ReceivedUUID       UUID      `json:"received_uuid,omitzero"`
	Created            time.Time `json:"created,omitzero"`
}

// Name returns the last element of the subvolume's path.
func (s *Subvolume) Name() string {
	if i := strings.LastIndexByte(s.Path, '/'); i >= 0 {
		return s.Path[i+1:]
	}
	return s.Path
}

// Info is a file system's identity and devices.
type Info struct {
	UUID         UUID     `json:"uuid"`
	MetadataUUID UUID     `json:"metadata_uuid,omitzero"` // set when it differs from UUID
	Label        string   `json:"label"`
	NodeSize     uint32   `json:"node_size"`
	SectorSize   uint32   `json:"sector_size"`
	Generation   uint64   `json:"generation"`
	ChecksumType string   `json:"checksum_type"` // crc32c, xxhash64, sha256, blake2b
	Devices      []Device `json:"devices"`
}

// Device is one device of a file system.
type Device struct {
	ID   uint64 `json:"id"`
	UUID UUID   `json:"uuid"`
	// Path is the device node the kernel holds ("" for a missing device).
	Path string `json:"path"`
	// Size is the part of the device the file system uses.
	Size uint64 `json:"size"`
	// Used is what chunks occupy on it.
	Used uint64 `json:"used"`
	// DeviceSize is the block device's size, 0 when unknown; DeviceSize -
	// Size is the slack that `btrfs filesystem resize` could add.
	DeviceSize uint64 `json:"device_size,omitempty"`
}

var checksumNames = map[uint16]string{0: "crc32c", 1: "xxhash64", 2: "sha256", 3: "blake2b"}

func checksumName(t uint16) string {
	if n, ok := checksumNames[t]; ok {
		return n
	}
	return fmt.Sprintf("csum-%d", t)
}
