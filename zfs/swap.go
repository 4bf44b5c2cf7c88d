package zfs

import (
	"path"
	"strconv"
	"strings"
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

// RecommendedSwappiness is the admin guide's value for servers.
const RecommendedSwappiness = 10

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
		out = append(out, SwapDevice{Path: unescapeMount(f[0]), Type: f[1], Size: size * 1024, Used: used * 1024, Priority: prio})
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
