package smart

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrShortBuffer is matched by errors for device data shorter than the
// structure it should hold.
var ErrShortBuffer = errors.New("device data too short")

// ErrBadChecksum is matched by errors for SMART structures whose checksum
// byte does not make the 512 bytes sum to zero. Decoders still return the
// data with it, as smartctl does after its warning.
var ErrBadChecksum = errors.New("SMART data checksum mismatch")

// ATAIdentity is what IDENTIFY DEVICE says about an ATA drive.
type ATAIdentity struct {
	Model, Serial, Firmware string
	// Sectors is the user-addressable capacity in logical sectors.
	Sectors uint64
	// LogicalSectorSize and PhysicalSectorSize are in bytes.
	LogicalSectorSize, PhysicalSectorSize int
	// RotationRate is word 217: 0 not reported, 1 non-rotating (SSD),
	// else revolutions per minute.
	RotationRate int
	// SMARTSupported and SMARTEnabled come from words 82 and 85.
	SMARTSupported, SMARTEnabled bool
	// WWN is the world wide name (NAA 5), zero when not reported.
	WWN uint64
	// TRIM is true when DATA SET MANAGEMENT TRIM is supported.
	TRIM bool
}

// Capacity returns the user capacity in bytes.
func (id *ATAIdentity) Capacity() uint64 { return id.Sectors * uint64(id.LogicalSectorSize) }

// ataString decodes an IDENTIFY string: byte-swapped words, space padded.
func ataString(b []byte) string {
	s := make([]byte, len(b))
	for i := 0; i+1 < len(b); i += 2 {
		s[i], s[i+1] = b[i+1], b[i]
	}
	return strings.TrimSpace(strings.TrimRight(string(s), "\x00"))
}

// ParseIdentify decodes the 512-byte IDENTIFY DEVICE data.
func ParseIdentify(b []byte) (*ATAIdentity, error) {
	if len(b) < 512 {
		return nil, fmt.Errorf("IDENTIFY DEVICE: %d bytes: %w", len(b), ErrShortBuffer)
	}
	w := func(i int) uint16 { return binary.LittleEndian.Uint16(b[2*i:]) }
	valid := func(i int) bool { return w(i)&0xc000 == 0x4000 } // words 83-87, 106, 169... "bit 14 set, 15 clear"
	id := &ATAIdentity{
		Serial:             ataString(b[20:40]),
		Firmware:           ataString(b[46:54]),
		Model:              ataString(b[54:94]),
		LogicalSectorSize:  512,
		PhysicalSectorSize: 512,
	}
	id.Sectors = uint64(w(60)) | uint64(w(61))<<16
	if valid(83) && w(83)&(1<<10) != 0 { // 48-bit addressing
		if n := uint64(w(100)) | uint64(w(101))<<16 | uint64(w(102))<<32 | uint64(w(103))<<48; n > 0 {
			id.Sectors = n
		}
	}
	if valid(106) {
		if w(106)&(1<<12) != 0 {
			if n := int(uint32(w(117))|uint32(w(118))<<16) * 2; n >= 512 {
				id.LogicalSectorSize = n
			}
		}
		id.PhysicalSectorSize = id.LogicalSectorSize
		if w(106)&(1<<13) != 0 {
			id.PhysicalSectorSize = id.LogicalSectorSize << (w(106) & 0xf)
		}
	}
	id.RotationRate = int(w(217))
	if id.RotationRate != 1 && (id.RotationRate < 0x401 || id.RotationRate == 0xffff) {
		id.RotationRate = 0 // reserved values mean "not reported"
	}
	id.SMARTSupported = valid(83) && w(82)&1 != 0
	id.SMARTEnabled = valid(87) && w(85)&1 != 0
	if valid(87) && w(84)&(1<<8) != 0 {
		id.WWN = uint64(w(108))<<48 | uint64(w(109))<<32 | uint64(w(110))<<16 | uint64(w(111))
	}
	id.TRIM = w(169)&1 != 0
	return id, nil
}

// Attribute is one ATA SMART attribute.
type Attribute struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Flags are the attribute's flag word; Prefailure is bit 0.
	Flags      uint16 `json:"flags"`
	Prefailure bool   `json:"prefailure"`
	// Value and Worst are normalized (usually 1 to 100 or 253, higher is
	// better); Threshold is the failure threshold, 0 meaning "never fails".
	Value        int  `json:"value"`
	Worst        int  `json:"worst"`
	Threshold    int  `json:"thresh"`
	HasThreshold bool `json:"has_thresh"`
	// Raw is the raw value as the attribute's format reads it; RawString
	// is smartctl's rendering of it.
	Raw       uint64 `json:"raw"`
	RawString string `json:"raw_string"`
	// WhenFailed is "now" (value at or below threshold), "past" (worst at
	// or below) or "".
	WhenFailed string `json:"when_failed,omitempty"`
}

// SMARTData is the decoded SMART READ DATA structure.
type SMARTData struct {
	Revision   int
	Attributes []Attribute
	// SelfTestStatus is byte 363 (high nibble: status, low: remaining
	// tenths); OfflineStatus byte 362.
	SelfTestStatus, OfflineStatus uint8
	// ShortTestMinutes and ExtendedTestMinutes are the polling times.
	ShortTestMinutes, ExtendedTestMinutes int
}

// ParseSMARTData decodes SMART READ DATA and, when thresholds is not nil,
// SMART READ THRESHOLDS (both 512 bytes), naming and formatting the
// attributes with defs for a drive with the given rotation rate. A
// checksum mismatch returns the data and an error matching ErrBadChecksum.
func ParseSMARTData(data, thresholds []byte, defs *AttrDefs, rpm int) (*SMARTData, error) {
	if len(data) < 512 {
		return nil, fmt.Errorf("SMART READ DATA: %d bytes: %w", len(data), ErrShortBuffer)
	}
	if thresholds != nil && len(thresholds) < 512 {
		return nil, fmt.Errorf("SMART READ THRESHOLDS: %d bytes: %w", len(thresholds), ErrShortBuffer)
	}
	if defs == nil {
		d := DefaultAttrDefs()
		defs = &d
	}
	sd := &SMARTData{
		Revision:         int(binary.LittleEndian.Uint16(data)),
		OfflineStatus:    data[362],
		SelfTestStatus:   data[363],
		ShortTestMinutes: int(data[372]),
	}
	sd.ExtendedTestMinutes = int(data[373])
	if data[373] == 0xff {
		sd.ExtendedTestMinutes = int(binary.LittleEndian.Uint16(data[375:]))
	}
	for i := range 30 {
		e := data[2+12*i : 14+12*i]
		if e[0] == 0 {
			continue
		}
		id := e[0]
		def := defs[id]
		flags := binary.LittleEndian.Uint16(e[1:])
		a := Attribute{
			ID: int(id), Name: defs.name(id, rpm), Flags: flags, Prefailure: flags&1 != 0,
			Value: int(e[3]), Worst: int(e[4]),
		}
		a.Raw = defs.rawValue(e)
		a.RawString = formatRaw(defs.format(id), a.Raw)
		if thresholds != nil && !def.NoNormVal {
			thr, ok := findThreshold(thresholds, i, id)
			if ok {
				a.Threshold, a.HasThreshold = int(thr), true
				switch {
				case thr == 0:
				case e[3] <= thr:
					a.WhenFailed = "now"
				case !def.NoWorstVal && e[4] <= thr:
					a.WhenFailed = "past"
				}
			}
		}
		sd.Attributes = append(sd.Attributes, a)
	}
	if sum(data[:512]) != 0 || thresholds != nil && sum(thresholds[:512]) != 0 {
		return sd, ErrBadChecksum
	}
	return sd, nil
}

// findThreshold looks for id's threshold at index i, then anywhere.
func findThreshold(t []byte, i int, id uint8) (uint8, bool) {
	if t[2+12*i] == id {
		return t[3+12*i], true
	}
	for j := range 30 {
		if t[2+12*j] == id {
			return t[3+12*j], true
		}
	}
	return 0, false
}

func sum(b []byte) uint8 {
	var s uint8
	for _, c := range b {
		s += c
	}
	return s
}

// ATA status from SMART RETURN STATUS: the LBA mid and high registers.
const (
	statusPassedMid, statusPassedHigh = 0x4f, 0xc2
	statusFailedMid, statusFailedHigh = 0xf4, 0x2c
)

// ErrNoStatus is matched by errors when the pass-through layer returned no
// usable ATA registers for SMART RETURN STATUS.
var ErrNoStatus = errors.New("no ATA status registers in the sense data")

// ATARegisters are the output registers of an ATA command.
type ATARegisters struct {
	Error, Status, Device          uint8
	Count, LBALow, LBAMid, LBAHigh uint16
}

// ParseATAReturnSense extracts the ATA output registers from the sense
// data of an ATA PASS-THROUGH command issued with CK_COND: the ATA Status
// Return descriptor (type 09h) of descriptor-format sense (72h/73h), or
// the fixed-format (70h/71h) layout some translation layers use.
func ParseATAReturnSense(sense []byte) (ATARegisters, error) {
	if len(sense) < 8 {
		return ATARegisters{}, fmt.Errorf("sense data of %d bytes: %w", len(sense), ErrNoStatus)
	}
	switch sense[0] & 0x7f {
	case 0x72, 0x73:
		n := min(len(sense), 8+int(sense[7]))
		for d := sense[8:n]; len(d) >= 2; {
			l := 2 + int(d[1])
			if l > len(d) {
				break
			}
			if d[0] == 0x09 && l >= 14 {
				r := ATARegisters{Error: d[3], Device: d[12], Status: d[13]}
				ext := d[2]&1 != 0
				hi := func(b uint8) uint16 {
					if ext {
						return uint16(b) << 8
					}
					return 0
				}
				r.Count = hi(d[4]) | uint16(d[5])
				r.LBALow = hi(d[6]) | uint16(d[7])
				r.LBAMid = hi(d[8]) | uint16(d[9])
				r.LBAHigh = hi(d[10]) | uint16(d[11])
				return r, nil
			}
			d = d[l:]
		}
	case 0x70, 0x71:
		if len(sense) < 18 {
			break
		}
		// SAT: information field bytes 3-6 hold error, status, device and
		// count; command-specific bytes 9-11 the LBA registers.
		r := ATARegisters{Error: sense[3], Status: sense[4], Device: sense[5], Count: uint16(sense[6])}
		r.LBALow, r.LBAMid, r.LBAHigh = uint16(sense[9]), uint16(sense[10]), uint16(sense[11])
		return r, nil
	}
	return ATARegisters{}, fmt.Errorf("sense response %#x: %w", sense[0], ErrNoStatus)
}

// ReturnStatusHealth turns the registers of SMART RETURN STATUS into a
// verdict: 4Fh/C2h passed, F4h/2Ch threshold exceeded.
func ReturnStatusHealth(r ATARegisters) (Health, error) {
	mid, high := uint8(r.LBAMid), uint8(r.LBAHigh)
	switch {
	case mid == statusPassedMid && high == statusPassedHigh:
		return Passed, nil
	case mid == statusFailedMid && high == statusFailedHigh:
		return Failed, nil
	}
	return Unknown, fmt.Errorf("SMART RETURN STATUS: LBA mid/high %#02x/%#02x: %w", mid, high, ErrNoStatus)
}
