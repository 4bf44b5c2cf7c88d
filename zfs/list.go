package zfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Table is tab-separated output of zpool or zfs with -H: one row per
// line, one field per column.
type Table struct {
	Rows [][]string
}

// ParseTable parses -H output with cols columns per line. name is used
// in errors.
func ParseTable(name string, data []byte, cols int) (*Table, error) {
	t := &Table{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			if i == bytes.Count(data, []byte("\n")) {
				break // after the final newline
			}
			return nil, &ParseError{File: name, Line: i + 1, Msg: "empty line"}
		}
		f := strings.Split(string(line), "\t")
		if len(f) != cols {
			return nil, &ParseError{File: name, Line: i + 1, Msg: fmt.Sprintf("%d fields, want %d", len(f), cols)}
		}
		t.Rows = append(t.Rows, f)
	}
	return t, nil
}

// Format writes the table as -H prints it.
func (t *Table) Format() []byte {
	var b bytes.Buffer
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Pool is a pool as zpool list shows it.
type Pool struct {
	Name      string `json:"name"`
	Size      uint64 `json:"size"`
	Allocated uint64 `json:"allocated"`
	Free      uint64 `json:"free"`
	// Fragmentation and Capacity are percentages; Fragmentation is -1
	// when ZFS does not know it.
	Fragmentation int     `json:"fragmentation"`
	Capacity      int     `json:"capacity"`
	DedupRatio    float64 `json:"dedup_ratio"`
	Health        State   `json:"health"`
	GUID          uint64  `json:"guid"`
	Ashift        int     `json:"ashift"`
	// Altroot is empty unless the pool was imported with one.
	Altroot string `json:"altroot,omitempty"`
}

// poolColumns are the zpool list -o columns ParsePoolList reads.
var poolColumns = []string{"name", "size", "allocated", "free", "fragmentation", "capacity", "dedupratio", "health", "guid", "ashift", "altroot"}

// PoolListArgs returns the zpool command whose output ParsePoolList
// reads.
func PoolListArgs() []string {
	return []string{"zpool", "list", "-Hp", "-o", strings.Join(poolColumns, ",")}
}

// ParsePoolList parses the output of PoolListArgs.
func ParsePoolList(name string, data []byte) ([]Pool, error) {
	t, err := ParseTable(name, data, len(poolColumns))
	if err != nil {
		return nil, err
	}
	pools := make([]Pool, 0, len(t.Rows))
	for i, r := range t.Rows {
		p := Pool{Name: r[0], Health: State(r[7]), Altroot: dash(r[10])}
		var errs []error
		p.Size, errs = num(r[1], errs)
		p.Allocated, errs = num(r[2], errs)
		p.Free, errs = num(r[3], errs)
		var frag, capa, ashift uint64
		if r[4] == "-" {
			p.Fragmentation = -1
		} else {
			frag, errs = num(strings.TrimSuffix(r[4], "%"), errs)
			p.Fragmentation = int(frag)
		}
		capa, errs = num(strings.TrimSuffix(r[5], "%"), errs)
		p.Capacity = int(capa)
		d, err := strconv.ParseFloat(strings.TrimSuffix(r[6], "x"), 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("dedupratio %q", r[6]))
		}
		p.DedupRatio = d
		p.GUID, errs = num(r[8], errs)
		ashift, errs = num(r[9], errs)
		p.Ashift = int(ashift)
		if len(errs) > 0 {
			return nil, &ParseError{File: name, Line: i + 1, Msg: fmt.Sprintf("pool %s: %v", p.Name, errs[0])}
		}
		pools = append(pools, p)
	}
	return pools, nil
}

func num(s string, errs []error) (uint64, []error) {
	if s == "-" || s == "" {
		return 0, errs
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, append(errs, fmt.Errorf("not a number: %q", s))
	}
	return n, errs
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// DatasetType is the type of a dataset.
type DatasetType string

// Dataset types.
const (
	Filesystem DatasetType = "filesystem"
	Volume     DatasetType = "volume"
	Snapshot   DatasetType = "snapshot"
	Bookmark   DatasetType = "bookmark"
)

// Dataset is a file system, volume, snapshot or bookmark as zfs list
// shows it.
type Dataset struct {
	Name       string      `json:"name"`
	Type       DatasetType `json:"type"`
	Used       uint64      `json:"used"`
	Available  uint64      `json:"available"`
	Referenced uint64      `json:"referenced"`
	// Mountpoint is empty for volumes, snapshots and bookmarks.
	Mountpoint string `json:"mountpoint,omitempty"`
	// Properties holds the values of ListOptions.Properties.
	Properties map[string]string `json:"properties,omitempty"`
}

// ListOptions selects datasets to list. A nil *ListOptions lists every
// file system and volume.
type ListOptions struct {
	// Root is the dataset to start from; "" means every pool.
	Root string
	// Recursive includes the descendants of Root; Depth, when positive,
	// limits how deep.
	Recursive bool
	Depth     int
	// Types are the types to list; nil means file systems and volumes.
	Types []DatasetType
	// Properties are further properties to read for each dataset.
	Properties []string
}

var datasetColumns = []string{"name", "type", "used", "available", "referenced", "mountpoint"}

// DatasetListArgs returns the zfs list command whose output
// ParseDatasetList reads.
func DatasetListArgs(opts *ListOptions) []string {
	if opts == nil {
		opts = &ListOptions{}
	}
	cols := append(append([]string{}, datasetColumns...), opts.Properties...)
	a := []string{"zfs", "list", "-Hp", "-o", strings.Join(cols, ",")}
	if len(opts.Types) > 0 {
		ts := make([]string, len(opts.Types))
		for i, t := range opts.Types {
			ts[i] = string(t)
		}
		a = append(a, "-t", strings.Join(ts, ","))
	}
	switch {
	case opts.Depth > 0:
		a = append(a, "-d", strconv.Itoa(opts.Depth))
	case opts.Recursive:
		a = append(a, "-r")
	}
	if opts.Root != "" {
		a = append(a, opts.Root)
	}
	return a
}

// ParseDatasetList parses the output of DatasetListArgs(opts).
func ParseDatasetList(name string, data []byte, opts *ListOptions) ([]Dataset, error) {
	var extra []string
	if opts != nil {
		extra = opts.Properties
	}
	t, err := ParseTable(name, data, len(datasetColumns)+len(extra))
	if err != nil {
		return nil, err
	}
	out := make([]Dataset, 0, len(t.Rows))
	for i, r := range t.Rows {
		d := Dataset{Name: r[0], Type: DatasetType(r[1])}
		var errs []error
		d.Used, errs = num(r[2], errs)
		d.Available, errs = num(r[3], errs)
		d.Referenced, errs = num(r[4], errs)
		if len(errs) > 0 {
			return nil, &ParseError{File: name, Line: i + 1, Msg: fmt.Sprintf("dataset %s: %v", d.Name, errs[0])}
		}
		if d.Type == Filesystem {
			d.Mountpoint = dash(r[5])
		}
		if len(extra) > 0 {
			d.Properties = make(map[string]string, len(extra))
			for j, p := range extra {
				d.Properties[p] = r[len(datasetColumns)+j]
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// ParseProperties parses zfs get or zpool get output with -Hp -o
// name,property,value,source.
func ParseProperties(name string, data []byte) ([]Property, error) {
	t, err := ParseTable(name, data, 4)
	if err != nil {
		return nil, err
	}
	out := make([]Property, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = Property{Name: r[1], Value: r[2], Source: r[3]}
	}
	return out, nil
}
