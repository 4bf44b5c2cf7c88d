package smart

import (
	"regexp"
)

// Health is a drive's overall SMART verdict.
type Health string

// The verdicts.
const (
	Passed  Health = "PASSED"
	Failed  Health = "FAILED"
	Unknown Health = "UNKNOWN"
)

// Transport is how a disk is attached.
type Transport string

// The transports Discover tells apart.
const (
	ATA    Transport = "ata"    // SATA/PATA, through libata (sdX)
	NVMe   Transport = "nvme"   // nvmeXnY
	SCSI   Transport = "scsi"   // SAS and other SCSI disks, and logical drives of RAID controllers
	Virtio Transport = "virtio" // vdX: no SMART
	USB    Transport = "usb"    // behind a USB bridge
	Other  Transport = "other"
)

// Source says where a Report's data came from.
type Source string

// The sources.
const (
	SourceNative   Source = "native"   // SG_IO / NVMe admin ioctls
	SourceSmartctl Source = "smartctl" // smartctl -a -j
)

// Report is a disk's identity and health.
type Report struct {
	Device    string    `json:"device"`
	Transport Transport `json:"transport"`
	Source    Source    `json:"source"`
	Model     string    `json:"model"`
	// ModelFamily is the drive database's family ("Samsung based SSDs"),
	// "" when the drive is not in it.
	ModelFamily string `json:"model_family,omitempty"`
	Serial      string `json:"serial"`
	Firmware    string `json:"firmware"`
	// Capacity is the user capacity in bytes.
	Capacity          uint64 `json:"capacity"`
	LogicalBlockSize  int    `json:"logical_block_size,omitempty"`
	PhysicalBlockSize int    `json:"physical_block_size,omitempty"`
	RotationRate      int    `json:"rotation_rate,omitempty"` // 1 = SSD, else rpm; 0 unknown
	SMARTAvailable    bool   `json:"smart_available"`
	SMARTEnabled      bool   `json:"smart_enabled"`
	Health            Health `json:"health"`
	// Temperature (Celsius), PowerOnHours, PowerCycles and Wearout are
	// nil when the drive does not report them. Wearout is the life left in
	// percent (100 = new), as Proxmox VE shows it.
	Temperature  *int    `json:"temperature,omitempty"`
	PowerOnHours *uint64 `json:"power_on_hours,omitempty"`
	PowerCycles  *uint64 `json:"power_cycles,omitempty"`
	Wearout      *int    `json:"wearout,omitempty"`
	// Attributes are the ATA SMART attributes, in the drive's order.
	Attributes []Attribute `json:"attributes,omitempty"`
	// NVMe is the NVMe health log.
	NVMe *NVMeHealth `json:"nvme,omitempty"`
	// Messages are smartctl's messages, when it was the source.
	Messages []string `json:"messages,omitempty"`
}

// Attribute returns the attribute with the given ID.
func (r *Report) Attribute(id int) (Attribute, bool) {
	for _, a := range r.Attributes {
		if a.ID == id {
			return a, true
		}
	}
	return Attribute{}, false
}

// IsSSD reports whether the drive is solid state: NVMe, or an ATA drive
// reporting rotation rate 1.
func (r *Report) IsSSD() bool { return r.Transport == NVMe || r.RotationRate == 1 }

// wearoutNames are the attribute names Proxmox VE looks for, in order,
// to find an SSD's life left: the first attribute whose name matches the
// first pattern that matches any attribute wins, with its normalized value.
var wearoutNames = func() []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, s := range []string{
		"Media_Wearout_Indicator", "SSD_Life_Left", "Wear_Leveling_Count", "Perc_Write/Erase_Ct_BC",
		"Perc_Rated_Life_Remain", "Remaining_Lifetime_Perc", "Percent_Lifetime_Remain", "Lifetime_Left",
		"PCT_Life_Remaining", "Lifetime_Remaining", "Percent_Life_Remaining", "Percent_Lifetime_Used",
		"Perc_Rated_Life_Used",
	} {
		out = append(out, regexp.MustCompile(regexp.QuoteMeta(s)))
	}
	return out
}()

// ATAWearout returns an ATA SSD's life left as Proxmox VE computes it:
// the normalized value of the first attribute matching its ordered list
// of names (Media_Wearout_Indicator, SSD_Life_Left, Wear_Leveling_Count,
// ...). It reports false when no attribute matches.
func ATAWearout(attrs []Attribute) (int, bool) {
	for _, re := range wearoutNames {
		for _, a := range attrs {
			if re.MatchString(a.Name) {
				return a.Value, true
			}
		}
	}
	return 0, false
}

// finish fills the derived fields: wear-out for SSDs, temperature, power
// on hours and cycles from the attributes or the NVMe log.
func (r *Report) finish() {
	if r.NVMe != nil {
		if r.Temperature == nil {
			r.Temperature = ptr(r.NVMe.Temperature)
		}
		if r.PowerOnHours == nil {
			r.PowerOnHours = ptr(r.NVMe.PowerOnHours)
		}
		if r.PowerCycles == nil {
			r.PowerCycles = ptr(r.NVMe.PowerCycles)
		}
		if r.Wearout == nil {
			r.Wearout = ptr(r.NVMe.Wearout())
		}
		return
	}
	// A spinning disk (rotation rate above 1) has no wear-out; a drive
	// that does not report its rotation rate may still be an SSD.
	if r.Wearout == nil && r.RotationRate <= 1 {
		if w, ok := ATAWearout(r.Attributes); ok {
			r.Wearout = ptr(w)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// ataTemperature returns the temperature the way smartctl does without a
// drive database entry: the low byte of attribute 194, else 190, when it
// is between 1 and 127.
func ataTemperature(attrs []Attribute, defs *AttrDefs) (int, bool) {
	for _, id := range []int{194, 190, 9, 220} {
		f := defs[id]
		ok := (id == 194 || id == 190) && !f.set || f.set && (f.Format == FormatTempMinMax || f.Format == FormatTemp10x)
		if !ok {
			continue
		}
		for _, a := range attrs {
			if a.ID != id {
				continue
			}
			t := int(uint8(a.Raw))
			if f.set && f.Format == FormatTemp10x {
				t = (int(uint16(a.Raw)) + 5) / 10
			}
			if t > 0 && t < 128 {
				return t, true
			}
		}
	}
	return 0, false
}

// ataPowerOn returns power-on hours and power cycles from attributes 9
// and 12 with smartctl's plausibility limits.
func ataPowerOn(attrs []Attribute, defs *AttrDefs) (hours, cycles *uint64) {
	for _, a := range attrs {
		switch a.ID {
		case 9:
			if len(a.Name) < 9 || a.Name[:9] != "Power_On_" {
				continue
			}
			v := a.Raw
			f := defs[9]
			switch {
			case !f.set:
				v &= 0xffffffff
			case f.Format == FormatSec2Hour:
				v /= 3600
			case f.Format == FormatMin2Hour:
				v /= 60
			case f.Format == FormatHalfMin2Hour:
				v /= 120
			case f.Format == FormatMsec24Hour32:
				v &= 0xffffffff
			case f.Format == FormatRaw48 || f.Format == FormatRaw64 || f.Format == FormatRaw16Raw16 || f.Format == FormatRaw24Raw8:
			default:
				continue
			}
			if v <= 0xffffff {
				hours = ptr(v)
			}
		case 12:
			if a.Name != "Power_Cycle_Count" {
				continue
			}
			if f := defs[12]; f.set && f.Format != FormatRaw48 && f.Format != FormatRaw64 && f.Format != FormatRaw16Raw16 && f.Format != FormatRaw24Raw8 {
				continue
			}
			if a.Raw <= 0xffffff {
				cycles = ptr(a.Raw)
			}
		}
	}
	return hours, cycles
}
