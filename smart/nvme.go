package smart

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// NVMeController is what Identify Controller (CNS 01h) says.
type NVMeController struct {
	VendorID, SubsystemVendorID uint16
	Serial, Model, Firmware     string
	IEEEOUI                     uint32
	ControllerID                uint16
	// Version is the NVMe version the controller implements (VER:
	// major<<16 | minor<<8 | tertiary), zero on 1.0 controllers.
	Version uint32
	// WarningTemp and CriticalTemp are the composite temperature
	// thresholds in Kelvin (WCTEMP, CCTEMP), zero if not reported.
	WarningTemp, CriticalTemp int
	// TotalCapacity is TNVMCAP in bytes (saturated at 2^64-1), zero when
	// the controller does not report it.
	TotalCapacity uint64
	Namespaces    uint32
}

// ParseNVMeIdentifyController decodes the 4096-byte Identify Controller
// data structure.
func ParseNVMeIdentifyController(b []byte) (*NVMeController, error) {
	if len(b) < 4096 {
		return nil, fmt.Errorf("NVMe Identify Controller: %d bytes: %w", len(b), ErrShortBuffer)
	}
	le := binary.LittleEndian
	c := &NVMeController{
		VendorID:          le.Uint16(b[0:]),
		SubsystemVendorID: le.Uint16(b[2:]),
		Serial:            nvmeString(b[4:24]),
		Model:             nvmeString(b[24:64]),
		Firmware:          nvmeString(b[64:72]),
		IEEEOUI:           uint32(b[73]) | uint32(b[74])<<8 | uint32(b[75])<<16,
		ControllerID:      le.Uint16(b[78:]),
		Version:           le.Uint32(b[80:]),
		WarningTemp:       int(le.Uint16(b[266:])),
		CriticalTemp:      int(le.Uint16(b[268:])),
		TotalCapacity:     sat128(b[280:296]),
		Namespaces:        le.Uint32(b[516:]),
	}
	return c, nil
}

func nvmeString(b []byte) string {
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}

// sat128 reads a little-endian 128-bit counter, saturating at the
// largest uint64 (2^64 data units of 512,000 bytes is beyond any drive).
func sat128(b []byte) uint64 {
	if binary.LittleEndian.Uint64(b[8:]) != 0 {
		return math.MaxUint64
	}
	return binary.LittleEndian.Uint64(b)
}

// Critical warning bits of the health log (NVMe base spec, log page 02h).
const (
	WarnSpare          = 1 << 0 // available spare below threshold
	WarnTemperature    = 1 << 1 // temperature above or below a threshold
	WarnReliability    = 1 << 2 // NVM subsystem reliability degraded
	WarnReadOnly       = 1 << 3 // media placed in read-only mode
	WarnVolatileBackup = 1 << 4 // volatile memory backup device failed
	WarnPMR            = 1 << 5 // persistent memory region read-only or unreliable
)

// NVMeHealth is the SMART / Health Information log page (02h).
type NVMeHealth struct {
	CriticalWarning uint8 `json:"critical_warning"`
	// Temperature is the composite temperature in degrees Celsius.
	Temperature             int `json:"temperature"`
	AvailableSpare          int `json:"available_spare"`
	AvailableSpareThreshold int `json:"available_spare_threshold"`
	// PercentageUsed is the vendor's estimate of life used; it may exceed
	// 100.
	PercentageUsed int `json:"percentage_used"`
	// DataUnitsRead and DataUnitsWritten count thousands of 512-byte
	// units (1 unit = 512,000 bytes).
	DataUnitsRead      uint64 `json:"data_units_read"`
	DataUnitsWritten   uint64 `json:"data_units_written"`
	HostReads          uint64 `json:"host_reads"`
	HostWrites         uint64 `json:"host_writes"`
	ControllerBusyTime uint64 `json:"controller_busy_time"`
	PowerCycles        uint64 `json:"power_cycles"`
	PowerOnHours       uint64 `json:"power_on_hours"`
	UnsafeShutdowns    uint64 `json:"unsafe_shutdowns"`
	MediaErrors        uint64 `json:"media_errors"`
	ErrorLogEntries    uint64 `json:"num_err_log_entries"`
	// WarningTempTime and CriticalTempTime are minutes spent above the
	// thresholds.
	WarningTempTime  uint32 `json:"warning_temp_time"`
	CriticalTempTime uint32 `json:"critical_comp_time"`
	// TemperatureSensors are sensors 1-8 in Celsius; absent sensors are
	// left out, so the slice may be shorter than 8.
	TemperatureSensors []int `json:"temperature_sensors,omitempty"`
}

// kelvin converts as smartctl does (K - 273).
func kelvin(k uint16) int { return int(k) - 273 }

// ParseNVMeHealth decodes the 512-byte health log.
func ParseNVMeHealth(b []byte) (*NVMeHealth, error) {
	if len(b) < 512 {
		return nil, fmt.Errorf("NVMe health log: %d bytes: %w", len(b), ErrShortBuffer)
	}
	le := binary.LittleEndian
	h := &NVMeHealth{
		CriticalWarning:         b[0],
		Temperature:             kelvin(le.Uint16(b[1:])),
		AvailableSpare:          int(b[3]),
		AvailableSpareThreshold: int(b[4]),
		PercentageUsed:          int(b[5]),
		DataUnitsRead:           sat128(b[32:]),
		DataUnitsWritten:        sat128(b[48:]),
		HostReads:               sat128(b[64:]),
		HostWrites:              sat128(b[80:]),
		ControllerBusyTime:      sat128(b[96:]),
		PowerCycles:             sat128(b[112:]),
		PowerOnHours:            sat128(b[128:]),
		UnsafeShutdowns:         sat128(b[144:]),
		MediaErrors:             sat128(b[160:]),
		ErrorLogEntries:         sat128(b[176:]),
		WarningTempTime:         le.Uint32(b[192:]),
		CriticalTempTime:        le.Uint32(b[196:]),
	}
	for i := range 8 {
		if k := le.Uint16(b[200+2*i:]); k != 0 {
			h.TemperatureSensors = append(h.TemperatureSensors, kelvin(k))
		}
	}
	return h, nil
}

// Health is the overall verdict of the drive's critical warning: any bit
// set fails it, as smartctl's "SMART overall-health" line does.
func (h *NVMeHealth) Health() Health {
	if h.CriticalWarning != 0 {
		return Failed
	}
	return Passed
}

// Wearout returns the life left in percent the way Proxmox VE computes it
// for NVMe: 100 minus Percentage Used, not below 0.
func (h *NVMeHealth) Wearout() int { return max(100-h.PercentageUsed, 0) }
