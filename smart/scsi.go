package smart

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// SCSI operation codes and pages used by the native SCSI reader.
const (
	scsiInquiry        = 0x12
	scsiRequestSense   = 0x03
	scsiModeSense6     = 0x1a
	scsiModeSense10    = 0x5a
	scsiLogSense       = 0x4d
	scsiReadCapacity10 = 0x25
	scsiServiceIn16    = 0x9e
	scsiReadCap16SA    = 0x10
	vpdUnitSerial      = 0x80
	modePageIEC        = 0x1c // Informational Exceptions Control
	logPageSupported   = 0x00
	logPageTemperature = 0x0d
	logPageSSD         = 0x11
	logPageIE          = 0x2f // Informational Exceptions
)

// scsiCDB builders.
func inquiryCDB(vpd bool, page uint8, alloc uint16) []byte {
	b := []byte{scsiInquiry, 0, page, 0, 0, 0}
	if vpd {
		b[1] = 1
	}
	binary.BigEndian.PutUint16(b[3:], alloc)
	return b
}

func readCapacity16CDB() []byte {
	b := make([]byte, 16)
	b[0], b[1] = scsiServiceIn16, scsiReadCap16SA
	binary.BigEndian.PutUint32(b[10:], 32)
	return b
}

func readCapacity10CDB() []byte { return []byte{scsiReadCapacity10, 0, 0, 0, 0, 0, 0, 0, 0, 0} }

func modeSense6CDB(page uint8, alloc uint8) []byte {
	return []byte{scsiModeSense6, 0x08, page & 0x3f, 0, alloc, 0} // DBD: no block descriptors
}

func modeSense10CDB(page uint8, alloc uint16) []byte {
	b := []byte{scsiModeSense10, 0x08, page & 0x3f, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[7:], alloc)
	return b
}

// logSenseCDB asks for the cumulative values (PC 01b) of a log page.
func logSenseCDB(page uint8, alloc uint16) []byte {
	b := []byte{scsiLogSense, 0, 0x40 | page&0x3f, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[7:], alloc)
	return b
}

func requestSenseCDB() []byte { return []byte{scsiRequestSense, 0, 0, 0, 252, 0} }

// SCSIIdentity is what INQUIRY and READ CAPACITY say about a SCSI disk.
type SCSIIdentity struct {
	// DeviceType is the peripheral device type: 0 for a disk.
	DeviceType int
	Vendor     string
	Product    string
	Revision   string
	Serial     string
	// Blocks, BlockSize and PhysicalBlockSize come from READ CAPACITY.
	Blocks                       uint64
	BlockSize, PhysicalBlockSize int
}

// Model is vendor and product, as smartctl's scsi_model_name joins them.
func (s *SCSIIdentity) Model() string { return strings.TrimSpace(s.Vendor + " " + s.Product) }

// scsiString trims an INQUIRY identification field.
func scsiString(b []byte) string {
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}

// ParseInquiry decodes standard INQUIRY data (at least 36 bytes).
func ParseInquiry(b []byte) (*SCSIIdentity, error) {
	if len(b) < 36 {
		return nil, fmt.Errorf("INQUIRY: %d bytes: %w", len(b), ErrShortBuffer)
	}
	id := &SCSIIdentity{DeviceType: int(b[0] & 0x1f), Vendor: scsiString(b[8:16]), Product: scsiString(b[16:32])}
	if b[32] >= ' ' {
		id.Revision = scsiString(b[32:36])
	}
	return id, nil
}

// ParseUnitSerial decodes the Unit Serial Number VPD page (80h).
func ParseUnitSerial(b []byte) (string, error) {
	if len(b) < 4 || b[1] != vpdUnitSerial {
		return "", fmt.Errorf("VPD page 80h: %d bytes: %w", len(b), ErrShortBuffer)
	}
	n := min(int(binary.BigEndian.Uint16(b[2:])), len(b)-4)
	return scsiString(b[4 : 4+n]), nil
}

// ParseReadCapacity16 decodes READ CAPACITY(16) data into the number of
// blocks, the logical block size and the physical block size.
func ParseReadCapacity16(b []byte) (blocks uint64, lb, pb int, err error) {
	if len(b) < 14 {
		return 0, 0, 0, fmt.Errorf("READ CAPACITY(16): %d bytes: %w", len(b), ErrShortBuffer)
	}
	blocks = binary.BigEndian.Uint64(b) + 1
	lb = int(binary.BigEndian.Uint32(b[8:]))
	pb = lb << (b[13] & 0x0f)
	return blocks, lb, pb, nil
}

// ParseReadCapacity10 decodes READ CAPACITY(10) data.
func ParseReadCapacity10(b []byte) (blocks uint64, lb int, err error) {
	if len(b) < 8 {
		return 0, 0, fmt.Errorf("READ CAPACITY(10): %d bytes: %w", len(b), ErrShortBuffer)
	}
	return uint64(binary.BigEndian.Uint32(b)) + 1, int(binary.BigEndian.Uint32(b[4:])), nil
}

// ParseIECModePage finds the Informational Exceptions Control page in
// MODE SENSE(6) or (10) data and reports whether informational exceptions
// (SCSI's SMART) are enabled: the DEXCPT bit is clear.
func ParseIECModePage(b []byte, ten bool) (enabled bool, err error) {
	hdr, bdl := 4, 0
	if ten {
		if len(b) < 8 {
			return false, fmt.Errorf("MODE SENSE(10): %d bytes: %w", len(b), ErrShortBuffer)
		}
		hdr, bdl = 8, int(binary.BigEndian.Uint16(b[6:]))
	} else {
		if len(b) < 4 {
			return false, fmt.Errorf("MODE SENSE(6): %d bytes: %w", len(b), ErrShortBuffer)
		}
		bdl = int(b[3])
	}
	off := hdr + bdl
	if off+3 > len(b) || b[off]&0x3f != modePageIEC {
		return false, fmt.Errorf("MODE SENSE: no Informational Exceptions Control page: %w", ErrShortBuffer)
	}
	return b[off+2]&0x08 == 0, nil
}

// LogParam is one parameter of a log page.
type LogParam struct {
	Code  uint16
	Value []byte
}

// ParseLogPage decodes a LOG SENSE response into its page code and
// parameters.
func ParseLogPage(b []byte) (page uint8, params []LogParam, err error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("LOG SENSE: %d bytes: %w", len(b), ErrShortBuffer)
	}
	page = b[0] & 0x3f
	end := min(4+int(binary.BigEndian.Uint16(b[2:])), len(b))
	for p := b[4:end]; len(p) >= 4; {
		n := 4 + int(p[3])
		if n > len(p) {
			break
		}
		params = append(params, LogParam{Code: binary.BigEndian.Uint16(p), Value: p[4:n]})
		p = p[n:]
	}
	return page, params, nil
}

// ParseSupportedLogPages decodes the Supported Log Pages page (00h).
func ParseSupportedLogPages(b []byte) ([]uint8, error) {
	if len(b) < 4 || b[0]&0x3f != logPageSupported {
		return nil, fmt.Errorf("supported log pages: %w", ErrShortBuffer)
	}
	end := min(4+int(binary.BigEndian.Uint16(b[2:])), len(b))
	var out []uint8
	for _, c := range b[4:end] {
		out = append(out, c&0x3f)
	}
	return out, nil
}

func logParam(params []LogParam, code uint16) ([]byte, bool) {
	for _, p := range params {
		if p.Code == code {
			return p.Value, true
		}
	}
	return nil, false
}

// ieFailure reports whether an informational exception ASC is a warning
// (0Bh) or a failure prediction (5Dh), the conditions smartctl reports.
func ieFailure(asc uint8) bool { return asc == 0x0b || asc == 0x5d }

// SCSIHealth is the health smartctl reads from a SCSI disk.
type SCSIHealth struct {
	// IECAvailable is true when the Informational Exceptions Control mode
	// page could be read (smartctl's "SMART support is: Available");
	// IECEnabled when DEXCPT is clear.
	IECAvailable, IECEnabled bool
	// ASC and ASCQ are the informational exception's additional sense code
	// and qualifier, from the IE log page or REQUEST SENSE.
	ASC, ASCQ uint8
	// Temperature is in Celsius, 255 when not available.
	Temperature uint8
	// PercentUsed is the SSD endurance indicator, -1 when not reported.
	PercentUsed int
}

// Health is the verdict: FAILED on a warning or failure prediction,
// PASSED when informational exceptions are available and quiet, else
// UNKNOWN.
func (h *SCSIHealth) Health() Health {
	switch {
	case ieFailure(h.ASC):
		return Failed
	case h.IECAvailable:
		return Passed
	}
	return Unknown
}

// scsiReport assembles a Report from decoded SCSI data.
func scsiReport(device string, id *SCSIIdentity, h *SCSIHealth) *Report {
	r := &Report{
		Device: device, Transport: SCSI, Source: SourceNative,
		Model: id.Model(), Serial: id.Serial, Firmware: id.Revision,
		Capacity: id.Blocks * uint64(id.BlockSize), LogicalBlockSize: id.BlockSize, PhysicalBlockSize: id.PhysicalBlockSize,
		SMARTAvailable: h.IECAvailable, SMARTEnabled: h.IECAvailable && h.IECEnabled, Health: h.Health(),
	}
	if h.Temperature != 255 {
		r.Temperature = ptr(int(h.Temperature))
	}
	if h.PercentUsed >= 0 {
		r.Wearout = ptr(max(100-h.PercentUsed, 0))
	}
	return r
}
