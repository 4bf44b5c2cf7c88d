package lvm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is matched by every error in parsing LVM text metadata.
var ErrSyntax = errors.New("syntax error")

// MetadataError reports malformed LVM text metadata with its position.
type MetadataError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *MetadataError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) hold.
func (e *MetadataError) Is(target error) bool { return target == ErrSyntax }

// sectorSize is the unit of extent_size, dev_size, pe_start and
// chunk_size in LVM metadata.
const sectorSize = 512

// Metadata is a volume group's text metadata, as LVM keeps it in
// /etc/lvm/backup/VG and /etc/lvm/archive: what the VG looked like after
// (or before) its last change, readable without root, without the
// device-mapper and on a system that is not running.
type Metadata struct {
	Description string    `json:"description"` // the command that wrote it
	Host        string    `json:"creation_host"`
	Time        time.Time `json:"creation_time"`
	VG          MetadataVG
}

// MetadataVG is the volume group described.
type MetadataVG struct {
	Name   string   `json:"name"`
	ID     string   `json:"id"`
	Seqno  uint64   `json:"seqno"`
	Status []string `json:"status"`
	// ExtentSize in bytes.
	ExtentSize uint64       `json:"extent_size"`
	PVs        []MetadataPV `json:"pvs"`
	LVs        []MetadataLV `json:"lvs"`
}

// MetadataPV is one physical volume of the VG.
type MetadataPV struct {
	Name    string `json:"name"` // pv0, pv1, ...
	ID      string `json:"id"`
	Device  string `json:"device"` // a hint: the device when the metadata was written
	DevSize uint64 `json:"dev_size"`
	PEStart uint64 `json:"pe_start"`
	PECount uint64 `json:"pe_count"`
}

// MetadataLV is one logical volume, hidden ones included.
type MetadataLV struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	Status   []string          `json:"status"`
	Flags    []string          `json:"flags,omitempty"`
	Visible  bool              `json:"visible"`
	Created  time.Time         `json:"creation_time,omitzero"`
	Host     string            `json:"creation_host,omitempty"`
	Segments []MetadataSegment `json:"segments"`
	// Size is the volume's size in bytes: the extents of its segments,
	// virtual for thin volumes.
	Size uint64 `json:"size"`
}

// MetadataSegment is one segment of an LV.
type MetadataSegment struct {
	StartExtent uint64 `json:"start_extent"`
	ExtentCount uint64 `json:"extent_count"`
	// Type is striped (linear when one stripe), thin-pool, thin, raid1,
	// snapshot, ...
	Type string `json:"type"`
	// Stripes lists the PV of each stripe (pv0, ...).
	Stripes []string `json:"stripes,omitempty"`
	// A thin pool's data and metadata volumes, and its chunk size in
	// bytes.
	Pool      string `json:"pool,omitempty"`
	Metadata  string `json:"metadata,omitempty"`
	ChunkSize uint64 `json:"chunk_size,omitempty"`
	// A thin volume's pool and, for a snapshot, its origin.
	ThinPool string `json:"thin_pool,omitempty"`
	Origin   string `json:"origin,omitempty"`
}

// LV returns the named volume, or nil.
func (v *MetadataVG) LV(name string) *MetadataLV {
	for i := range v.LVs {
		if v.LVs[i].Name == name {
			return &v.LVs[i]
		}
	}
	return nil
}

// Size returns the VG's size in bytes: every PV's extents.
func (v *MetadataVG) Size() uint64 {
	var n uint64
	for _, p := range v.PVs {
		n += p.PECount
	}
	return n * v.ExtentSize
}

// Free returns the bytes not allocated to any volume. Thin volumes and
// thin pool segments allocate nothing themselves: their pool's data and
// metadata volumes do.
func (v *MetadataVG) Free() uint64 {
	var used uint64
	for _, lv := range v.LVs {
		for _, s := range lv.Segments {
			switch s.Type {
			case "thin", "thin-pool", "snapshot", "cache", "cache-pool", "vdo":
			default:
				used += s.ExtentCount
			}
		}
	}
	size := v.Size()
	if used*v.ExtentSize > size {
		return 0
	}
	return size - used*v.ExtentSize
}

// ThinPool summarises a thin pool from the metadata.
type ThinPool struct {
	Name         string `json:"name"`
	Size         uint64 `json:"size"`          // data
	MetadataSize uint64 `json:"metadata_size"` // its _tmeta volume
	// Volumes are its thin volumes and VirtualSize the sum of their
	// sizes, which may exceed Size (over-provisioning).
	Volumes     []string `json:"volumes"`
	VirtualSize uint64   `json:"virtual_size"`
}

// ThinPools returns the VG's thin pools.
func (v *MetadataVG) ThinPools() []ThinPool {
	var out []ThinPool
	for _, lv := range v.LVs {
		if len(lv.Segments) == 0 || lv.Segments[0].Type != "thin-pool" {
			continue
		}
		p := ThinPool{Name: lv.Name, Size: lv.Size}
		if m := v.LV(lv.Segments[0].Metadata); m != nil {
			p.MetadataSize = m.Size
		}
		for _, t := range v.LVs {
			if len(t.Segments) > 0 && t.Segments[0].Type == "thin" && t.Segments[0].ThinPool == lv.Name {
				p.Volumes = append(p.Volumes, t.Name)
				p.VirtualSize += t.Size
			}
		}
		out = append(out, p)
	}
	return out
}

// node is one block of the text format: assignments and sub-blocks.
type node struct {
	name     string
	line     int
	values   map[string]value
	children []*node
}

type value struct {
	s     string
	n     int64
	isNum bool
	list  []value
	isArr bool
	line  int
}

type mdParser struct {
	file      string
	src       string
	pos       int
	line, col int
}

func (p *mdParser) errf(format string, args ...any) error {
	return &MetadataError{File: p.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

func (p *mdParser) advance(n int) {
	for range n {
		if p.src[p.pos] == '\n' {
			p.line++
			p.col = 1
		} else {
			p.col++
		}
		p.pos++
	}
}

// skip passes blanks and comments.
func (p *mdParser) skip() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.advance(1)
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.advance(1)
			}
		default:
			return
		}
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '+' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *mdParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
		p.advance(1)
	}
	return p.src[start:p.pos]
}

// block parses statements until '}' (or the end, at the top level).
func (p *mdParser) block(n *node, top bool, depth int) error {
	if depth > 32 {
		return p.errf("sections nested too deeply")
	}
	for {
		p.skip()
		if p.pos >= len(p.src) {
			if !top {
				return p.errf("missing } for section %q", n.name)
			}
			return nil
		}
		if p.src[p.pos] == '}' {
			if top {
				return p.errf("unexpected }")
			}
			p.advance(1)
			return nil
		}
		line := p.line
		name := p.ident()
		if name == "" {
			return p.errf("unexpected %q", p.src[p.pos])
		}
		p.skip()
		if p.pos >= len(p.src) {
			return p.errf("unexpected end after %q", name)
		}
		switch p.src[p.pos] {
		case '{':
			p.advance(1)
			child := &node{name: name, line: line, values: map[string]value{}}
			if err := p.block(child, false, depth+1); err != nil {
				return err
			}
			n.children = append(n.children, child)
		case '=':
			p.advance(1)
			p.skip()
			v, err := p.value(true)
			if err != nil {
				return err
			}
			v.line = line
			n.values[name] = v
		default:
			return p.errf("want = or { after %q, have %q", name, p.src[p.pos])
		}
	}
}

func (p *mdParser) value(arrayOK bool) (value, error) {
	if p.pos >= len(p.src) {
		return value{}, p.errf("missing value")
	}
	switch c := p.src[p.pos]; {
	case c == '"':
		p.advance(1)
		var b strings.Builder
		for {
			if p.pos >= len(p.src) {
				return value{}, p.errf("unterminated string")
			}
			c := p.src[p.pos]
			if c == '"' {
				p.advance(1)
				return value{s: b.String()}, nil
			}
			if c == '\\' && p.pos+1 < len(p.src) {
				p.advance(1)
				c = p.src[p.pos]
			}
			b.WriteByte(c)
			p.advance(1)
		}
	case c == '[' && arrayOK:
		p.advance(1)
		v := value{isArr: true}
		for {
			p.skip()
			if p.pos >= len(p.src) {
				return value{}, p.errf("unterminated list")
			}
			if p.src[p.pos] == ']' {
				p.advance(1)
				return v, nil
			}
			if len(v.list) > 0 {
				if p.src[p.pos] != ',' {
					return value{}, p.errf("want , or ] in list, have %q", p.src[p.pos])
				}
				p.advance(1)
				p.skip()
			}
			e, err := p.value(false)
			if err != nil {
				return value{}, err
			}
			v.list = append(v.list, e)
		}
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.advance(1)
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.advance(1)
		}
		lit := p.src[start:p.pos]
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			if _, ferr := strconv.ParseFloat(lit, 64); ferr == nil {
				return value{s: lit}, nil // a float, which no field here uses
			}
			return value{}, p.errf("bad number %q", lit)
		}
		return value{n: n, isNum: true, s: lit}, nil
	}
	return value{}, p.errf("unexpected %q in value", p.src[p.pos])
}

// fieldReader reads typed values out of a node, keeping the first error.
type fieldReader struct {
	file string
	err  error
}

func (r *fieldReader) fail(n *node, line int, format string, args ...any) {
	if r.err == nil {
		r.err = &MetadataError{File: r.file, Line: line, Col: 1, Msg: fmt.Sprintf("%s: ", n.name) + fmt.Sprintf(format, args...)}
	}
}

func (r *fieldReader) str(n *node, key string) string {
	v, ok := n.values[key]
	if !ok {
		return ""
	}
	if v.isNum || v.isArr {
		r.fail(n, v.line, "%s: want a string", key)
	}
	return v.s
}

func (r *fieldReader) num(n *node, key string, required bool) uint64 {
	v, ok := n.values[key]
	if !ok {
		if required {
			r.fail(n, n.line, "missing %s", key)
		}
		return 0
	}
	if !v.isNum || v.n < 0 {
		r.fail(n, v.line, "%s: want a non-negative number", key)
		return 0
	}
	return uint64(v.n)
}

func (r *fieldReader) strs(n *node, key string) []string {
	v, ok := n.values[key]
	if !ok {
		return nil
	}
	if !v.isArr {
		r.fail(n, v.line, "%s: want a list", key)
		return nil
	}
	out := []string{}
	for _, e := range v.list {
		out = append(out, e.s)
	}
	return out
}

func (r *fieldReader) time(n *node, key string) time.Time {
	if s := r.num(n, key, false); s != 0 {
		return time.Unix(int64(s), 0).UTC()
	}
	return time.Time{}
}

func child(n *node, name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// ParseMetadata parses LVM text metadata (/etc/lvm/backup/VG); name is
// used in errors.
func ParseMetadata(name string, data []byte) (*Metadata, error) {
	p := &mdParser{file: name, src: string(data), line: 1, col: 1}
	top := &node{name: "top", values: map[string]value{}}
	if err := p.block(top, true, 0); err != nil {
		return nil, err
	}
	r := &fieldReader{file: name}
	if c := r.str(top, "contents"); c != "Text Format Volume Group" {
		return nil, &MetadataError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("contents %q is not LVM volume group metadata", c)}
	}
	if len(top.children) != 1 {
		return nil, &MetadataError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("want one volume group, have %d", len(top.children))}
	}
	m := &Metadata{Description: r.str(top, "description"), Host: r.str(top, "creation_host"), Time: r.time(top, "creation_time")}
	vn := top.children[0]
	vg := &m.VG
	vg.Name, vg.ID, vg.Seqno, vg.Status = vn.name, r.str(vn, "id"), r.num(vn, "seqno", true), r.strs(vn, "status")
	vg.ExtentSize = r.num(vn, "extent_size", true) * sectorSize
	if pvs := child(vn, "physical_volumes"); pvs != nil {
		for _, pn := range pvs.children {
			vg.PVs = append(vg.PVs, MetadataPV{
				Name: pn.name, ID: r.str(pn, "id"), Device: r.str(pn, "device"),
				DevSize: r.num(pn, "dev_size", false) * sectorSize, PEStart: r.num(pn, "pe_start", false) * sectorSize,
				PECount: r.num(pn, "pe_count", true),
			})
		}
	}
	if lvs := child(vn, "logical_volumes"); lvs != nil {
		for _, ln := range lvs.children {
			lv := MetadataLV{
				Name: ln.name, ID: r.str(ln, "id"), Status: r.strs(ln, "status"), Flags: r.strs(ln, "flags"),
				Created: r.time(ln, "creation_time"), Host: r.str(ln, "creation_host"),
			}
			lv.Visible = slices.Contains(lv.Status, "VISIBLE")
			if len(lv.Flags) == 0 {
				lv.Flags = nil
			}
			count := r.num(ln, "segment_count", true)
			for i := uint64(1); i <= count && r.err == nil; i++ {
				sn := child(ln, "segment"+strconv.FormatUint(i, 10))
				if sn == nil {
					r.fail(ln, ln.line, "missing segment%d", i)
					break
				}
				s := MetadataSegment{
					StartExtent: r.num(sn, "start_extent", true), ExtentCount: r.num(sn, "extent_count", true),
					Type: r.str(sn, "type"), Pool: r.str(sn, "pool"), Metadata: r.str(sn, "metadata"),
					ChunkSize: r.num(sn, "chunk_size", false) * sectorSize, ThinPool: r.str(sn, "thin_pool"), Origin: r.str(sn, "origin"),
				}
				if v, ok := sn.values["stripes"]; ok && v.isArr {
					for j := 0; j < len(v.list); j += 2 {
						s.Stripes = append(s.Stripes, v.list[j].s)
					}
				}
				lv.Segments = append(lv.Segments, s)
				lv.Size += s.ExtentCount * vg.ExtentSize
			}
			vg.LVs = append(vg.LVs, lv)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// MetadataBackups reads the newest text metadata of every VG from
// /etc/lvm/backup below the root, sorted by VG name. It needs no root and
// no device-mapper, so it also works on a mounted or offline system.
func (c *Client) MetadataBackups() ([]*Metadata, error) {
	ents, err := c.fs.ReadDir(backupDir)
	if err != nil {
		return nil, err
	}
	var out []*Metadata
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := backupDir + "/" + e.Name()
		data, err := c.fs.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m, err := ParseMetadata(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// backupDir is where LVM keeps each VG's current metadata.
const backupDir = "/etc/lvm/backup"
