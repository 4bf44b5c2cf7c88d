package microcode

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadFile is matched by errors for microcode files that are not in the
// vendor's format.
var ErrBadFile = errors.New("not a microcode file")

// Update is one microcode update in a vendor file.
type Update struct {
	Revision uint32 `json:"revision"`
	// Date is the release date, YYYY-MM-DD.
	Date string `json:"date"`
	// Signature is the CPUID signature the update is for.
	Signature uint32 `json:"signature"`
	// PlatformMask is Intel's processor flags mask (which platform IDs the
	// update fits); zero for AMD.
	PlatformMask uint32 `json:"platform_mask,omitempty"`
}

// Matches reports whether u fits a CPU with the given signature and
// processor flags (sysfs microcode/processor_flags, zero when unknown).
func (u Update) Matches(sig, flags uint32) bool {
	if u.Signature != sig {
		return false
	}
	if u.PlatformMask == 0 || flags == 0 {
		return true
	}
	return u.PlatformMask&flags != 0
}

// bcdDate formats a date held as hexadecimal digits in the given field
// order ("mdy" for Intel's 0xMMDDYYYY, "ymd" for AMD's 0xYYYYMMDD).
func bcdDate(d uint32, order string) string {
	if order == "mdy" {
		return fmt.Sprintf("%04x-%02x-%02x", d&0xffff, d>>24, d>>16&0xff)
	}
	return fmt.Sprintf("%04x-%02x-%02x", d>>16, d>>8&0xff, d&0xff)
}

// ParseIntelFile decodes an Intel microcode file (one or more updates with
// 48-byte headers and optional extended signature tables), as found in
// /lib/firmware/intel-ucode.
func ParseIntelFile(data []byte) ([]Update, error) {
	var out []Update
	le := binary.LittleEndian
	for off := 0; off < len(data); {
		if len(data)-off < 48 {
			return nil, fmt.Errorf("intel microcode: %d trailing bytes at offset %d: %w", len(data)-off, off, ErrBadFile)
		}
		h := data[off:]
		if le.Uint32(h[0:]) != 1 {
			return nil, fmt.Errorf("intel microcode: header version %d at offset %d: %w", le.Uint32(h[0:]), off, ErrBadFile)
		}
		dataSize, totalSize := le.Uint32(h[28:]), le.Uint32(h[32:])
		if dataSize == 0 {
			dataSize = 2000
		}
		if totalSize == 0 {
			totalSize = 2048
		}
		if totalSize < dataSize+48 || totalSize%4 != 0 || uint64(totalSize) > uint64(len(data)-off) {
			return nil, fmt.Errorf("intel microcode: bad sizes (data %d, total %d) at offset %d: %w", dataSize, totalSize, off, ErrBadFile)
		}
		u := Update{Revision: le.Uint32(h[4:]), Date: bcdDate(le.Uint32(h[8:]), "mdy"), Signature: le.Uint32(h[12:]), PlatformMask: le.Uint32(h[24:])}
		out = append(out, u)
		if ext := totalSize - dataSize - 48; ext >= 20 {
			t := h[48+dataSize : totalSize]
			n := le.Uint32(t[0:])
			if uint64(n)*12 > uint64(len(t)-20) {
				return nil, fmt.Errorf("intel microcode: extended table of %d entries does not fit at offset %d: %w", n, off, ErrBadFile)
			}
			for i := range n {
				e := t[20+12*i:]
				out = append(out, Update{Revision: u.Revision, Date: u.Date, Signature: le.Uint32(e[0:]), PlatformMask: le.Uint32(e[4:])})
			}
		}
		off += int(totalSize)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("intel microcode: empty file: %w", ErrBadFile)
	}
	return out, nil
}

const amdMagic = 0x00414d44 // "DMA\0"

// ParseAMDFile decodes an AMD microcode container file (one or more
// containers, each an equivalence table followed by patches), as found in
// /lib/firmware/amd-ucode. Each patch is reported once for every CPU
// signature the equivalence table maps to it.
func ParseAMDFile(data []byte) ([]Update, error) {
	var out []Update
	le := binary.LittleEndian
	off := 0
	for off < len(data) {
		if len(data)-off < 12 || le.Uint32(data[off:]) != amdMagic {
			return nil, fmt.Errorf("amd microcode: no container magic at offset %d: %w", off, ErrBadFile)
		}
		if typ := le.Uint32(data[off+4:]); typ != 0 {
			return nil, fmt.Errorf("amd microcode: section type %d where the equivalence table belongs (offset %d): %w", typ, off, ErrBadFile)
		}
		size := le.Uint32(data[off+8:])
		off += 12
		if uint64(size) > uint64(len(data)-off) || size%16 != 0 {
			return nil, fmt.Errorf("amd microcode: equivalence table of %d bytes does not fit: %w", size, ErrBadFile)
		}
		equiv := map[uint16][]uint32{}
		for t := data[off : off+int(size)]; len(t) >= 16; t = t[16:] {
			cpu, id := le.Uint32(t[0:]), le.Uint16(t[12:])
			if cpu == 0 {
				break
			}
			equiv[id] = append(equiv[id], cpu)
		}
		off += int(size)
		for off < len(data) && !(len(data)-off >= 4 && le.Uint32(data[off:]) == amdMagic) {
			if len(data)-off < 8 {
				return nil, fmt.Errorf("amd microcode: %d trailing bytes: %w", len(data)-off, ErrBadFile)
			}
			typ, psize := le.Uint32(data[off:]), le.Uint32(data[off+4:])
			off += 8
			if uint64(psize) > uint64(len(data)-off) {
				return nil, fmt.Errorf("amd microcode: patch of %d bytes does not fit at offset %d: %w", psize, off, ErrBadFile)
			}
			if typ == 1 && psize >= 26 {
				p := data[off:]
				rev, date, procRev := le.Uint32(p[4:]), le.Uint32(p[0:]), le.Uint16(p[24:])
				for _, sig := range equiv[procRev] {
					out = append(out, Update{Revision: rev, Date: bcdDate(date, "ymd"), Signature: sig})
				}
			}
			off += int(psize)
		}
	}
	if len(out) == 0 && len(data) == 0 {
		return nil, fmt.Errorf("amd microcode: empty file: %w", ErrBadFile)
	}
	return out, nil
}

// Best returns the highest revision among the updates that fit the CPU.
func Best(updates []Update, cpu CPU) (Update, bool) {
	var best Update
	found := false
	for _, u := range updates {
		if u.Matches(cpu.Signature(), cpu.ProcessorFlags) && (!found || u.Revision > best.Revision) {
			best, found = u, true
		}
	}
	return best, found
}
