package zfs

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/mountinfo"
	"github.com/hostadm/hostadm/sysctl"
)

// Swappiness is one row of the admin guide's table of vm.swappiness
// values.
type Swappiness struct {
	Value    int    `json:"value"`
	Strategy string `json:"strategy"`
}

// SwappinessTable is the admin guide's table of vm.swappiness values.
var SwappinessTable = []Swappiness{
	{0, "The kernel will swap only to avoid an out of memory condition"},
	{1, "Minimum amount of swapping without disabling it entirely."},
	{10, "This value is sometimes recommended to improve performance when sufficient memory exists in a system."},
	{60, "The default value."},
	{100, "The kernel will swap aggressively."},
}

// Swappiness values of the admin guide: 10 is its value for servers,
// 60 the kernel's default. The kernel accepts 0 to MaxSwappiness.
const (
	RecommendedSwappiness = 10
	DefaultSwappiness     = 60
	MaxSwappiness         = 200
)

// SwappinessParam is the kernel parameter, and SwappinessFile the file
// the admin guide adds it to for the next boots.
const (
	SwappinessParam = "vm.swappiness"
	SwappinessFile  = "/etc/sysctl.conf"
)

// SwappinessStrategy returns the admin guide's strategy for a value of
// its table, or "" for a value the table does not list.
func SwappinessStrategy(v int) string {
	for _, s := range SwappinessTable {
		if s.Value == v {
			return s.Strategy
		}
	}
	return ""
}

// SwappinessState is vm.swappiness now and at the next boot.
type SwappinessState struct {
	// Runtime is the kernel's current value.
	Runtime int `json:"runtime"`
	// Boot is the value systemd-sysctl sets at boot, DefaultSwappiness
	// when no file sets it.
	Boot int `json:"boot"`
	// File and Line locate the assignment that decides Boot; empty when
	// no file sets it.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Strategy is the admin guide's description of Runtime, when its
	// table lists the value.
	Strategy string `json:"strategy,omitempty"`
}

// SwappinessSettings is a new vm.swappiness value and where to set it.
type SwappinessSettings struct {
	Value int
	// Runtime sets it in the running kernel (sysctl -w); Persistent
	// writes it to File for the next boots.
	Runtime    bool
	Persistent bool
	// File is the sysctl file to edit; "" means SwappinessFile
	// (/etc/sysctl.conf, read through Debian's
	// /etc/sysctl.d/99-sysctl.conf link).
	File string
}

// SwappinessChange reports what SetSwappiness did.
type SwappinessChange struct {
	Runtime   bool `json:"runtime"`
	Persisted bool `json:"persisted"`
	// File is the file written. OverriddenBy is "file:line" of a file
	// applied later that sets another value at boot, empty when the
	// written value wins.
	File         string `json:"file,omitempty"`
	OverriddenBy string `json:"overridden_by,omitempty"`
}

func (c *Client) sysctl() (*sysctl.Sysctl, error) {
	s, err := sysctl.New(&sysctl.Config{Root: c.root})
	if err != nil {
		return nil, fmt.Errorf("zfs: %w", err)
	}
	return s, nil
}

// Swappiness reads vm.swappiness from the running kernel and the value
// the sysctl files give it at boot.
func (c *Client) Swappiness(ctx context.Context) (*SwappinessState, error) {
	s, err := c.sysctl()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	v, err := s.Get(SwappinessParam)
	if err != nil {
		return nil, fmt.Errorf("zfs: %w", err)
	}
	st := &SwappinessState{Boot: DefaultSwappiness}
	if st.Runtime, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
		return nil, &ParseError{File: "/proc/sys/vm/swappiness", Line: 1, Msg: fmt.Sprintf("%q: not a number", v)}
	}
	st.Strategy = SwappinessStrategy(st.Runtime)
	set, ok, err := s.Lookup(SwappinessParam)
	if err != nil {
		return st, fmt.Errorf("zfs: %w", err)
	}
	if ok {
		st.File, st.Line = set.File, set.Line
		if st.Boot, err = strconv.Atoi(set.Value); err != nil {
			return st, &ParseError{File: set.File, Line: set.Line, Msg: fmt.Sprintf("%s = %q: not a number", SwappinessParam, set.Value)}
		}
	}
	return st, nil
}

// SetSwappiness sets vm.swappiness at runtime and, persistently, in a
// sysctl file, editing only the line of an existing assignment or adding
// "vm.swappiness = N". It sets the running kernel first, which refuses a
// value it does not accept. When a file applied later sets another
// value, the change says so in OverriddenBy; when systemd-sysctl does not
// read the file at all, the file is written and the error matches
// sysctl.ErrNotApplied.
func (c *Client) SetSwappiness(ctx context.Context, set SwappinessSettings) (*SwappinessChange, error) {
	if set.Value < 0 || set.Value > MaxSwappiness {
		return nil, invalidf("vm.swappiness %d: want 0 to %d", set.Value, MaxSwappiness)
	}
	if !set.Runtime && !set.Persistent {
		return nil, invalidf("vm.swappiness: neither runtime nor persistent")
	}
	s, err := c.sysctl()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ch := &SwappinessChange{}
	value := strconv.Itoa(set.Value)
	if set.Runtime {
		if err := s.Set(SwappinessParam, value); err != nil {
			return ch, fmt.Errorf("zfs: %w", err)
		}
		ch.Runtime = true
	}
	if set.Persistent {
		ch.File = set.File
		if ch.File == "" {
			ch.File = SwappinessFile
		}
		win, err := s.Persist(ctx, ch.File, SwappinessParam, value)
		if err != nil && !errors.Is(err, sysctl.ErrNotApplied) {
			return ch, fmt.Errorf("zfs: %w", err)
		}
		ch.Persisted = true
		if win.File != "" && win.Value != value {
			ch.OverriddenBy = fmt.Sprintf("%s:%d", win.File, win.Line)
		}
		if err != nil {
			return ch, fmt.Errorf("zfs: %w", err)
		}
	}
	return ch, nil
}

// SwapDevice is an active swap area from /proc/swaps.
type SwapDevice struct {
	Path     string `json:"path"`
	Type     string `json:"type"` // "partition" or "file"
	Size     uint64 `json:"size"` // bytes
	Used     uint64 `json:"used"`
	Priority int    `json:"priority"`
	// Zvol is the ZFS volume behind the device ("rpool/swap"), if any:
	// swap on a zvol can block the server under memory pressure.
	Zvol string `json:"zvol,omitempty"`
}

// ParseSwaps parses /proc/swaps.
func ParseSwaps(name string, data []byte) ([]SwapDevice, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var out []SwapDevice
	for i, l := range lines {
		if i == 0 && strings.HasPrefix(l, "Filename") || strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 5 {
			return nil, &ParseError{File: name, Line: i + 1, Msg: "want 5 fields"}
		}
		size, err1 := strconv.ParseUint(f[2], 10, 64)
		used, err2 := strconv.ParseUint(f[3], 10, 64)
		prio, err3 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, &ParseError{File: name, Line: i + 1, Msg: "bad number"}
		}
		out = append(out, SwapDevice{Path: mountinfo.Unescape(f[0]), Type: f[1], Size: size * 1024, Used: used * 1024, Priority: prio})
	}
	return out, nil
}

// Swaps lists the active swap areas and tells which are zvols.
func (c *Client) Swaps() ([]SwapDevice, error) {
	data, err := c.fs.ReadFile("/proc/swaps")
	if err != nil {
		return nil, err
	}
	swaps, err := ParseSwaps("/proc/swaps", data)
	if err != nil {
		return nil, err
	}
	zvols := c.zvolDevices()
	for i := range swaps {
		dev := swaps[i].Path
		if r, err := c.fs.Resolve(dev); err == nil {
			dev = r
		}
		swaps[i].Zvol = zvols[path.Base(dev)]
		if swaps[i].Zvol == "" && strings.HasPrefix(swaps[i].Path, "/dev/zvol/") {
			swaps[i].Zvol = strings.TrimPrefix(swaps[i].Path, "/dev/zvol/")
		}
		if swaps[i].Zvol == "" && strings.HasPrefix(path.Base(dev), "zd") {
			swaps[i].Zvol = "(zvol " + path.Base(dev) + ")"
		}
	}
	return swaps, nil
}

// zvolDevices maps zdN device names to volume names from the
// /dev/zvol/POOL/... links udev makes.
func (c *Client) zvolDevices() map[string]string {
	m := map[string]string{}
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if depth > 16 {
			return
		}
		ents, err := c.fs.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := dir + "/" + e.Name()
			if e.IsDir() {
				walk(p, depth+1)
				continue
			}
			if t, err := c.fs.Readlink(p); err == nil && !strings.Contains(e.Name(), "-part") {
				m[path.Base(t)] = strings.TrimPrefix(p, "/dev/zvol/")
			}
		}
	}
	walk("/dev/zvol", 0)
	return m
}
