package ksm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// SysDir is where the kernel publishes KSM's counters and tunables.
const SysDir = "/sys/kernel/mm/ksm"

// ErrNotSupported is returned when the kernel has no KSM (no SysDir).
var ErrNotSupported = errors.New("kernel has no KSM (" + SysDir + " missing)")

// ErrNotTunable is returned by Client.Set for a name that is not one of
// KSM's writable tunables, or a value the tunable cannot take.
var ErrNotTunable = errors.New("not a KSM tunable")

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to work on; "" means "/".
	Root string
	// PageSize is the system's page size in bytes, used to turn page
	// counts into bytes; zero means the running system's page size.
	PageSize int
}

// Client reads and changes KSM state and the ksmtuned service of one
// system.
type Client struct {
	fs       *rootfs.FS
	pageSize int
	run      runner.Runner
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	ps := cfg.PageSize
	if ps <= 0 {
		ps = os.Getpagesize()
	}
	return &Client{fs: f, pageSize: ps, run: runner.Default}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Mode is the value of the run file.
type Mode int

// The run modes, as Documentation/admin-guide/mm/ksm.rst defines them.
const (
	// Stopped stops the scanner but keeps merged pages merged.
	Stopped Mode = 0
	// Running runs the scanner.
	Running Mode = 1
	// Unmerge stops the scanner and unmerges every merged page; it is the
	// last step of the admin guide's "Disabling KSM".
	Unmerge Mode = 2
)

// String returns "stopped", "running" or "unmerge".
func (m Mode) String() string {
	switch m {
	case Stopped:
		return "stopped"
	case Running:
		return "running"
	case Unmerge:
		return "unmerge"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText makes a Mode read as its name in JSON.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Unit says what a counter's number counts.
type Unit string

// Units of the counters.
const (
	Pages        Unit = "pages"
	Bytes        Unit = "bytes"
	Milliseconds Unit = "ms"
	Seconds      Unit = "s"
	Percent      Unit = "%"
	Count        Unit = "count"
	Boolean      Unit = "bool"
	RunMode      Unit = "mode"
	Choice       Unit = "choice" // "[none] scan-time": the bracketed one is selected
	UnknownUnit  Unit = ""
)

// attrDef describes a file under SysDir.
type attrDef struct {
	unit     Unit
	writable bool
	help     string
}

// attrs lists the files of Documentation/admin-guide/mm/ksm.rst (Linux
// 6.x). Files a kernel adds later are still read, with UnknownUnit.
var attrs = map[string]attrDef{
	"run":                                {RunMode, true, "0 stops the scanner, 1 runs it, 2 unmerges all pages"},
	"pages_to_scan":                      {Pages, true, "pages to scan before the scanner sleeps"},
	"sleep_millisecs":                    {Milliseconds, true, "sleep between scans"},
	"merge_across_nodes":                 {Boolean, true, "merge pages of different NUMA nodes"},
	"use_zero_pages":                     {Boolean, true, "merge empty pages with the kernel zero page"},
	"max_page_sharing":                   {Count, true, "maximum sharers of one KSM page"},
	"stable_node_chains_prune_millisecs": {Milliseconds, true, "how often stable node chains are pruned"},
	"smart_scan":                         {Boolean, true, "skip pages that did not merge in earlier scans"},
	"advisor_mode":                       {Choice, true, "scan-rate advisor: none or scan-time"},
	"advisor_max_cpu":                    {Percent, true, "advisor: CPU the scanner may use"},
	"advisor_min_pages_to_scan":          {Pages, true, "advisor: lower bound of pages_to_scan"},
	"advisor_max_pages_to_scan":          {Pages, true, "advisor: upper bound of pages_to_scan"},
	"advisor_target_scan_time":           {Seconds, true, "advisor: target time of a full scan"},
	"general_profit":                     {Bytes, false, "memory saved minus KSM's own metadata (may be negative)"},
	"pages_shared":                       {Pages, false, "KSM pages in use"},
	"pages_sharing":                      {Pages, false, "further sites sharing them: the pages saved"},
	"pages_unshared":                     {Pages, false, "unique pages repeatedly checked for merging"},
	"pages_volatile":                     {Pages, false, "pages changing too fast to be merged"},
	"pages_scanned":                      {Pages, false, "pages scanned so far"},
	"pages_skipped":                      {Pages, false, "pages skipped by smart_scan"},
	"ksm_zero_pages":                     {Pages, false, "empty pages merged with the kernel zero page"},
	"full_scans":                         {Count, false, "full scans of all mergeable areas"},
	"stable_node_chains":                 {Count, false, "KSM pages that hit max_page_sharing"},
	"stable_node_dups":                   {Count, false, "duplicated KSM pages in stable node chains"},
}

// Counter is one file under SysDir.
type Counter struct {
	Name  string `json:"name"`
	Value string `json:"value"` // as the kernel wrote it
	// Number is Value parsed as an integer; for Choice files it is zero.
	Number   int64 `json:"number"`
	Unit     Unit  `json:"unit,omitempty"`
	Writable bool  `json:"writable"`
	// Bytes is Number times the page size for Pages counters, Number for
	// Bytes counters, and zero otherwise.
	Bytes int64  `json:"bytes,omitempty"`
	Help  string `json:"help,omitempty"`
}

// Status is KSM's state as the kernel reports it.
type Status struct {
	Mode     Mode `json:"mode"`
	PageSize int  `json:"page_size"`
	// Counters holds every file under SysDir, sorted by name.
	Counters []Counter `json:"counters"`
}

// Counter returns the named counter.
func (s *Status) Counter(name string) (Counter, bool) {
	i := slices.IndexFunc(s.Counters, func(c Counter) bool { return c.Name == name })
	if i < 0 {
		return Counter{}, false
	}
	return s.Counters[i], true
}

func (s *Status) number(name string) int64 {
	c, _ := s.Counter(name)
	return c.Number
}

// PagesSharing is the number of pages saved by merging.
func (s *Status) PagesSharing() int64 { return s.number("pages_sharing") }

// PagesShared is the number of shared KSM pages in use.
func (s *Status) PagesShared() int64 { return s.number("pages_shared") }

// Saved is the memory KSM saves in bytes: pages_sharing times the page
// size, the figure Proxmox VE shows as "KSM sharing".
func (s *Status) Saved() int64 { return s.PagesSharing() * int64(s.PageSize) }

// Profit returns general_profit in bytes (saved memory minus KSM's own
// metadata), and false on kernels before 6.7 that lack it.
func (s *Status) Profit() (int64, bool) {
	c, ok := s.Counter("general_profit")
	return c.Number, ok
}

// Status reads every file under SysDir. It fails with ErrNotSupported
// when the kernel has no KSM.
func (c *Client) Status() (*Status, error) {
	ents, err := c.fs.ReadDir(SysDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotSupported
	}
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		v, err := c.fs.ReadSmall(path.Join(SysDir, e.Name()))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				continue // write-only or root-only files
			}
			return nil, err
		}
		values[e.Name()] = v
	}
	return parseStatus(values, c.pageSize)
}

// parseStatus builds a Status from file contents by name.
func parseStatus(values map[string]string, pageSize int) (*Status, error) {
	st := &Status{PageSize: pageSize}
	for name, v := range values {
		v = strings.TrimSpace(v)
		def := attrs[name]
		ctr := Counter{Name: name, Value: v, Unit: def.unit, Writable: def.writable, Help: def.help}
		if def.unit != Choice {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil && def.unit != UnknownUnit {
				return nil, fmt.Errorf("%s: %q is not a number", path.Join(SysDir, name), v)
			}
			ctr.Number = n
		}
		switch def.unit {
		case Pages:
			ctr.Bytes = ctr.Number * int64(pageSize)
		case Bytes:
			ctr.Bytes = ctr.Number
		}
		st.Counters = append(st.Counters, ctr)
	}
	slices.SortFunc(st.Counters, func(a, b Counter) int { return strings.Compare(a.Name, b.Name) })
	run, ok := st.Counter("run")
	if !ok {
		return nil, fmt.Errorf("%s/run missing: %w", SysDir, ErrNotSupported)
	}
	st.Mode = Mode(run.Number)
	return st, nil
}

// Selected returns the bracketed choice of a Choice value such as
// "[none] scan-time".
func Selected(choice string) string {
	if i := strings.IndexByte(choice, '['); i >= 0 {
		if j := strings.IndexByte(choice[i:], ']'); j > 0 {
			return choice[i+1 : i+j]
		}
	}
	return strings.TrimSpace(choice)
}

// SetMode writes the run file. Unmerge may take a while on a host with
// many merged pages; the write returns when the kernel is done.
func (c *Client) SetMode(m Mode) error {
	if m < Stopped || m > Unmerge {
		return fmt.Errorf("ksm: run mode %d: %w", m, ErrNotTunable)
	}
	return c.Set("run", strconv.Itoa(int(m)))
}

// SetPagesToScan sets how many pages the scanner scans per wake-up.
func (c *Client) SetPagesToScan(n uint64) error {
	return c.Set("pages_to_scan", strconv.FormatUint(n, 10))
}

// SetSleepMillisecs sets how long the scanner sleeps between scans.
func (c *Client) SetSleepMillisecs(n uint64) error {
	return c.Set("sleep_millisecs", strconv.FormatUint(n, 10))
}

// Set writes a writable tunable by file name. The value is checked
// against the tunable's unit first; the kernel may still refuse it (for
// example merge_across_nodes while pages are merged: EBUSY), which returns
// an *fs.PathError.
func (c *Client) Set(name, value string) error {
	def, ok := attrs[name]
	if !ok || !def.writable {
		return fmt.Errorf("ksm: %q: %w", name, ErrNotTunable)
	}
	if err := checkValue(def.unit, value); err != nil {
		return fmt.Errorf("ksm: %s=%q: %w", name, value, err)
	}
	p, err := c.fs.Resolve(path.Join(SysDir, name))
	if err != nil {
		return err
	}
	if !c.fs.Exists(p) {
		return &fs.PathError{Op: "write", Path: p, Err: fs.ErrNotExist}
	}
	f, err := os.OpenFile(c.fs.HostPath(p), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func checkValue(u Unit, v string) error {
	switch u {
	case RunMode:
		if v != "0" && v != "1" && v != "2" {
			return fmt.Errorf("want 0, 1 or 2: %w", ErrNotTunable)
		}
	case Boolean:
		if v != "0" && v != "1" {
			return fmt.Errorf("want 0 or 1: %w", ErrNotTunable)
		}
	case Choice:
		if v == "" || strings.ContainsAny(v, " \n[]") {
			return fmt.Errorf("want one word: %w", ErrNotTunable)
		}
	case Percent:
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 || n > 100 {
			return fmt.Errorf("want 1 to 100: %w", ErrNotTunable)
		}
	default:
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			return fmt.Errorf("want a non-negative integer: %w", ErrNotTunable)
		}
	}
	return nil
}
