package metrics

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/ksm"
	"github.com/hostadm/hostadm/zfs"
)

// DefaultInterval is how often pvestatd sends node statistics.
const DefaultInterval = 10 * time.Second

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	// Root is the root directory of the system whose /proc and /sys are
	// read; "" means "/".
	Root string
	// Node is the node name used as the host tag; "" means the short
	// name in /etc/hostname (or /proc/sys/kernel/hostname).
	Node string
	// Interval is the time between collections of Run; 0 means
	// DefaultInterval.
	Interval time.Duration
	// Now returns the time stamped on points; nil means time.Now.
	Now func() time.Time
}

// Collector gathers the host's own metrics as Proxmox VE's pvestatd
// exports them for a node: uptime, cpustat (with load averages),
// memory, nics, blockstat, ksm and, where ZFS is loaded, the ARC.
type Collector struct {
	fs       *rootfs.FS
	node     string
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	prevCPU []uint64 // the last cpu line of /proc/stat, for usage deltas
}

// NewCollector returns a Collector. A nil cfg means defaults.
func NewCollector(cfg *CollectorConfig) (*Collector, error) {
	if cfg == nil {
		cfg = &CollectorConfig{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	c := &Collector{fs: f, node: cfg.Node, interval: cmpOr(cfg.Interval, DefaultInterval), now: cfg.Now}
	if c.now == nil {
		c.now = time.Now
	}
	if c.node == "" {
		for _, p := range []string{"/etc/hostname", "/proc/sys/kernel/hostname"} {
			if h, err := f.ReadSmall(p); err == nil && strings.TrimSpace(h) != "" {
				c.node, _, _ = strings.Cut(strings.TrimSpace(h), ".")
				break
			}
		}
	}
	if c.node == "" {
		f.Close()
		return nil, errors.New("metrics: cannot tell the node name (no /etc/hostname)")
	}
	return c, nil
}

// Close releases the root directory.
func (c *Collector) Close() error { return c.fs.Close() }

// Node returns the node name the points are tagged with.
func (c *Collector) Node() string { return c.node }

// Collect reads the host's metrics once. Every value is a float64, as
// Proxmox VE sends them (InfluxDB types a field by its first value, so
// integers would clash with data Proxmox VE wrote). CPU usage fractions are
// relative to the previous Collect (since boot for the first). Sources
// missing on the system (no ZFS, no KSM) are left out; a file that
// exists but cannot be parsed is an error, returned with the points that
// could be read.
func (c *Collector) Collect() ([]Point, error) {
	now := c.now()
	tags := []Tag{{"object", "nodes"}, {"host", c.node}}
	pt := func(m string, fields []Field, extra ...Tag) Point {
		return Point{Measurement: m, Tags: append(append([]Tag(nil), tags...), extra...), Fields: fields, Time: now}
	}
	var out []Point
	var errs []error
	read := func(name string) (string, bool) {
		b, err := c.fs.ReadFile(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return "", false
		}
		return string(b), true
	}

	if s, ok := read("/proc/uptime"); ok {
		if f := strings.Fields(s); len(f) > 0 {
			if up, err := strconv.ParseFloat(f[0], 64); err == nil {
				out = append(out, pt("system", []Field{{"uptime", int64(up)}}))
			}
		}
	}
	var cpu []Field
	if s, ok := read("/proc/stat"); ok {
		fields, err := c.cpuFields(s)
		if err != nil {
			errs = append(errs, err)
		}
		cpu = fields
	}
	if s, ok := read("/proc/loadavg"); ok {
		f := strings.Fields(s)
		for i, k := range []string{"avg1", "avg5", "avg15"} {
			if i < len(f) {
				if v, err := strconv.ParseFloat(f[i], 64); err == nil {
					cpu = append(cpu, Field{k, v})
				}
			}
		}
	}
	if len(cpu) > 0 {
		out = append(out, pt("cpustat", cpu))
	}
	if s, ok := read("/proc/meminfo"); ok {
		if f, err := memFields(s); err != nil {
			errs = append(errs, err)
		} else {
			out = append(out, pt("memory", f))
		}
	}
	if s, ok := read("/proc/net/dev"); ok {
		nics, err := netDev(s)
		if err != nil {
			errs = append(errs, err)
		}
		for _, n := range nics {
			out = append(out, pt("nics", n.fields, Tag{"instance", n.name}))
		}
	}
	if s, ok := read("/proc/diskstats"); ok {
		disks, err := diskStats(s)
		if err != nil {
			errs = append(errs, err)
		}
		for _, d := range disks {
			out = append(out, pt("blockstat", d.fields, Tag{"instance", d.name}))
		}
	}
	if kc, err := ksm.New(&ksm.Config{Root: c.fs.Dir()}); err == nil {
		if st, err := kc.Status(); err == nil {
			out = append(out, pt("ksm", []Field{{"shared", st.Saved()}}))
		} else if !errors.Is(err, ksm.ErrNotSupported) {
			errs = append(errs, err)
		}
		kc.Close()
	}
	const arcPath = "/proc/spl/kstat/zfs/arcstats"
	if s, ok := read(arcPath); ok {
		arc, err := zfs.ParseARCStats(arcPath, []byte(s))
		if err != nil {
			errs = append(errs, err)
		} else {
			var f []Field
			for _, k := range []string{"size", "c", "c_min", "c_max", "hits", "misses", "l2_size", "l2_hits", "l2_misses"} {
				if v, ok := arc[k]; ok {
					f = append(f, Field{k, v})
				}
			}
			if len(f) > 0 {
				out = append(out, pt("zfs_arc", f))
			}
		}
	}
	for i := range out {
		for j, f := range out[i].Fields {
			if v, ok := numeric(f.Value); ok {
				out[i].Fields[j].Value = v
			}
		}
	}
	return out, errors.Join(errs...)
}

// cpuFields turns the aggregate cpu line of /proc/stat into fractions
// of the time since the previous sample, as Proxmox VE's cpustat: cpu
// (busy), wait (iowait) and one field per counter, plus cpus.
func (c *Collector) cpuFields(stat string) ([]Field, error) {
	var cur []uint64
	cpus := 0
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "cpu":
			for _, v := range f[1:] {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("/proc/stat: bad cpu counter %q", v)
				}
				cur = append(cur, n)
			}
		case strings.HasPrefix(f[0], "cpu"):
			cpus++
		}
	}
	if len(cur) < 4 {
		return nil, errors.New("/proc/stat: no cpu line")
	}
	c.mu.Lock()
	prev := c.prevCPU
	c.prevCPU = cur
	c.mu.Unlock()
	names := []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}
	delta := make([]float64, len(names))
	var total float64
	for i := range names {
		if i >= len(cur) {
			break
		}
		d := cur[i]
		if i < len(prev) && prev[i] <= cur[i] {
			d = cur[i] - prev[i]
		}
		delta[i] = float64(d)
		// guest and guest_nice are already counted in user and nice.
		if i < 8 {
			total += float64(d)
		}
	}
	var out []Field
	frac := func(v float64) float64 {
		if total == 0 {
			return 0
		}
		return v / total
	}
	idle := delta[3] + delta[4]
	out = append(out, Field{"cpu", frac(total - idle)}, Field{"wait", frac(delta[4])})
	for i, n := range names {
		if i < len(cur) {
			out = append(out, Field{n, frac(delta[i])})
		}
	}
	return append(out, Field{"cpus", int64(cpus)}), nil
}

// memFields reads /proc/meminfo into Proxmox VE's memory fields, in
// bytes; memused is total minus available.
func memFields(s string) ([]Field, error) {
	kb := map[string]uint64{}
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/meminfo: %s: bad value %q", k, f[0])
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		kb[k] = n
	}
	total, ok := kb["MemTotal"]
	if !ok {
		return nil, errors.New("/proc/meminfo: no MemTotal")
	}
	avail, ok := kb["MemAvailable"]
	if !ok {
		avail = kb["MemFree"] + kb["Buffers"] + kb["Cached"]
	}
	used := total - min(avail, total)
	swapUsed := kb["SwapTotal"] - min(kb["SwapFree"], kb["SwapTotal"])
	return []Field{
		{"memtotal", total}, {"memused", used}, {"memfree", avail}, {"memshared", kb["Shmem"]},
		{"swaptotal", kb["SwapTotal"]}, {"swapfree", kb["SwapFree"]}, {"swapused", swapUsed},
	}, nil
}

type device struct {
	name   string
	fields []Field
}

// netDev reads /proc/net/dev: receive and transmit bytes (and packets,
// errors, drops) of every interface but lo.
func netDev(s string) ([]device, error) {
	var out []device
	for i, line := range strings.Split(s, "\n") {
		if i < 2 || strings.TrimSpace(line) == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			return out, fmt.Errorf("/proc/net/dev:%d: no interface name", i+1)
		}
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		if len(f) < 16 {
			return out, fmt.Errorf("/proc/net/dev:%d: want 16 counters, got %d", i+1, len(f))
		}
		if name == "lo" {
			continue
		}
		var n [16]uint64
		for j := range n {
			v, err := strconv.ParseUint(f[j], 10, 64)
			if err != nil {
				return out, fmt.Errorf("/proc/net/dev:%d: bad counter %q", i+1, f[j])
			}
			n[j] = v
		}
		out = append(out, device{name, []Field{
			{"receive", n[0]}, {"transmit", n[8]},
			{"receive_packets", n[1]}, {"transmit_packets", n[9]},
			{"receive_errors", n[2]}, {"transmit_errors", n[10]},
			{"receive_drop", n[3]}, {"transmit_drop", n[11]},
		}})
	}
	return out, nil
}

// diskStats reads /proc/diskstats: every device but loop, ram and zram
// devices, with the counters of Documentation/admin-guide/iostats.rst.
func diskStats(s string) ([]device, error) {
	names := []string{"read_ios", "read_merges", "read_sectors", "read_ticks", "write_ios", "write_merges", "write_sectors", "write_ticks", "ios_in_progress", "io_ticks", "time_in_queue"}
	var out []device
	for i, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3+len(names) {
			return out, fmt.Errorf("/proc/diskstats:%d: want at least %d fields, got %d", i+1, 3+len(names), len(f))
		}
		name := f[2]
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		var fields []Field
		for j, n := range names {
			v, err := strconv.ParseUint(f[3+j], 10, 64)
			if err != nil {
				return out, fmt.Errorf("/proc/diskstats:%d: bad counter %q", i+1, f[3+j])
			}
			fields = append(fields, Field{n, v})
		}
		out = append(out, device{name, fields})
	}
	return out, nil
}

// Run collects every interval and sends the points to every sender,
// until ctx ends (it then returns ctx's error). Each send is bounded by
// its server's timeout; errors of collection or sending go to onError
// (nil ignores them) and do not stop the loop.
func (c *Collector) Run(ctx context.Context, senders []Sender, onError func(error)) error {
	if onError == nil {
		onError = func(error) {}
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		pts, err := c.Collect()
		if err != nil {
			onError(err)
		}
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Send(ctx, pts); err != nil {
					onError(err)
				}
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
