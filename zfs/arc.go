package zfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Files and module parameters of the ARC settings.
const (
	ModprobeFile = "/etc/modprobe.d/zfs.conf"
	ParamDir     = "/sys/module/zfs/parameters"
	ARCStatsFile = "/proc/spl/kstat/zfs/arcstats"
)

// ARCBase is the admin guide's base allocation for the ARC.
const ARCBase = 2 * GiB

// RecommendedARC returns the admin guide's rule of thumb for the ARC
// size of a host with storage bytes of pool space: 2 GiB base plus 1 GiB
// per TiB, rounded up to a MiB. A pool of 8 TiB gives 10 GiB.
func RecommendedARC(storage uint64) uint64 {
	perTiB := (storage/1024 + MiB - 1) / MiB * MiB
	return ARCBase + perTiB
}

// ARCStats are the figures of /proc/spl/kstat/zfs/arcstats, by name.
type ARCStats map[string]uint64

// ParseARCStats parses a kstat file such as arcstats: two header lines,
// then "name type data" rows.
func ParseARCStats(name string, data []byte) (ARCStats, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(strings.TrimSpace(lines[1]), "name") {
		return nil, &ParseError{File: name, Line: 1, Msg: "not a kstat file"}
	}
	st := ARCStats{}
	for i, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, &ParseError{File: name, Line: i + 3, Msg: fmt.Sprintf("%d fields, want 3", len(f))}
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			if v, err2 := strconv.ParseInt(f[2], 10, 64); err2 == nil {
				n = uint64(max(v, 0))
			} else {
				return nil, &ParseError{File: name, Line: i + 3, Col: strings.Index(l, f[2]) + 1, Msg: fmt.Sprintf("%s: not a number", f[0])}
			}
		}
		st[f[0]] = n
	}
	return st, nil
}

// ARC is the state and configuration of the ARC.
type ARC struct {
	// Loaded is false when the zfs module is not loaded: only the
	// configuration fields are set then.
	Loaded bool `json:"loaded"`
	// Size is the ARC's current size; Target (c), Min (c_min) and Max
	// (c_max) are the limits in force.
	Size   uint64 `json:"size"`
	Target uint64 `json:"target"`
	Min    uint64 `json:"min"`
	Max    uint64 `json:"max"`
	// ParamMax and ParamMin are the zfs_arc_max and zfs_arc_min module
	// parameters; 0 means ZFS's default (half of memory, 1/32 of memory).
	ParamMax uint64 `json:"param_max"`
	ParamMin uint64 `json:"param_min"`
	// ConfigMax and ConfigMin are the values in /etc/modprobe.d/zfs.conf,
	// 0 when unset; ConfigMaxLine is the line of zfs_arc_max.
	ConfigMax     uint64 `json:"config_max"`
	ConfigMin     uint64 `json:"config_min"`
	ConfigMaxLine int    `json:"config_max_line,omitempty"`
	// MemTotal is the host's memory.
	MemTotal uint64 `json:"mem_total"`
}

// MaxIgnored reports the admin guide's caveat: a zfs_arc_max at or below
// the ARC minimum is ignored.
func (a *ARC) MaxIgnored() bool {
	return a.Loaded && a.ParamMax != 0 && a.ParamMax <= a.Min
}

// ARC reads the ARC's state from arcstats and the module parameters, and
// its persistent configuration from /etc/modprobe.d/zfs.conf.
func (c *Client) ARC(ctx context.Context) (*ARC, error) {
	a := &ARC{}
	if data, err := c.fs.ReadFile(ModprobeFile); err == nil {
		conf, err := ParseModprobe(ModprobeFile, data)
		if err != nil {
			return nil, err
		}
		var line int
		if a.ConfigMax, line, err = confValue(conf, "zfs_arc_max"); err != nil {
			return nil, err
		}
		a.ConfigMaxLine = line
		if a.ConfigMin, _, err = confValue(conf, "zfs_arc_min"); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	a.MemTotal = memTotal(c.fs)
	data, err := c.fs.ReadFile(ARCStatsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := ParseARCStats(ARCStatsFile, data)
	if err != nil {
		return nil, err
	}
	a.Loaded = true
	a.Size, a.Target, a.Min, a.Max = st["size"], st["c"], st["c_min"], st["c_max"]
	if a.ParamMax, err = c.readParam("zfs_arc_max"); err != nil {
		return nil, err
	}
	if a.ParamMin, err = c.readParam("zfs_arc_min"); err != nil {
		return nil, err
	}
	return a, nil
}

func confValue(conf *ModprobeConf, param string) (uint64, int, error) {
	v, line, ok := conf.Option("zfs", param)
	if !ok {
		return 0, 0, nil
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return 0, line, &ParseError{File: ModprobeFile, Line: line, Msg: fmt.Sprintf("%s=%q: not a number of bytes", param, v), Err: ErrInvalid}
	}
	return n, line, nil
}

func (c *Client) readParam(name string) (uint64, error) {
	s, err := c.fs.ReadSmall(ParamDir + "/" + name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("zfs: %s/%s: %q is not a number", ParamDir, name, s)
	}
	return n, nil
}

// writeParam writes a module parameter in place, as sysfs requires (a
// rename would not reach the kernel).
func (c *Client) writeParam(name string, v uint64) error {
	path := c.fs.HostPath(ParamDir + "/" + name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.FormatUint(v, 10) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zfs: set %s=%d: %w", name, v, err)
	}
	return nil
}

func memTotal(fsys *rootfs.FS) uint64 {
	data, err := fsys.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// ARCSettings are new ARC limits. Zero leaves a limit as it is.
type ARCSettings struct {
	Max uint64
	Min uint64
	// Runtime applies the limits to the loaded module now; Persistent
	// writes them to /etc/modprobe.d/zfs.conf for the next boot.
	Runtime    bool
	Persistent bool
}

// ARCChange reports what SetARC did.
type ARCChange struct {
	// Steps are the writes in the order done, such as
	// "zfs_arc_min=8589934591" then "zfs_arc_max=8589934592".
	Steps []string `json:"steps"`
	// Persisted is true when zfs.conf was written.
	Persisted bool `json:"persisted"`
	// InitramfsUpdate is true when root is on ZFS: the initramfs holds a
	// copy of zfs.conf and must be updated (update-initramfs -u -k all)
	// before the reboot that activates the change.
	InitramfsUpdate bool `json:"initramfs_update"`
}

// SetARC changes the ARC limits. At runtime it handles the admin guide's
// caveat: when the new maximum is at or below the current minimum
// (1/32 of memory by default), it lowers zfs_arc_min first, to Min or to
// Max-1, and then sets zfs_arc_max; when the new minimum is above the
// current maximum it raises the maximum first.
func (c *Client) SetARC(ctx context.Context, s ARCSettings) (*ARCChange, error) {
	if s.Max == 0 && s.Min == 0 {
		return nil, invalidf("no ARC limit given")
	}
	if !s.Runtime && !s.Persistent {
		return nil, invalidf("neither runtime nor persistent")
	}
	if s.Max != 0 && s.Max < 64*MiB {
		return nil, invalidf("zfs_arc_max %d is below ZFS's minimum of 64M", s.Max)
	}
	if s.Max != 0 && s.Min != 0 && s.Min >= s.Max {
		return nil, invalidf("zfs_arc_min %d must be below zfs_arc_max %d", s.Min, s.Max)
	}
	ch := &ARCChange{}
	if s.Runtime {
		cur, err := c.ARC(ctx)
		if err != nil {
			return nil, err
		}
		if !cur.Loaded {
			return nil, fmt.Errorf("zfs: cannot set the ARC at runtime: %w", ErrNoZFS)
		}
		min := s.Min
		if s.Max != 0 && min == 0 && s.Max <= cur.Min {
			min = s.Max - 1
		}
		var order []string
		switch {
		case s.Max != 0 && s.Max <= cur.Min:
			order = []string{"zfs_arc_min", "zfs_arc_max"}
		case min != 0 && min >= cur.Max && s.Max != 0:
			order = []string{"zfs_arc_max", "zfs_arc_min"}
		default:
			order = []string{"zfs_arc_max", "zfs_arc_min"}
		}
		vals := map[string]uint64{"zfs_arc_max": s.Max, "zfs_arc_min": min}
		for _, p := range order {
			if vals[p] == 0 {
				continue
			}
			if err := c.writeParam(p, vals[p]); err != nil {
				return ch, err
			}
			ch.Steps = append(ch.Steps, fmt.Sprintf("%s=%d", p, vals[p]))
		}
	}
	if s.Persistent {
		err := c.editFile(ctx, ModprobeFile, func(data []byte) ([]byte, error) {
			conf, err := ParseModprobe(ModprobeFile, data)
			if err != nil {
				return nil, err
			}
			for p, v := range map[string]uint64{"zfs_arc_max": s.Max, "zfs_arc_min": s.Min} {
				if v != 0 {
					if err := conf.SetOption("zfs", p, strconv.FormatUint(v, 10)); err != nil {
						return nil, err
					}
				}
			}
			return conf.Format(), nil
		})
		if err != nil {
			return ch, err
		}
		ch.Persisted = true
		ch.InitramfsUpdate = rootDataset(c.fs) != ""
	}
	return ch, nil
}

// UpdateInitramfs runs update-initramfs -u -k all, which a host with root
// on ZFS needs after zfs.conf changed.
func (c *Client) UpdateInitramfs(ctx context.Context) error {
	_, err := c.run.Run(ctx, runner.Cmd{Args: []string{"update-initramfs", "-u", "-k", "all"}})
	return err
}

// editFile runs a read-modify-write cycle on a file under a lock,
// refusing to overwrite a concurrent edit. A missing file reads as
// empty.
func (c *Client) editFile(ctx context.Context, name string, edit func([]byte) ([]byte, error)) error {
	lock, err := c.fs.Lock(ctx, "/run/lock/hostadm-zfs.lock")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	data, d, err := c.fs.ReadFileDigest(name)
	if errors.Is(err, fs.ErrNotExist) {
		data, d = nil, rootfs.Digest{}
	} else if err != nil {
		return err
	}
	out, err := edit(data)
	if err != nil {
		return err
	}
	if string(out) == string(data) {
		return nil
	}
	return c.fs.WriteFile(name, out, &rootfs.WriteOptions{Expect: &d})
}
