package zfs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Level is a pool layout as the Proxmox VE installer and admin guide name
// them.
type Level int

// The layouts of the admin guide.
const (
	RAID0  Level = iota + 1 // striping, no redundancy
	RAID1                   // one mirror of all disks
	RAID10                  // striped mirrors
	RAIDZ1                  // single parity
	RAIDZ2                  // double parity
	RAIDZ3                  // triple parity
	DRAID1                  // declustered RAID, single parity ("dRAID")
	DRAID2                  // declustered RAID, double parity
	DRAID3                  // declustered RAID, triple parity
)

var levels = [...]struct {
	name    string
	keyword string
	min     int // minimum number of data disks, from the admin guide
	parity  int
}{
	RAID0:  {"RAID0", "", 1, 0},
	RAID1:  {"RAID1", "mirror", 2, 0},
	RAID10: {"RAID10", "mirror", 4, 0},
	RAIDZ1: {"RAIDZ-1", "raidz1", 3, 1},
	RAIDZ2: {"RAIDZ-2", "raidz2", 4, 2},
	RAIDZ3: {"RAIDZ-3", "raidz3", 5, 3},
	DRAID1: {"dRAID", "draid1", 2, 1},
	DRAID2: {"dRAID2", "draid2", 3, 2},
	DRAID3: {"dRAID3", "draid3", 4, 3},
}

// Levels lists every layout, in order.
func Levels() []Level {
	return []Level{RAID0, RAID1, RAID10, RAIDZ1, RAIDZ2, RAIDZ3, DRAID1, DRAID2, DRAID3}
}

func (l Level) valid() bool { return l >= RAID0 && l <= DRAID3 }

// String returns the admin guide's name: "RAID10", "RAIDZ-2", "dRAID3".
func (l Level) String() string {
	if !l.valid() {
		return "Level(" + strconv.Itoa(int(l)) + ")"
	}
	return levels[l].name
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) {
	if !l.valid() {
		return nil, invalidf("unknown level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a level with ParseLevel.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MinDisks returns the admin guide's minimum number of disks (for dRAID,
// not counting distributed spares).
func (l Level) MinDisks() int {
	if !l.valid() {
		return 0
	}
	return levels[l].min
}

// Parity returns the number of parity disks of a RAIDZ or dRAID level,
// 0 for the others.
func (l Level) Parity() int {
	if !l.valid() {
		return 0
	}
	return levels[l].parity
}

// IsRAIDZ reports whether l is RAIDZ-1, -2 or -3.
func (l Level) IsRAIDZ() bool { return l >= RAIDZ1 && l <= RAIDZ3 }

// IsDRAID reports whether l is a dRAID level.
func (l Level) IsDRAID() bool { return l >= DRAID1 && l <= DRAID3 }

// ParseLevel reads a level by its admin-guide name or zpool keyword, in
// any case: raid0, stripe, raid1, mirror, raid10, raidz, raidz1, raidz-1,
// raidz2, raidz3, draid, draid1, draid2, draid3.
func ParseLevel(s string) (Level, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.ReplaceAll(k, "-", "")
	switch k {
	case "raid0", "stripe", "single":
		return RAID0, nil
	case "raid1", "mirror":
		return RAID1, nil
	case "raid10":
		return RAID10, nil
	case "raidz", "raidz1", "raid5":
		return RAIDZ1, nil
	case "raidz2", "raid6":
		return RAIDZ2, nil
	case "raidz3":
		return RAIDZ3, nil
	case "draid", "draid1":
		return DRAID1, nil
	case "draid2":
		return DRAID2, nil
	case "draid3":
		return DRAID3, nil
	}
	return 0, invalidf("unknown RAID level %q (want raid0, raid1, raid10, raidz1, raidz2, raidz3, draid, draid2 or draid3)", s)
}

// Layout describes a pool to create. Only Pool, Level and Disks are
// required.
type Layout struct {
	Pool  string
	Level Level
	// Disks are the data devices, preferably /dev/disk/by-id paths.
	// RAID10 pairs them into mirrors in the order given.
	Disks []string
	// MirrorWidth is the number of disks in each mirror of RAID10; zero
	// means 2.
	MirrorWidth int
	// DRAIDData is the number of data devices in a dRAID redundancy
	// group; zero means ZFS's default of 8, or fewer when the disks
	// less parity and spares are fewer.
	DRAIDData int
	// DRAIDSpares is the number of distributed spares of dRAID; zero
	// means none.
	DRAIDSpares int
	// Ashift is the base-2 logarithm of the pool's sector size, 9 to 16;
	// zero means 12 (4 KiB sectors), as the admin guide uses.
	Ashift int
	// Cache devices (L2ARC); they are never mirrored.
	Cache []string
	// Log devices (separate ZIL); LogMirror mirrors them.
	Log       []string
	LogMirror bool
	// Special devices hold metadata and small blocks; SpecialMirror
	// mirrors them. Their redundancy should match the pool's.
	Special       []string
	SpecialMirror bool
	// Spares are hot spare disks.
	Spares []string
	// Compression, when set, is applied to the root dataset (-O
	// compression=...); empty leaves ZFS's default.
	Compression string
	// Options are further pool properties (-o); FSOptions root dataset
	// properties (-O). Nil means none.
	Options   map[string]string
	FSOptions map[string]string
	// Sizes maps devices to their size in bytes, for the capacity
	// estimate; devices missing from it make the estimate unknown.
	Sizes map[string]uint64
}

// VdevSpec is one top-level vdev of a plan.
type VdevSpec struct {
	// Type is "disk", "mirror", "raidz1" to "raidz3" or "draid1" to
	// "draid3".
	Type    string   `json:"type"`
	Devices []string `json:"devices"`
	// dRAID geometry: data devices per group, distributed spares and
	// the number of groups in a slice (computed as ZFS does).
	DRAIDData   int `json:"draid_data,omitempty"`
	DRAIDSpares int `json:"draid_spares,omitempty"`
	DRAIDGroups int `json:"draid_groups,omitempty"`
}

// Keyword returns the vdev's zpool create keyword: "" for a single disk,
// "mirror", "raidz2", or "draid2:4d:10c:1s".
func (v VdevSpec) Keyword() string {
	switch {
	case v.Type == "disk":
		return ""
	case strings.HasPrefix(v.Type, "draid"):
		k := fmt.Sprintf("%s:%dd:%dc", v.Type, v.DRAIDData, len(v.Devices))
		if v.DRAIDSpares > 0 {
			k += fmt.Sprintf(":%ds", v.DRAIDSpares)
		}
		return k
	}
	return v.Type
}

// Plan is a validated layout: the vdevs, the zpool create command line,
// the capacity estimate and the warnings the admin guide gives.
type Plan struct {
	Pool    string            `json:"pool"`
	Level   Level             `json:"level"`
	Ashift  int               `json:"ashift"`
	Vdevs   []VdevSpec        `json:"vdevs"`
	Special []VdevSpec        `json:"special,omitempty"`
	Log     []VdevSpec        `json:"log,omitempty"`
	Cache   []string          `json:"cache,omitempty"`
	Spares  []string          `json:"spares,omitempty"`
	Options map[string]string `json:"options"`
	// FSOptions are the root dataset's properties.
	FSOptions map[string]string `json:"fs_options,omitempty"`
	// Redundancy is how many disks of each data vdev may fail without
	// losing the pool.
	Redundancy int `json:"redundancy"`
	// Argv is the zpool create command line ("zpool", "create", "-f",
	// "-o", "ashift=12", ...).
	Argv []string `json:"argv"`
	// Capacity is nil when a device's size is unknown.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Warnings are the admin guide's cautions that apply to the layout.
	Warnings []string `json:"warnings,omitempty"`
}

// Capacity estimates a pool's space the way the admin guide reasons:
// the sum of stripes, one disk per mirror, N-P disks per RAIDZ vdev.
// Metadata, RAIDZ padding and the pool's slop space are not counted.
type Capacity struct {
	Raw    uint64 `json:"raw"`    // sum of the data devices' sizes
	Usable uint64 `json:"usable"` // estimate of the space for data
}

// Plan validates the layout and returns the plan. Errors match
// ErrInvalid.
func (l *Layout) Plan() (*Plan, error) {
	if err := ValidatePoolName(l.Pool); err != nil {
		return nil, err
	}
	if !l.Level.valid() {
		return nil, invalidf("no RAID level given")
	}
	p := &Plan{Pool: l.Pool, Level: l.Level, Ashift: l.Ashift, Options: map[string]string{}}
	if p.Ashift == 0 {
		p.Ashift = 12
	}
	if p.Ashift < 9 || p.Ashift > 16 {
		return nil, invalidf("ashift %d out of range 9 to 16", l.Ashift)
	}
	if err := checkDevices(l); err != nil {
		return nil, err
	}
	n := len(l.Disks)
	if n < l.Level.MinDisks() {
		return nil, invalidf("%v requires at least %d disks, got %d", l.Level, l.Level.MinDisks(), n)
	}
	switch lv := l.Level; {
	case lv == RAID0:
		for _, d := range l.Disks {
			p.Vdevs = append(p.Vdevs, VdevSpec{Type: "disk", Devices: []string{d}})
		}
	case lv == RAID1:
		p.Vdevs = []VdevSpec{{Type: "mirror", Devices: slices.Clone(l.Disks)}}
		p.Redundancy = n - 1
	case lv == RAID10:
		w := l.MirrorWidth
		if w == 0 {
			w = 2
		}
		if w < 2 {
			return nil, invalidf("mirror width %d: a mirror needs at least 2 disks", w)
		}
		if n%w != 0 || n < 2*w {
			return nil, invalidf("RAID10 with %d-way mirrors needs a multiple of %d disks, at least %d; got %d", w, w, 2*w, n)
		}
		for i := 0; i < n; i += w {
			p.Vdevs = append(p.Vdevs, VdevSpec{Type: "mirror", Devices: slices.Clone(l.Disks[i : i+w])})
		}
		p.Redundancy = w - 1
	case lv.IsRAIDZ():
		p.Vdevs = []VdevSpec{{Type: levels[lv].keyword, Devices: slices.Clone(l.Disks)}}
		p.Redundancy = lv.Parity()
		if lv == RAIDZ2 && n == 4 {
			p.warn("a 4-disk RAIDZ-2 has the usable space of two mirror vdevs (RAID10), which perform better")
		}
	case lv.IsDRAID():
		v, err := draidVdev(lv, l.Disks, l.DRAIDData, l.DRAIDSpares)
		if err != nil {
			return nil, err
		}
		p.Vdevs = []VdevSpec{v}
		p.Redundancy = lv.Parity()
		if n < 10 {
			p.warn("dRAID is intended for more than 10-15 disks; a RAIDZ layout is usually better for %d", n)
		}
		if l.DRAIDSpares == 0 {
			p.warn("dRAID without distributed spares gets no faster rebuild")
		}
	}
	if l.DRAIDSpares != 0 && !l.Level.IsDRAID() || l.DRAIDData != 0 && !l.Level.IsDRAID() {
		return nil, invalidf("dRAID data and spares given for %v", l.Level)
	}
	if len(l.Special) > 0 {
		v, red, err := auxVdevs("special", l.Special, l.SpecialMirror)
		if err != nil {
			return nil, err
		}
		p.Special = v
		if red < p.Redundancy {
			p.warn("the special vdevs survive %d failed disks, the pool %d: the special device is a point of failure for the whole pool, match the pool's redundancy", red, p.Redundancy)
		}
	} else if l.SpecialMirror {
		return nil, invalidf("special mirror without special devices")
	}
	if len(l.Log) > 0 {
		v, _, err := auxVdevs("log", l.Log, l.LogMirror)
		if err != nil {
			return nil, err
		}
		p.Log = v
	} else if l.LogMirror {
		return nil, invalidf("log mirror without log devices")
	}
	p.Cache = slices.Clone(l.Cache)
	p.Spares = slices.Clone(l.Spares)
	for k, v := range l.Options {
		if k == "ashift" {
			return nil, invalidf("set the ashift with Layout.Ashift")
		}
		if err := checkPropArg(k, v); err != nil {
			return nil, err
		}
		p.Options[k] = v
	}
	p.Options["ashift"] = strconv.Itoa(p.Ashift)
	if p.Ashift == 9 {
		p.warn("ashift=9 can lead to bad performance on disks with 4K sectors and cannot be changed later")
	}
	if len(l.FSOptions) > 0 || l.Compression != "" {
		p.FSOptions = map[string]string{}
		for k, v := range l.FSOptions {
			if err := checkPropArg(k, v); err != nil {
				return nil, err
			}
			p.FSOptions[k] = v
		}
		if l.Compression != "" {
			p.FSOptions["compression"] = l.Compression
		}
		if c, ok := p.FSOptions["compression"]; ok {
			if err := ValidateCompression(c); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range allDevices(l) {
		if !stableDevicePath(d) {
			p.warn("%s is not a /dev/disk/by-id path: device names like sdX can change between boots", d)
			break
		}
	}
	p.Capacity = estimate(p, l.Sizes)
	if p.Capacity != nil && (l.Level == RAID1 || l.Level == RAID10) {
		for _, v := range p.Vdevs {
			if !sameSizes(v.Devices, l.Sizes) {
				p.warn("the disks of %s differ in size: a mirror has the capacity of its smallest disk", strings.Join(v.Devices, " "))
				break
			}
		}
	}
	p.Argv = p.argv()
	return p, nil
}

func (p *Plan) warn(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

func (p *Plan) argv() []string {
	a := []string{"zpool", "create", "-f", "-o", "ashift=" + strconv.Itoa(p.Ashift)}
	for _, k := range slices.Sorted(maps.Keys(p.Options)) {
		if k != "ashift" {
			a = append(a, "-o", k+"="+p.Options[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.FSOptions)) {
		a = append(a, "-O", k+"="+p.FSOptions[k])
	}
	a = append(a, p.Pool)
	return append(a, p.VdevArgs()...)
}

// VdevArgs returns the vdev part of the zpool create command line.
func (p *Plan) VdevArgs() []string {
	a := vdevArgs(nil, p.Vdevs)
	if len(p.Special) > 0 {
		a = vdevArgs(append(a, "special"), p.Special)
	}
	if len(p.Log) > 0 {
		a = vdevArgs(append(a, "log"), p.Log)
	}
	if len(p.Cache) > 0 {
		a = append(append(a, "cache"), p.Cache...)
	}
	if len(p.Spares) > 0 {
		a = append(append(a, "spare"), p.Spares...)
	}
	return a
}

func vdevArgs(a []string, vs []VdevSpec) []string {
	for _, v := range vs {
		if k := v.Keyword(); k != "" {
			a = append(a, k)
		}
		a = append(a, v.Devices...)
	}
	return a
}

// auxVdevs builds special or log vdevs and returns how many of their
// disks may fail.
func auxVdevs(class string, devs []string, mirror bool) ([]VdevSpec, int, error) {
	if mirror {
		if len(devs) < 2 {
			return nil, 0, invalidf("a %s mirror needs at least 2 devices, got %d", class, len(devs))
		}
		return []VdevSpec{{Type: "mirror", Devices: slices.Clone(devs)}}, len(devs) - 1, nil
	}
	var vs []VdevSpec
	for _, d := range devs {
		vs = append(vs, VdevSpec{Type: "disk", Devices: []string{d}})
	}
	return vs, 0, nil
}

// Limits of dRAID, from the zpoolconcepts manual page.
const (
	draidMaxChildren = 255
	draidMaxSpares   = 100
	draidDefaultData = 8
)

func draidVdev(lv Level, disks []string, data, spares int) (VdevSpec, error) {
	n, par := len(disks), lv.Parity()
	if spares < 0 || spares > draidMaxSpares {
		return VdevSpec{}, invalidf("dRAID spares %d out of range 0 to %d", spares, draidMaxSpares)
	}
	if n > draidMaxChildren {
		return VdevSpec{}, invalidf("dRAID takes at most %d disks, got %d", draidMaxChildren, n)
	}
	avail := n - spares - par
	if avail < 1 {
		return VdevSpec{}, invalidf("%v with %d spares requires at least %d disks, got %d", lv, spares, par+1+spares, n)
	}
	switch {
	case data < 0:
		return VdevSpec{}, invalidf("dRAID data %d is negative", data)
	case data == 0:
		data = min(draidDefaultData, avail)
	case data > avail:
		return VdevSpec{}, invalidf("dRAID data %d is too high: %d disks less %d parity and %d spares leave %d for data", data, n, par, spares, avail)
	}
	// The smallest number of groups that fills whole rows of the
	// disks that are not spares.
	groups := 1
	for groups*(data+par)%(n-spares) != 0 {
		groups++
	}
	return VdevSpec{Type: levels[lv].keyword, Devices: slices.Clone(disks), DRAIDData: data, DRAIDSpares: spares, DRAIDGroups: groups}, nil
}

func allDevices(l *Layout) []string {
	var all []string
	for _, s := range [][]string{l.Disks, l.Special, l.Log, l.Cache, l.Spares} {
		all = append(all, s...)
	}
	return all
}

func checkDevices(l *Layout) error {
	seen := map[string]bool{}
	for _, d := range allDevices(l) {
		if d == "" || strings.ContainsAny(d, "\x00\n") {
			return invalidf("invalid device name %q", d)
		}
		if strings.HasPrefix(d, "-") {
			return invalidf("device %q: must not begin with '-'", d)
		}
		if seen[d] {
			return invalidf("device %s given twice", d)
		}
		seen[d] = true
	}
	return nil
}

func checkPropArg(k, v string) error {
	if k == "" || strings.ContainsAny(k, "= \t\n") || strings.ContainsAny(v, "\n\x00") {
		return invalidf("invalid property %q=%q", k, v)
	}
	return nil
}

// stableDevicePath reports whether a device path survives device
// renaming: /dev/disk/by-id, by-path, by-partuuid, by-uuid or a file.
func stableDevicePath(d string) bool {
	return !strings.HasPrefix(d, "/dev/") || strings.HasPrefix(d, "/dev/disk/by-") || strings.HasPrefix(d, "/dev/mapper/")
}

func sameSizes(devs []string, sizes map[string]uint64) bool {
	for _, d := range devs[1:] {
		if sizes[d] != sizes[devs[0]] {
			return false
		}
	}
	return true
}

func estimate(p *Plan, sizes map[string]uint64) *Capacity {
	c := &Capacity{}
	for _, v := range p.Vdevs {
		var smallest uint64
		for i, d := range v.Devices {
			s, ok := sizes[d]
			if !ok || s == 0 {
				return nil
			}
			c.Raw += s
			if i == 0 || s < smallest {
				smallest = s
			}
		}
		n := uint64(len(v.Devices))
		switch {
		case v.Type == "disk":
			c.Usable += smallest
		case v.Type == "mirror":
			c.Usable += smallest
		case strings.HasPrefix(v.Type, "raidz"):
			c.Usable += (n - uint64(p.Level.Parity())) * smallest
		case strings.HasPrefix(v.Type, "draid"):
			// Spares hold no data; each group stores data/(data+parity).
			d, par := uint64(v.DRAIDData), uint64(p.Level.Parity())
			c.Usable += (n - uint64(v.DRAIDSpares)) * smallest / (d + par) * d
		}
	}
	return c
}

// Allocation is how a block is laid out on a RAIDZ vdev.
type Allocation struct {
	BlockSize     uint64 `json:"block_size"`     // the logical block (volblocksize)
	SectorSize    uint64 `json:"sector_size"`    // 1 << ashift
	DataSectors   int    `json:"data_sectors"`   // sectors holding data
	ParitySectors int    `json:"parity_sectors"` // parity sectors written with them
	PadSectors    int    `json:"pad_sectors"`    // padding to a multiple of parity+1
	// Written is data plus parity, the admin guide's figure: an 8K block
	// on RAIDZ-2 with ashift 12 writes 8K + 4K + 4K = 16K.
	Written uint64 `json:"written"`
	// Allocated adds the padding RAIDZ allocates as well.
	Allocated uint64 `json:"allocated"`
}

// Efficiency returns the share of allocated space that holds data.
func (a Allocation) Efficiency() float64 {
	if a.Allocated == 0 {
		return 0
	}
	return float64(a.BlockSize) / float64(a.Allocated)
}

// RAIDZAllocation computes how a block of blockSize bytes (a zvol's
// volblocksize) is stored on a RAIDZ vdev of disks devices with the given
// parity and ashift, the way ZFS sizes RAIDZ allocations: data sectors,
// parity sectors for every row of data, and padding to a multiple of
// parity+1 sectors. Compression and metadata are not accounted for.
func RAIDZAllocation(blockSize uint64, ashift, disks, parity int) (Allocation, error) {
	switch {
	case parity < 1 || parity > 3:
		return Allocation{}, invalidf("RAIDZ parity %d out of range 1 to 3", parity)
	case disks < parity+1:
		return Allocation{}, invalidf("RAIDZ-%d needs more than %d disks", parity, parity)
	case ashift < 9 || ashift > 16:
		return Allocation{}, invalidf("ashift %d out of range 9 to 16", ashift)
	case blockSize == 0 || blockSize > 16*MiB:
		return Allocation{}, invalidf("block size %d out of range", blockSize)
	}
	sector := uint64(1) << ashift
	data := int((blockSize + sector - 1) / sector)
	par := parity * ((data + disks - parity - 1) / (disks - parity))
	total := data + par
	padded := (total + parity) / (parity + 1) * (parity + 1)
	return Allocation{
		BlockSize:     blockSize,
		SectorSize:    sector,
		DataSectors:   data,
		ParitySectors: par,
		PadSectors:    padded - total,
		Written:       uint64(total) * sector,
		Allocated:     uint64(padded) * sector,
	}, nil
}
