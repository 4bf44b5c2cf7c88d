package smart

import (
	"fmt"
	"strconv"
	"strings"
)

// RawFormat says how an ATA attribute's six raw bytes are read and shown,
// with smartctl's names for the formats ("raw48", "tempminmax", ...).
type RawFormat string

// The raw formats smartctl knows.
const (
	FormatDefault      RawFormat = ""
	FormatRaw8         RawFormat = "raw8"
	FormatRaw16        RawFormat = "raw16"
	FormatRaw48        RawFormat = "raw48"
	FormatHex48        RawFormat = "hex48"
	FormatRaw56        RawFormat = "raw56"
	FormatHex56        RawFormat = "hex56"
	FormatRaw64        RawFormat = "raw64"
	FormatHex64        RawFormat = "hex64"
	FormatRaw16Raw16   RawFormat = "raw16(raw16)"
	FormatRaw16Avg16   RawFormat = "raw16(avg16)"
	FormatRaw24Raw8    RawFormat = "raw24(raw8)"
	FormatRaw24Div24   RawFormat = "raw24/raw24"
	FormatRaw24Div32   RawFormat = "raw24/raw32"
	FormatSec2Hour     RawFormat = "sec2hour"
	FormatMin2Hour     RawFormat = "min2hour"
	FormatHalfMin2Hour RawFormat = "halfmin2hour"
	FormatMsec24Hour32 RawFormat = "msec24hour32"
	FormatTempMinMax   RawFormat = "tempminmax"
	FormatTemp10x      RawFormat = "temp10x"
)

var knownFormats = map[RawFormat]bool{
	FormatRaw8: true, FormatRaw16: true, FormatRaw48: true, FormatHex48: true, FormatRaw56: true,
	FormatHex56: true, FormatRaw64: true, FormatHex64: true, FormatRaw16Raw16: true, FormatRaw16Avg16: true,
	FormatRaw24Raw8: true, FormatRaw24Div24: true, FormatRaw24Div32: true, FormatSec2Hour: true,
	FormatMin2Hour: true, FormatHalfMin2Hour: true, FormatMsec24Hour32: true, FormatTempMinMax: true,
	FormatTemp10x: true,
}

// AttrDef is how one attribute ID is named and decoded.
type AttrDef struct {
	Name   string
	Format RawFormat
	// ByteOrder picks the raw bytes, most significant first: '0'-'5'
	// raw bytes, 'r' the reserved byte, 'v' normalized, 'w' worst, 'z'
	// zero. Empty means the format's default.
	ByteOrder string
	// HDDOnly and SSDOnly limit a default name to one kind of drive.
	HDDOnly, SSDOnly bool
	// NoNormVal and NoWorstVal mark drives that store raw bytes in the
	// normalized or worst value.
	NoNormVal, NoWorstVal bool
	// set marks a drive-specific definition (one that overrides the
	// defaults), as smartctl's "-v" options and drive database do.
	set bool
}

// AttrDefs holds the definitions of all 256 IDs.
type AttrDefs [256]AttrDef

// defaultDefs are smartctl's built-in names and formats (its drive
// database's DEFAULT entry), used for every drive without a database
// match.
var defaultDefs = func() (d AttrDefs) {
	for _, s := range []string{
		"1,raw48,Raw_Read_Error_Rate", "2,raw48,Throughput_Performance", "3,raw16(avg16),Spin_Up_Time",
		"4,raw48,Start_Stop_Count", "5,raw16(raw16),Reallocated_Sector_Ct", "6,raw48,Read_Channel_Margin,HDD",
		"7,raw48,Seek_Error_Rate,HDD", "8,raw48,Seek_Time_Performance,HDD", "9,raw24(raw8),Power_On_Hours",
		"10,raw48,Spin_Retry_Count,HDD", "11,raw48,Calibration_Retry_Count,HDD", "12,raw48,Power_Cycle_Count",
		"13,raw48,Read_Soft_Error_Rate", "175,raw48,Program_Fail_Count_Chip,SSD", "176,raw48,Erase_Fail_Count_Chip,SSD",
		"177,raw48,Wear_Leveling_Count,SSD", "178,raw48,Used_Rsvd_Blk_Cnt_Chip,SSD", "179,raw48,Used_Rsvd_Blk_Cnt_Tot,SSD",
		"180,raw48,Unused_Rsvd_Blk_Cnt_Tot,SSD", "181,raw48,Program_Fail_Cnt_Total", "182,raw48,Erase_Fail_Count_Total,SSD",
		"183,raw48,Runtime_Bad_Block", "184,raw48,End-to-End_Error", "187,raw48,Reported_Uncorrect",
		"188,raw48,Command_Timeout", "189,raw48,High_Fly_Writes,HDD", "190,tempminmax,Airflow_Temperature_Cel",
		"191,raw48,G-Sense_Error_Rate,HDD", "192,raw48,Power-Off_Retract_Count", "193,raw48,Load_Cycle_Count,HDD",
		"194,tempminmax,Temperature_Celsius", "195,raw48,Hardware_ECC_Recovered", "196,raw16(raw16),Reallocated_Event_Count",
		"197,raw48,Current_Pending_Sector", "198,raw48,Offline_Uncorrectable", "199,raw48,UDMA_CRC_Error_Count",
		"200,raw48,Multi_Zone_Error_Rate,HDD", "201,raw48,Soft_Read_Error_Rate,HDD", "202,raw48,Data_Address_Mark_Errs,HDD",
		"203,raw48,Run_Out_Cancel", "204,raw48,Soft_ECC_Correction", "205,raw48,Thermal_Asperity_Rate",
		"206,raw48,Flying_Height,HDD", "207,raw48,Spin_High_Current,HDD", "208,raw48,Spin_Buzz,HDD",
		"209,raw48,Offline_Seek_Performnce,HDD", "220,raw48,Disk_Shift,HDD", "221,raw48,G-Sense_Error_Rate,HDD",
		"222,raw48,Loaded_Hours,HDD", "223,raw48,Load_Retry_Count,HDD", "224,raw48,Load_Friction,HDD",
		"225,raw48,Load_Cycle_Count,HDD", "226,raw48,Load-in_Time,HDD", "227,raw48,Torq-amp_Count,HDD",
		"228,raw48,Power-off_Retract_Count", "230,raw48,Head_Amplitude,HDD", "231,raw48,Temperature_Celsius,HDD",
		"232,raw48,Available_Reservd_Space", "233,raw48,Media_Wearout_Indicator,SSD", "240,raw24(raw8),Head_Flying_Hours,HDD",
		"241,raw48,Total_LBAs_Written", "242,raw48,Total_LBAs_Read", "250,raw48,Read_Error_Retry_Rate",
		"254,raw48,Free_Fall_Sensor,HDD",
	} {
		if err := d.apply(s, true); err != nil {
			panic(err)
		}
	}
	for i := range d {
		d[i].set = false
	}
	return d
}()

// oldVendorOpts maps smartctl's old "-v" spellings to the new ones.
var oldVendorOpts = map[string]string{
	"9,halfminutes":               "9,halfmin2hour,Power_On_Half_Minutes",
	"9,minutes":                   "9,min2hour,Power_On_Minutes",
	"9,seconds":                   "9,sec2hour,Power_On_Seconds",
	"9,temp":                      "9,tempminmax,Temperature_Celsius",
	"192,emergencyretractcyclect": "192,raw48,Emerg_Retract_Cycle_Ct",
	"193,loadunload":              "193,raw24/raw24",
	"194,10xCelsius":              "194,temp10x,Temperature_Celsius_x10",
	"194,unknown":                 "194,raw48,Unknown_Attribute",
	"197,increasing":              "197,raw48+,Total_Pending_Sectors",
	"198,offlinescanuncsectorct":  "198,raw48,Offline_Scan_UNC_SectCt",
	"198,increasing":              "198,raw48+,Total_Offl_Uncorrectabl",
	"200,writeerrorcount":         "200,raw48,Write_Error_Count",
	"201,detectedtacount":         "201,raw48,Detected_TA_Count",
	"220,temp":                    "220,tempminmax,Temperature_Celsius",
}

// Apply adds a definition in smartctl's "-v" syntax: "ID,FORMAT[:BYTEORDER][,NAME]"
// or "N,FORMAT[,NAME]" for every ID, as in "smartctl -v 9,minutes" or a
// drive database preset.
func (d *AttrDefs) Apply(opt string) error { return d.apply(opt, false) }

func (d *AttrDefs) apply(opt string, isDefault bool) error {
	if n, ok := oldVendorOpts[opt]; ok {
		opt = n
	}
	bad := func(why string) error { return fmt.Errorf("attribute definition %q: %s", opt, why) }
	f := strings.Split(opt, ",")
	if len(f) < 2 || len(f) > 4 || len(f) == 4 && !isDefault {
		return bad("want ID,FORMAT[,NAME]")
	}
	all := f[0] == "N"
	id := 0
	if !all {
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 || n > 255 {
			return bad("ID must be 1 to 255 or N")
		}
		id = n
	}
	def := AttrDef{set: true}
	fmtName := strings.TrimSuffix(f[1], "+") // "+": increasing, no effect on decoding
	if name, order, ok := strings.Cut(fmtName, ":"); ok {
		if isDefault || order == "" || len(order) > 8 || strings.Trim(order, "012345rvwz") != "" {
			return bad("bad byte order")
		}
		fmtName, def.ByteOrder = name, order
		def.NoNormVal = strings.Contains(order, "v")
		def.NoWorstVal = def.NoNormVal || strings.Contains(order, "w")
	}
	def.Format = RawFormat(fmtName)
	if !knownFormats[def.Format] {
		return bad("unknown format " + fmtName)
	}
	if def.ByteOrder == "" && (def.Format == FormatRaw64 || def.Format == FormatHex64) {
		def.NoNormVal, def.NoWorstVal = true, true
	}
	if len(f) >= 3 {
		if f[2] == "" || len(f[2]) > 32 {
			return bad("bad name")
		}
		def.Name = f[2]
	}
	if len(f) == 4 {
		switch f[3] {
		case "HDD":
			def.HDDOnly = true
		case "SSD":
			def.SSDOnly = true
		default:
			return bad("want HDD or SSD")
		}
	}
	if all {
		for i := range d {
			name := d[i].Name
			d[i] = def
			if def.Name == "" {
				d[i].Name = name
			}
		}
		return nil
	}
	if def.Name == "" {
		def.Name = d[id].Name
	}
	d[id] = def
	return nil
}

// DefaultAttrDefs returns smartctl's built-in definitions.
func DefaultAttrDefs() AttrDefs { return defaultDefs }

// name returns the attribute name as smartctl shows it for a drive with
// the given rotation rate (1 for SSDs, 0 when unknown).
func (d *AttrDefs) name(id uint8, rpm int) string {
	if d[id].set && d[id].Name != "" {
		return d[id].Name
	}
	def := defaultDefs[id]
	switch {
	case def.Name == "":
		return "Unknown_Attribute"
	case def.HDDOnly && rpm == 1:
		return "Unknown_SSD_Attribute"
	case def.SSDOnly && rpm > 1:
		return "Unknown_HDD_Attribute"
	}
	return def.Name
}

// format returns the effective raw format of id.
func (d *AttrDefs) format(id uint8) RawFormat {
	if d[id].set {
		return d[id].Format
	}
	if f := defaultDefs[id].Format; f != "" {
		return f
	}
	return FormatRaw48
}

// rawValue builds the 64-bit raw value of an attribute entry (12 bytes:
// id, flags, current, worst, raw[6], reserved) as the byte order says.
func (d *AttrDefs) rawValue(e []byte) uint64 {
	def := d[e[0]]
	order := ""
	if def.set {
		order = def.ByteOrder
	}
	if order == "" {
		switch f := d.format(e[0]); {
		case def.set && (f == FormatRaw64 || f == FormatHex64):
			order = "543210wv"
		case def.set && (f == FormatRaw56 || f == FormatHex56 || f == FormatRaw24Div32 || f == FormatMsec24Hour32):
			order = "r543210"
		default:
			order = "543210"
		}
	}
	var v uint64
	for _, c := range order {
		var b byte
		switch c {
		case '0', '1', '2', '3', '4', '5':
			b = e[5+int(c-'0')]
		case 'r':
			b = e[11]
		case 'v':
			b = e[3]
		case 'w':
			b = e[4]
		}
		v = v<<8 | uint64(b)
	}
	return v
}

// formatRaw renders a raw value as smartctl's attribute table does.
func formatRaw(format RawFormat, v uint64) string {
	var raw [6]uint8
	for i := range raw {
		raw[i] = uint8(v >> (8 * i))
	}
	word := [3]uint{uint(raw[0]) | uint(raw[1])<<8, uint(raw[2]) | uint(raw[3])<<8, uint(raw[4]) | uint(raw[5])<<8}
	switch format {
	case FormatRaw8:
		return fmt.Sprintf("%d %d %d %d %d %d", raw[5], raw[4], raw[3], raw[2], raw[1], raw[0])
	case FormatRaw16:
		return fmt.Sprintf("%d %d %d", word[2], word[1], word[0])
	case FormatHex48:
		return fmt.Sprintf("0x%012x", v)
	case FormatHex56:
		return fmt.Sprintf("0x%014x", v)
	case FormatHex64:
		return fmt.Sprintf("0x%016x", v)
	case FormatRaw16Raw16:
		s := strconv.FormatUint(uint64(word[0]), 10)
		if word[1] != 0 || word[2] != 0 {
			s += fmt.Sprintf(" (%d %d)", word[2], word[1])
		}
		return s
	case FormatRaw16Avg16:
		s := strconv.FormatUint(uint64(word[0]), 10)
		if word[1] != 0 {
			s += fmt.Sprintf(" (Average %d)", word[1])
		}
		return s
	case FormatRaw24Raw8:
		s := strconv.FormatUint(v&0xffffff, 10)
		if raw[3] != 0 || raw[4] != 0 || raw[5] != 0 {
			s += fmt.Sprintf(" (%d %d %d)", raw[5], raw[4], raw[3])
		}
		return s
	case FormatRaw24Div24:
		return fmt.Sprintf("%d/%d", uint32(v>>24), uint32(v&0xffffff))
	case FormatRaw24Div32:
		return fmt.Sprintf("%d/%d", uint32(v>>32), uint32(v))
	case FormatMin2Hour:
		m := uint64(word[0]) + uint64(word[1])<<16
		s := fmt.Sprintf("%dh+%02dm", m/60, m%60)
		if word[2] != 0 {
			s += fmt.Sprintf(" (%d)", word[2])
		}
		return s
	case FormatSec2Hour:
		return fmt.Sprintf("%dh+%02dm+%02ds", v/3600, v%3600/60, v%60)
	case FormatHalfMin2Hour:
		return fmt.Sprintf("%dh+%02dm", v/120, v%120/2)
	case FormatMsec24Hour32:
		ms := uint32(v >> 32)
		s := ms / 1000
		return fmt.Sprintf("%dh+%02dm+%02d.%03ds", uint32(v), s/60, s%60, ms%1000)
	case FormatTempMinMax:
		return formatTempMinMax(raw, word)
	case FormatTemp10x:
		return fmt.Sprintf("%d.%d", word[0]/10, word[0]%10)
	}
	return strconv.FormatUint(v, 10) // raw48, raw56, raw64
}

// checkTempWord classifies a 16-bit word as a possible temperature.
func checkTempWord(w uint) int {
	switch {
	case w <= 0x7f:
		return 0x11
	case w <= 0xff:
		return 0x01
	case w >= 0xff80:
		return 0x10
	}
	return 0
}

func checkTempRange(t int, ut1, ut2 uint8) (lo, hi int, ok bool) {
	t1, t2 := int(int8(ut1)), int(int8(ut2))
	if t1 > t2 {
		t1, t2 = t2, t1
	}
	if -60 <= t1 && t1 <= t && t <= t2 && t2 <= 120 && !(t1 == -1 && t2 <= 0) {
		return t1, t2, true
	}
	return 0, 0, false
}

// formatTempMinMax finds the minimum and maximum temperatures that drive
// vendors store in different raw bytes, as smartctl does.
func formatTempMinMax(raw [6]uint8, word [3]uint) string {
	t := int(int8(raw[0]))
	ctw0 := checkTempWord(word[0])
	format := -3
	var lo, hi int
	var ok bool
	if word[2] == 0 {
		switch {
		case word[1] == 0 && ctw0 != 0:
			format = 0
		default:
			if ctw0 != 0 {
				if lo, hi, ok = checkTempRange(t, raw[2], raw[3]); ok {
					format = 1
					break
				}
			}
			if raw[3] == 0 {
				if lo, hi, ok = checkTempRange(t, raw[1], raw[2]); ok {
					format = 2
					break
				}
			}
			format = -1
		}
	} else if ctw0 != 0 {
		if ctw0&checkTempWord(word[1])&checkTempWord(word[2]) != 0 {
			if lo, hi, ok = checkTempRange(t, raw[2], raw[4]); ok {
				format = 3
			}
		}
		if format != 3 {
			if lo, hi, ok = checkTempRange(t, raw[2], raw[3]); word[2] < 0x7fff && ok && hi >= 40 {
				format = 4
			} else {
				format = -2
			}
		}
	}
	switch format {
	case 0:
		return strconv.Itoa(t)
	case 1, 2, 3:
		return fmt.Sprintf("%d (Min/Max %d/%d)", t, lo, hi)
	case 4:
		return fmt.Sprintf("%d (Min/Max %d/%d #%d)", t, lo, hi, word[2])
	}
	return fmt.Sprintf("%d (%d %d %d %d %d)", raw[0], raw[5], raw[4], raw[3], raw[2], raw[1])
}
