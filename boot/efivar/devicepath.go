package efivar

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Device path node types.
const (
	TypeHardware  = 0x01
	TypeACPI      = 0x02
	TypeMessaging = 0x03
	TypeMedia     = 0x04
	TypeBIOSBoot  = 0x05
	TypeEnd       = 0x7f
)

// Node is one device path node: its type, subtype and the data after the
// 4-byte header. Nodes of unknown types decode like any other and format
// in libefivar's generic form.
type Node struct {
	Type    uint8
	SubType uint8
	Data    []byte
}

// DevicePath is a list of device path nodes, without the end-of-path
// node (an end-of-instance node separates instances).
type DevicePath []Node

// ParseDevicePath decodes a device path up to its end-of-entire-path node
// or the end of b. A node whose length is below 4 or beyond b is an error.
func ParseDevicePath(b []byte) (DevicePath, error) {
	var dp DevicePath
	for len(b) > 0 {
		if len(b) < 4 {
			return dp, fmt.Errorf("%w: truncated device path node", ErrMalformed)
		}
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return dp, fmt.Errorf("%w: device path node length %d with %d bytes left", ErrMalformed, n, len(b))
		}
		node := Node{Type: b[0], SubType: b[1], Data: b[4:n:n]}
		b = b[n:]
		if node.Type == TypeEnd && node.SubType == 0xff {
			break
		}
		dp = append(dp, node)
	}
	return dp, nil
}

// Bytes encodes the path with its end-of-entire-path node.
func (dp DevicePath) Bytes() []byte {
	var b []byte
	for _, n := range dp {
		b = append(b, n.Type, n.SubType, 0, 0)
		binary.LittleEndian.PutUint16(b[len(b)-2:], uint16(4+len(n.Data)))
		b = append(b, n.Data...)
	}
	return append(b, TypeEnd, 0xff, 4, 0)
}

// String formats the path as libefivar does: nodes joined by "/",
// instances by ",".
func (dp DevicePath) String() string {
	var b strings.Builder
	for i, n := range dp {
		if n.Type == TypeEnd {
			b.WriteString(",")
			continue
		}
		if i > 0 && dp[i-1].Type != TypeEnd {
			b.WriteString("/")
		}
		b.WriteString(n.String())
	}
	return b.String()
}

// File returns the path of the last file node ("\EFI\proxmox\grubx64.efi")
// or "".
func (dp DevicePath) File() string {
	for i := len(dp) - 1; i >= 0; i-- {
		if dp[i].Type == TypeMedia && dp[i].SubType == 4 {
			s, _, _ := decodeUCS2(append(dp[i].Data[:len(dp[i].Data):len(dp[i].Data)], 0, 0))
			return s
		}
	}
	return ""
}

// HardDrive is the decoded form of an HD() node.
type HardDrive struct {
	Partition     uint32
	Start, Size   uint64 // in sectors
	Signature     [16]byte
	MBRType       uint8 // 1 MBR, 2 GPT
	SignatureType uint8 // 1 MBR signature, 2 GUID
}

// PartitionGUID returns the partition's unique GUID for a GPT node, in
// lower case, or "".
func (h HardDrive) PartitionGUID() string {
	if h.SignatureType != 2 {
		return ""
	}
	return GUID(h.Signature).String()
}

// HardDrive decodes an HD() node.
func (n Node) HardDrive() (HardDrive, bool) {
	if n.Type != TypeMedia || n.SubType != 1 || len(n.Data) < 38 {
		return HardDrive{}, false
	}
	d := n.Data
	h := HardDrive{
		Partition: binary.LittleEndian.Uint32(d),
		Start:     binary.LittleEndian.Uint64(d[4:]),
		Size:      binary.LittleEndian.Uint64(d[12:]),
		MBRType:   d[36],
	}
	copy(h.Signature[:], d[20:36])
	h.SignatureType = d[37]
	return h, true
}

// HardDriveNode returns the HD() node of a GPT partition.
func HardDriveNode(partition uint32, start, size uint64, partGUID string) (Node, error) {
	g, err := ParseGUID(partGUID)
	if err != nil {
		return Node{}, err
	}
	d := make([]byte, 38)
	binary.LittleEndian.PutUint32(d, partition)
	binary.LittleEndian.PutUint64(d[4:], start)
	binary.LittleEndian.PutUint64(d[12:], size)
	copy(d[20:], g[:])
	d[36], d[37] = 2, 2
	return Node{Type: TypeMedia, SubType: 1, Data: d}, nil
}

// FileNode returns a File() node; slashes become backslashes as UEFI
// paths need.
func FileNode(path string) Node {
	path = strings.ReplaceAll(path, "/", `\`)
	if !strings.HasPrefix(path, `\`) {
		path = `\` + path
	}
	return Node{Type: TypeMedia, SubType: 4, Data: encodeUCS2(path)}
}

func u16(d []byte, o int) uint16 { return binary.LittleEndian.Uint16(d[o:]) }
func u32(d []byte, o int) uint32 { return binary.LittleEndian.Uint32(d[o:]) }
func u64(d []byte, o int) uint64 { return binary.LittleEndian.Uint64(d[o:]) }

func hexs(b []byte) string { return fmt.Sprintf("%x", b) }

func guidAt(d []byte, o int) string {
	var g GUID
	copy(g[:], d[o:o+16])
	return g.String()
}

// String formats the node as libefivar does.
func (n Node) String() string {
	d := n.Data
	generic := func(label string) string { return fmt.Sprintf("%s(%d,%s)", label, n.SubType, hexs(d)) }
	vendor := func(label string) string {
		if len(d) < 16 {
			return generic(label)
		}
		if len(d) > 16 {
			return fmt.Sprintf("%s(%s,%s)", label, guidAt(d, 0), hexs(d[16:]))
		}
		return fmt.Sprintf("%s(%s)", label, guidAt(d, 0))
	}
	switch n.Type {
	case TypeHardware:
		switch {
		case n.SubType == 1 && len(d) >= 2:
			return fmt.Sprintf("Pci(0x%x,0x%x)", d[1], d[0])
		case n.SubType == 2 && len(d) >= 1:
			return fmt.Sprintf("PcCard(0x%x)", d[0])
		case n.SubType == 3 && len(d) >= 20:
			return fmt.Sprintf("MemoryMapped(%d,0x%x,0x%x)", u32(d, 0), u64(d, 4), u64(d, 12))
		case n.SubType == 4:
			return vendor("VenHw")
		case n.SubType == 5 && len(d) >= 4:
			return fmt.Sprintf("Ctrl(0x%x)", u32(d, 0))
		case n.SubType == 6 && len(d) >= 9:
			return fmt.Sprintf("BMC(%d,0x%x)", d[0], u64(d, 1))
		}
		return generic("HardwarePath")
	case TypeACPI:
		if n.SubType == 1 && len(d) >= 8 {
			hid, uid := u32(d, 0), u32(d, 4)
			switch hid {
			case 0x0a0341d0:
				return fmt.Sprintf("PciRoot(0x%x)", uid)
			case 0x0a0841d0:
				return fmt.Sprintf("PcieRoot(0x%x)", uid)
			case 0x0a0541d0, 0x0a0641d0:
				return "AcpiContainer()"
			case 0x0c0941d0:
				return "EmbeddedController()"
			case 0x060441d0:
				return fmt.Sprintf("Floppy(0x%x)", uid)
			case 0x030141d0:
				return fmt.Sprintf("Keyboard(0x%x)", uid)
			case 0x050141d0:
				return fmt.Sprintf("Serial(0x%x)", uid)
			}
			return fmt.Sprintf("Acpi(0x%08x,0x%x)", hid, uid)
		}
		if n.SubType == 3 && len(d) >= 4 {
			var parts []string
			for o := 0; o+4 <= len(d); o += 4 {
				parts = append(parts, fmt.Sprintf("0x%x", u32(d, o)))
			}
			return "AcpiAdr(" + strings.Join(parts, ",") + ")"
		}
		return generic("AcpiPath")
	case TypeMessaging:
		switch {
		case n.SubType == 1 && len(d) >= 4:
			return fmt.Sprintf("Ata(%d,%d,%d)", d[0], d[1], u16(d, 2))
		case n.SubType == 2 && len(d) >= 4:
			return fmt.Sprintf("SCSI(%d,%d)", u16(d, 0), u16(d, 2))
		case n.SubType == 5 && len(d) >= 2:
			return fmt.Sprintf("USB(%d,%d)", d[0], d[1])
		case n.SubType == 11 && len(d) >= 33:
			l := 6
			if d[32] >= 2 {
				l = 32
			}
			return fmt.Sprintf("MAC(%s,%d)", hexs(d[:l]), d[32])
		case n.SubType == 12 && len(d) >= 15:
			addr := func(ip []byte, port uint16) string {
				s := fmt.Sprintf("%d.%d.%d.%d", ip[0], ip[1], ip[2], ip[3])
				if port > 0 {
					s += fmt.Sprintf(":%d", port)
				}
				return s
			}
			return fmt.Sprintf("IPv4(%s%s,%x,%x)", addr(d[0:4], u16(d, 8)), addr(d[4:8], u16(d, 10)), u16(d, 12), d[14])
		case n.SubType == 10:
			known := map[string]string{
				"e0c14753-f9be-11d2-9a0c-0090273fc14d": "VenPcAnsi",
				"dfa66065-b419-11d3-9a2d-0090273fc14d": "VenVt100",
				"7baec70b-57e0-4c76-8e87-2f9e28088343": "VenVt100Plus",
				"ad15a0d6-8bec-4acf-a073-d01de77e2d88": "VenUtf8",
				"eba4e8d2-3858-41ec-a281-2647ba9660d0": "DebugPort",
			}
			if len(d) >= 16 {
				if l, ok := known[guidAt(d, 0)]; ok {
					return fmt.Sprintf("%s(%s)", l, hexs(d[16:]))
				}
			}
			return vendor("VenMsg")
		case n.SubType == 17 && len(d) >= 2:
			return fmt.Sprintf("Unit(%d)", d[0])
		case n.SubType == 18 && len(d) >= 6:
			return fmt.Sprintf("Sata(%d,%d,%d)", u16(d, 0), u16(d, 2), u16(d, 4))
		case n.SubType == 20 && len(d) >= 2:
			return fmt.Sprintf("Vlan(%d)", u16(d, 0))
		case n.SubType == 23 && len(d) >= 12:
			e := d[4:12]
			return fmt.Sprintf("NVMe(0x%x,%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X)", u32(d, 0), e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7])
		case n.SubType == 24:
			return fmt.Sprintf("Uri(%s)", string(d))
		case n.SubType == 26 && len(d) >= 1:
			return fmt.Sprintf("SD(%d)", d[0])
		case n.SubType == 29 && len(d) >= 1:
			return fmt.Sprintf("eMMC(%d)", d[0])
		}
		return generic("Msg")
	case TypeMedia:
		switch n.SubType {
		case 1:
			h, ok := n.HardDrive()
			if !ok {
				break
			}
			switch h.SignatureType {
			case 1:
				return fmt.Sprintf("HD(%d,MBR,0x%x,0x%x,0x%x)", h.Partition, binary.LittleEndian.Uint32(h.Signature[:]), h.Start, h.Size)
			case 2:
				return fmt.Sprintf("HD(%d,GPT,%s,0x%x,0x%x)", h.Partition, h.PartitionGUID(), h.Start, h.Size)
			}
			return fmt.Sprintf("HD(%d,%d,%s,0x%x,0x%x)", h.Partition, h.SignatureType, hexs(h.Signature[:]), h.Start, h.Size)
		case 2:
			if len(d) >= 20 {
				return fmt.Sprintf("CDROM(%d,0x%x,0x%x)", u32(d, 0), u64(d, 4), u64(d, 12))
			}
		case 3:
			return vendor("VenMedia")
		case 4:
			s, _, ok := decodeUCS2(append(d[:len(d):len(d)], 0, 0))
			if ok {
				return "File(" + s + ")"
			}
		case 5:
			if len(d) >= 16 {
				return "Media(" + guidAt(d, 0) + ")"
			}
		case 6:
			if len(d) >= 16 {
				return "FvFile(" + guidAt(d, 0) + ")"
			}
		case 7:
			if len(d) >= 16 {
				return "FvVol(" + guidAt(d, 0) + ")"
			}
		case 8:
			if len(d) >= 20 {
				return fmt.Sprintf("Offset(0x%x,0x%x)", u64(d, 4), u64(d, 12))
			}
		}
		return fmt.Sprintf("MediaPath(%d,%s)", n.SubType, hexs(d[:len(d)/2]))
	case TypeBIOSBoot:
		if n.SubType == 1 && len(d) >= 4 {
			desc := string(d[4:])
			if i := strings.IndexByte(desc, 0); i >= 0 {
				desc = desc[:i]
			}
			types := []string{"", "Floppy", "HD", "CDROM", "PCMCIA", "USB", "Network"}
			t := fmt.Sprint(u16(d, 0))
			if dt := u16(d, 0); dt > 0 && dt < 7 {
				t = types[dt]
			}
			return fmt.Sprintf("BBS(%s,%s,0x%x)", t, desc, u16(d, 2))
		}
		return generic("BbsPath")
	}
	return fmt.Sprintf("Path(%d,%d,%s)", n.Type, n.SubType, hexs(d))
}
