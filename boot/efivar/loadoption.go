package efivar

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Load option attributes.
const (
	LoadOptionActive         = 0x1
	LoadOptionForceReconnect = 0x2
	LoadOptionHidden         = 0x8
	LoadOptionCategoryApp    = 0x100
)

// LoadOption is the content of a Boot#### variable.
type LoadOption struct {
	Attributes  uint32     `json:"attributes"`
	Description string     `json:"description"`
	Path        DevicePath `json:"-"`
	// OptionalData is passed to the loaded image (shim's second-stage
	// name, a firmware app's GUID).
	OptionalData []byte `json:"-"`
}

// Active reports whether the option is enabled (the '*' efibootmgr
// prints).
func (o *LoadOption) Active() bool { return o.Attributes&LoadOptionActive != 0 }

// ParseLoadOption decodes an EFI_LOAD_OPTION.
func ParseLoadOption(b []byte) (*LoadOption, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("%w: load option of %d bytes", ErrMalformed, len(b))
	}
	o := &LoadOption{Attributes: binary.LittleEndian.Uint32(b)}
	plen := int(binary.LittleEndian.Uint16(b[4:]))
	desc, n, ok := decodeUCS2(b[6:])
	if !ok {
		return nil, fmt.Errorf("%w: unterminated description", ErrMalformed)
	}
	o.Description = desc
	rest := b[6+n:]
	if plen > len(rest) {
		return nil, fmt.Errorf("%w: device path length %d with %d bytes left", ErrMalformed, plen, len(rest))
	}
	dp, err := ParseDevicePath(rest[:plen])
	if err != nil {
		return nil, err
	}
	o.Path = dp
	if len(rest) > plen {
		o.OptionalData = rest[plen:]
	}
	return o, nil
}

// Bytes encodes the load option.
func (o *LoadOption) Bytes() []byte {
	p := o.Path.Bytes()
	b := make([]byte, 6)
	binary.LittleEndian.PutUint32(b, o.Attributes)
	binary.LittleEndian.PutUint16(b[4:], uint16(len(p)))
	b = append(b, encodeUCS2(o.Description)...)
	b = append(b, p...)
	return append(b, o.OptionalData...)
}

// OptionalDataString formats the optional data as efibootmgr 17 does:
// bytes as characters, '.' for those outside 32..127.
func (o *LoadOption) OptionalDataString() string {
	var b strings.Builder
	for _, c := range o.OptionalData {
		if c < 32 || c > 127 {
			c = '.'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// BootEntry is one Boot#### variable.
type BootEntry struct {
	Num         uint16 `json:"num"`
	Name        string `json:"name"` // "Boot0005"
	Active      bool   `json:"active"`
	Description string `json:"description"`
	// Path is the device path as efibootmgr -v prints it.
	Path         string      `json:"path"`
	File         string      `json:"file,omitempty"`          // last File() node
	PartUUID     string      `json:"partuuid,omitempty"`      // GPT partition GUID of the HD() node
	OptionalData string      `json:"optional_data,omitempty"` // as efibootmgr prints it
	Option       *LoadOption `json:"-"`
}

// NewBootEntry describes a decoded load option.
func NewBootEntry(num uint16, o *LoadOption) BootEntry {
	e := BootEntry{
		Num: num, Name: fmt.Sprintf("Boot%04X", num), Active: o.Active(),
		Description: o.Description, Path: o.Path.String(), File: o.Path.File(),
		OptionalData: o.OptionalDataString(), Option: o,
	}
	for _, n := range o.Path {
		if h, ok := n.HardDrive(); ok {
			e.PartUUID = h.PartitionGUID()
		}
	}
	return e
}

// String formats the entry as one line of `efibootmgr -v`:
// "Boot0005* proxmox\tHD(...)/File(\EFI\proxmox\shimx64.efi)".
func (e BootEntry) String() string {
	star := ' '
	if e.Active {
		star = '*'
	}
	return fmt.Sprintf("%s%c %s\t%s%s", e.Name, star, e.Description, e.Path, e.OptionalData)
}
