package lvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrReport is matched by every error in decoding a report: bad JSON, a
// value that is not a number, an attribute string that does not decode.
var ErrReport = errors.New("bad LVM report")

// PV is a physical volume.
type PV struct {
	Name   string `json:"name"`    // the device, /dev/sda3
	VGName string `json:"vg_name"` // "" when in no VG
	Format string `json:"format"`  // lvm2
	Attr   PVAttr `json:"attr"`
	UUID   string `json:"uuid"`
	// Size is the PV's usable size, Free and Used its unallocated and
	// allocated parts; DevSize is the device's size.
	Size    uint64 `json:"size"`
	Free    uint64 `json:"free"`
	Used    uint64 `json:"used"`
	DevSize uint64 `json:"dev_size"`
	// PEStart is the offset of the first extent; PECount and
	// PEAllocCount count extents.
	PEStart      uint64   `json:"pe_start"`
	PECount      uint64   `json:"pe_count"`
	PEAllocCount uint64   `json:"pe_alloc_count"`
	Tags         []string `json:"tags,omitempty"`
}

// VG is a volume group.
type VG struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	Attr VGAttr `json:"attr"`
	// Size and Free in bytes; Free is what new LVs and extensions can
	// use.
	Size        uint64   `json:"size"`
	Free        uint64   `json:"free"`
	ExtentSize  uint64   `json:"extent_size"`
	ExtentCount uint64   `json:"extent_count"`
	FreeCount   uint64   `json:"free_count"`
	PVCount     int      `json:"pv_count"`
	LVCount     int      `json:"lv_count"`
	SnapCount   int      `json:"snap_count"`
	MissingPVs  int      `json:"missing_pv_count"`
	Seqno       uint64   `json:"seqno"`
	Tags        []string `json:"tags,omitempty"`
}

// LV is a logical volume.
type LV struct {
	Name   string `json:"name"`
	VGName string `json:"vg_name"`
	UUID   string `json:"uuid"`
	Attr   LVAttr `json:"attr"`
	// Size is the volume's size; for a thin volume its virtual size.
	Size uint64 `json:"size"`
	// Hidden is set for internal volumes (a pool's _tdata and _tmeta,
	// the metadata spare), which lvs -a lists in brackets.
	Hidden bool `json:"hidden,omitempty"`
	// Path is /dev/VG/LV ("" for hidden volumes and thin pools); DMPath
	// is the /dev/mapper name.
	Path   string `json:"path,omitempty"`
	DMPath string `json:"dm_path,omitempty"`
	// Pool is a thin volume's pool; Origin a snapshot's origin.
	Pool   string `json:"pool,omitempty"`
	Origin string `json:"origin,omitempty"`
	// DataPercent is the share of a thin pool's data space in use (of a
	// thin volume: of its virtual size); MetadataPercent that of a thin
	// pool's metadata. Nil when LVM reports none (inactive, or not thin).
	DataPercent     *float64 `json:"data_percent,omitempty"`
	MetadataPercent *float64 `json:"metadata_percent,omitempty"`
	// MetadataSize is a thin pool's metadata size.
	MetadataSize uint64 `json:"metadata_size,omitempty"`
	// Layout ("linear", "thin,pool", "thin,sparse") and Role ("public",
	// "private,thin,pool,data", "public,snapshot,thinsnapshot").
	Layout  []string  `json:"layout,omitempty"`
	Role    []string  `json:"role,omitempty"`
	Created time.Time `json:"created,omitzero"`
	Tags    []string  `json:"tags,omitempty"`
}

// FullName returns "VG/LV".
func (l *LV) FullName() string { return l.VGName + "/" + l.Name }

// IsThinPool reports whether the volume is a thin pool.
func (l *LV) IsThinPool() bool { return l.Attr.Type == TypeThinPool }

// IsThinVolume reports whether the volume is a thin volume.
func (l *LV) IsThinVolume() bool { return l.Attr.Type == TypeThinVolume }

// Report is the output of `lvm fullreport`: every VG with its PVs and LVs.
type Report struct {
	VGs []ReportVG `json:"vgs"`
}

// ReportVG is one VG of a full report. Physical volumes that belong to
// no VG come in an entry of their own, whose VG has an empty Name.
type ReportVG struct {
	VG  VG   `json:"vg"`
	PVs []PV `json:"pvs"`
	LVs []LV `json:"lvs"`
}

// Columns requested from pvs, vgs and lvs; a full report has them too.
var (
	pvColumns = "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free,pv_used,dev_size,pv_uuid,pe_start,pv_pe_count,pv_pe_alloc_count,pv_tags"
	vgColumns = "vg_name,vg_uuid,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,pv_count,lv_count,snap_count,vg_missing_pv_count,vg_seqno,vg_tags"
	lvColumns = "lv_name,vg_name,lv_uuid,lv_attr,lv_size,lv_path,lv_dm_path,pool_lv,origin,data_percent,metadata_percent,lv_metadata_size,lv_layout,lv_role,lv_time,lv_tags"
)

// reportJSON is the shape of --reportformat json output.
type reportJSON struct {
	Report []struct {
		PV []row `json:"pv"`
		VG []row `json:"vg"`
		LV []row `json:"lv"`
	} `json:"report"`
}

// row is one report line: every value arrives as a string. Only the
// columns this package reads are kept.
type row map[string]string

// wantedColumns are the columns kept from report rows; a full report
// has about 150 per LV, most of which nothing here reads.
var wantedColumns = func() map[string]bool {
	m := map[string]bool{}
	for _, cols := range []string{pvColumns, vgColumns, lvColumns} {
		for _, c := range strings.Split(cols, ",") {
			m[c] = true
		}
	}
	return m
}()

// UnmarshalJSON decodes a row. LVM writes rows as flat objects of
// plain strings, which a direct scan handles; anything else (escapes,
// other value types) goes through encoding/json.
func (r *row) UnmarshalJSON(b []byte) error {
	if m, ok := scanRow(b); ok {
		*r = m
		return nil
	}
	var all map[string]string
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	m := row{}
	for k, v := range all {
		if wantedColumns[k] {
			m[k] = v
		}
	}
	*r = m
	return nil
}

// scanRow reads {"key":"value", ...} with no escapes and valid UTF-8, keeping the wanted
// columns; ok is false for anything else. The input is valid JSON (the
// decoder checked it), so only the shape needs checking here.
func scanRow(b []byte) (row, bool) {
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	str := func() ([]byte, bool) {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		start, ascii := i+1, true
		for j := start; j < len(b); j++ {
			switch c := b[j]; {
			case c == '\\':
				return nil, false
			case c == '"':
				// encoding/json replaces invalid UTF-8; leave that to it.
				if !ascii && !utf8.Valid(b[start:j]) {
					return nil, false
				}
				i = j + 1
				return b[start:j], true
			case c >= utf8.RuneSelf:
				ascii = false
			}
		}
		return nil, false
	}
	m := make(row, 20)
	ws()
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	for first := true; ; first = false {
		ws()
		if i < len(b) && b[i] == '}' {
			i++
			ws()
			return m, i == len(b)
		}
		if !first {
			if i >= len(b) || b[i] != ',' {
				return nil, false
			}
			i++
			ws()
		}
		k, ok := str()
		if !ok {
			return nil, false
		}
		ws()
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i++
		ws()
		v, ok := str()
		if !ok {
			return nil, false
		}
		if wantedColumns[string(k)] {
			m[string(k)] = string(v)
		}
	}
}

// fields converts a row's strings, remembering the first error.
type fields struct {
	r    row
	what string // "pv /dev/sda3", for errors
	err  error
}

func (f *fields) fail(col, v, msg string) {
	if f.err == nil {
		f.err = fmt.Errorf("%w: %s: %s: %s %q", ErrReport, f.what, col, msg, v)
	}
}

func (f *fields) str(col string) string { return f.r[col] }

// size reads a byte count; "" reads as 0 when optional.
func (f *fields) size(col string, optional bool) uint64 {
	v, ok := f.r[col]
	if !ok {
		f.fail(col, "", "missing")
		return 0
	}
	if v == "" && optional {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		// lvm prints sizes it rounded with a fraction in some setups.
		if x, ferr := strconv.ParseFloat(v, 64); ferr == nil && x >= 0 && x < 1<<63 && !strings.ContainsAny(v, "eE") {
			return uint64(x)
		}
		f.fail(col, v, "not a byte count")
	}
	return n
}

func (f *fields) count(col string) int {
	n := f.size(col, false)
	if n > 1<<31 {
		f.fail(col, f.r[col], "out of range")
	}
	return int(n)
}

// percent reads a percentage; "" means none.
func (f *fields) percent(col string) *float64 {
	v := f.r[col]
	if v == "" {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 || x > 100 {
		f.fail(col, v, "not a percentage")
		return nil
	}
	return &x
}

func (f *fields) list(col string) []string {
	v := f.r[col]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (f *fields) time(col string) time.Time {
	v := f.r[col]
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02 15:04:05 -0700", v)
	if err != nil {
		f.fail(col, v, "not a time")
	}
	return t
}

func decodePV(r row) (PV, error) {
	f := &fields{r: r, what: "pv " + r["pv_name"]}
	p := PV{
		Name: f.str("pv_name"), VGName: f.str("vg_name"), Format: f.str("pv_fmt"), UUID: f.str("pv_uuid"),
		Size: f.size("pv_size", false), Free: f.size("pv_free", false), Used: f.size("pv_used", false),
		DevSize: f.size("dev_size", false), PEStart: f.size("pe_start", false),
		PECount: f.size("pv_pe_count", false), PEAllocCount: f.size("pv_pe_alloc_count", false),
		Tags: f.list("pv_tags"),
	}
	if f.err != nil {
		return p, f.err
	}
	if p.Name == "" {
		return p, fmt.Errorf("%w: pv without pv_name", ErrReport)
	}
	var err error
	p.Attr, err = ParsePVAttr(f.str("pv_attr"))
	if err != nil {
		return p, fmt.Errorf("%s: %w", f.what, err)
	}
	return p, nil
}

func decodeVG(r row) (VG, error) {
	f := &fields{r: r, what: "vg " + r["vg_name"]}
	v := VG{
		Name: f.str("vg_name"), UUID: f.str("vg_uuid"),
		Size: f.size("vg_size", false), Free: f.size("vg_free", false), ExtentSize: f.size("vg_extent_size", false),
		ExtentCount: f.size("vg_extent_count", false), FreeCount: f.size("vg_free_count", false),
		PVCount: f.count("pv_count"), LVCount: f.count("lv_count"), SnapCount: f.count("snap_count"),
		MissingPVs: f.count("vg_missing_pv_count"), Seqno: f.size("vg_seqno", false), Tags: f.list("vg_tags"),
	}
	if f.err != nil {
		return v, f.err
	}
	if v.Name == "" {
		return v, fmt.Errorf("%w: vg without vg_name", ErrReport)
	}
	if v.Free > v.Size {
		return v, fmt.Errorf("%w: %s: vg_free %d exceeds vg_size %d", ErrReport, f.what, v.Free, v.Size)
	}
	var err error
	v.Attr, err = ParseVGAttr(f.str("vg_attr"))
	if err != nil {
		return v, fmt.Errorf("%s: %w", f.what, err)
	}
	return v, nil
}

func decodeLV(r row) (LV, error) {
	name := r["lv_name"]
	hidden := len(name) > 2 && name[0] == '[' && name[len(name)-1] == ']'
	if hidden {
		name = name[1 : len(name)-1]
	}
	f := &fields{r: r, what: "lv " + r["vg_name"] + "/" + name}
	l := LV{
		Name: name, VGName: f.str("vg_name"), UUID: f.str("lv_uuid"), Hidden: hidden,
		Size: f.size("lv_size", false), Path: f.str("lv_path"), DMPath: f.str("lv_dm_path"),
		Pool: f.str("pool_lv"), Origin: f.str("origin"),
		DataPercent: f.percent("data_percent"), MetadataPercent: f.percent("metadata_percent"),
		MetadataSize: f.size("lv_metadata_size", true),
		Layout:       f.list("lv_layout"), Role: f.list("lv_role"), Created: f.time("lv_time"), Tags: f.list("lv_tags"),
	}
	if f.err != nil {
		return l, f.err
	}
	if l.Name == "" || l.VGName == "" {
		return l, fmt.Errorf("%w: lv without lv_name or vg_name", ErrReport)
	}
	var err error
	l.Attr, err = ParseLVAttr(f.str("lv_attr"))
	if err != nil {
		return l, fmt.Errorf("%s: %w", f.what, err)
	}
	return l, nil
}

func parseJSON(data []byte) (*reportJSON, error) {
	var rep reportJSON
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReport, err)
	}
	if rep.Report == nil {
		return nil, fmt.Errorf("%w: no \"report\" array", ErrReport)
	}
	return &rep, nil
}

// ParsePVs decodes `pvs --reportformat json --units b --nosuffix`.
func ParsePVs(data []byte) ([]PV, error) {
	rep, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	var out []PV
	for _, r := range rep.Report {
		for _, x := range r.PV {
			p, err := decodePV(x)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// ParseVGs decodes `vgs --reportformat json --units b --nosuffix`.
func ParseVGs(data []byte) ([]VG, error) {
	rep, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	var out []VG
	for _, r := range rep.Report {
		for _, x := range r.VG {
			v, err := decodeVG(x)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// ParseLVs decodes `lvs --reportformat json --units b --nosuffix`.
func ParseLVs(data []byte) ([]LV, error) {
	rep, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	var out []LV
	for _, r := range rep.Report {
		for _, x := range r.LV {
			l, err := decodeLV(x)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// ParseFullReport decodes `lvm fullreport --reportformat json --units b
// --nosuffix`: one report per VG, each with its VG, PVs and LVs.
func ParseFullReport(data []byte) (*Report, error) {
	rep, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	out := &Report{}
	for _, r := range rep.Report {
		var rv ReportVG
		for _, x := range r.VG {
			if rv.VG, err = decodeVG(x); err != nil {
				return nil, err
			}
		}
		for _, x := range r.PV {
			p, err := decodePV(x)
			if err != nil {
				return nil, err
			}
			if p.VGName == "" {
				p.VGName = rv.VG.Name
			}
			rv.PVs = append(rv.PVs, p)
		}
		for _, x := range r.LV {
			if _, ok := x["vg_name"]; !ok {
				x["vg_name"] = rv.VG.Name
			}
			l, err := decodeLV(x)
			if err != nil {
				return nil, err
			}
			rv.LVs = append(rv.LVs, l)
		}
		out.VGs = append(out.VGs, rv)
	}
	return out, nil
}
