package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Attributes are a variable's EFI_VARIABLE_* flags.
type Attributes uint32

// Variable attributes.
const (
	NonVolatile                       Attributes = 0x1
	BootServiceAccess                 Attributes = 0x2
	RuntimeAccess                     Attributes = 0x4
	HardwareErrorRecord               Attributes = 0x8
	AuthenticatedWriteAccess          Attributes = 0x10
	TimeBasedAuthenticatedWriteAccess Attributes = 0x20
	AppendWrite                       Attributes = 0x40
)

// DefaultAttributes are those of boot manager variables (NV+BS+RT).
const DefaultAttributes = NonVolatile | BootServiceAccess | RuntimeAccess

// String lists the flags as efivar does ("NV|BS|RT").
func (a Attributes) String() string {
	names := []string{"NV", "BS", "RT", "HER", "AW", "TBAW", "AP"}
	var out []string
	for i, n := range names {
		if a&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := a &^ 0x7f; rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(out, "|")
}

// Vendor GUIDs of the variables this package reads.
const (
	GlobalGUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c" // EFI_GLOBAL_VARIABLE
	// LoaderGUID is the systemd boot loader interface vendor GUID; a
	// LoaderInfo variable under it says systemd-boot started the system.
	LoaderGUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
	// ShimLockGUID holds shim's MokList variables.
	ShimLockGUID = "605dab50-e046-4300-abb6-3dd810dd8b23"
)

// Errors; match them with errors.Is.
var (
	// ErrMalformed means variable data does not decode.
	ErrMalformed = errors.New("malformed EFI variable")
	// ErrNotFound means the variable does not exist.
	ErrNotFound = errors.New("EFI variable not found")
	// ErrNoEFI means the system did not boot through UEFI or efivarfs is
	// not mounted ("EFI variables are not supported on this system").
	ErrNoEFI = errors.New("EFI variables are not supported on this system")
)

// ParseFile splits the content of an efivarfs file into the variable's
// attributes and data.
func ParseFile(b []byte) (Attributes, []byte, error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("%w: %d bytes, want at least 4", ErrMalformed, len(b))
	}
	return Attributes(binary.LittleEndian.Uint32(b)), b[4:], nil
}

// FormatFile returns what is written to an efivarfs file: attributes
// followed by data.
func FormatFile(attrs Attributes, data []byte) []byte {
	b := make([]byte, 4, 4+len(data))
	binary.LittleEndian.PutUint32(b, uint32(attrs))
	return append(b, data...)
}

// FileName returns the efivarfs file name of a variable: "Name-guid".
func FileName(name, guid string) string { return name + "-" + strings.ToLower(guid) }

// SplitFileName splits an efivarfs file name into name and GUID.
func SplitFileName(f string) (name, guid string, ok bool) {
	if len(f) < 38 || f[len(f)-37] != '-' {
		return "", "", false
	}
	g := f[len(f)-36:]
	if _, err := ParseGUID(g); err != nil {
		return "", "", false
	}
	return f[:len(f)-37], g, true
}

// ParseUint16s decodes a BootOrder-style array of little-endian uint16.
func ParseUint16s(b []byte) ([]uint16, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("%w: odd length %d", ErrMalformed, len(b))
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out, nil
}

// FormatUint16s encodes a BootOrder-style array.
func FormatUint16s(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// GUID is an EFI GUID in its on-disk (mixed-endian) byte order.
type GUID [16]byte

// ParseGUID parses the text form ("8be4df61-93ca-11d2-aa0d-00e098032b8c")
// into EFI byte order (first three fields little-endian).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, fmt.Errorf("invalid GUID %q", s)
	}
	var raw [16]byte
	h := strings.ReplaceAll(s, "-", "")
	for i := range 16 {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return g, fmt.Errorf("invalid GUID %q", s)
		}
		raw[i] = hi<<4 | lo
	}
	g = GUID{raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]}
	copy(g[8:], raw[8:])
	return g, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String formats the GUID in lower case, as libefivar does.
func (g GUID) String() string {
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%x-%x",
		g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8:10], g[10:16])
}

// decodeUCS2 decodes a NUL-terminated UCS-2 string and returns it and the
// number of bytes consumed including the terminator.
func decodeUCS2(b []byte) (string, int, bool) {
	var u []uint16
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			return string(utf16.Decode(u)), i + 2, true
		}
		u = append(u, c)
	}
	return "", 0, false
}

// encodeUCS2 encodes s as NUL-terminated UCS-2.
func encodeUCS2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}
