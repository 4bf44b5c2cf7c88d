package btrfs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Parsers of the btrfs CLI's output, the oracle the tests compare the
// ioctls against.

var (
	usageLineRE  = regexp.MustCompile(`^\s+([A-Za-z ()]+?):\s+(-?[0-9.]+)(?:\s+\((?:min|used): (-?[0-9]+)\))?$`)
	usageSpaceRE = regexp.MustCompile(`^(Data|Metadata|System|Data\+Metadata),([A-Za-z0-9]+): Size:([0-9]+), Used:([0-9]+)`)
)

// parseUsageOutput reads `btrfs filesystem usage -b`.
func parseUsageOutput(out string) (*Usage, error) {
	u := &Usage{}
	for _, line := range strings.Split(out, "\n") {
		if m := usageSpaceRE.FindStringSubmatch(line); m != nil {
			size, _ := strconv.ParseUint(m[3], 10, 64)
			used, _ := strconv.ParseUint(m[4], 10, 64)
			u.Spaces = append(u.Spaces, Space{Type: m[1], Profile: Profile(strings.ToLower(m[2])), Size: size, Used: used})
			continue
		}
		m := usageLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		f, _ := strconv.ParseFloat(m[2], 64)
		extra, _ := strconv.ParseUint(m[3], 10, 64)
		switch m[1] {
		case "Device size":
			u.DeviceSize = uint64(n)
		case "Device allocated":
			u.DeviceAllocated = uint64(n)
		case "Device unallocated":
			u.DeviceUnallocated = n
		case "Device missing":
			u.DeviceMissing = uint64(n)
		case "Device slack":
			u.DeviceSlack = uint64(n)
		case "Used":
			u.Used = uint64(n)
		case "Free (estimated)":
			u.FreeEstimated, u.FreeMin = uint64(n), extra
		case "Data ratio":
			u.DataRatio = f
		case "Metadata ratio":
			u.MetadataRatio = f
		case "Global reserve":
			u.GlobalReserve, u.GlobalReserveUsed = uint64(n), extra
		}
	}
	if u.DeviceSize == 0 {
		return nil, fmt.Errorf("no usage in %q", out)
	}
	return u, nil
}

// parseSubvolumeList reads `btrfs subvolume list -c -u -q PATH`.
func parseSubvolumeList(out string) ([]Subvolume, error) {
	var subs []Subvolume
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		var s Subvolume
		for i := 0; i+1 < len(f); i++ {
			v := f[i+1]
			switch f[i] {
			case "ID":
				s.ID, _ = strconv.ParseUint(v, 10, 64)
			case "gen":
				s.Generation, _ = strconv.ParseUint(v, 10, 64)
			case "cgen":
				s.CreationGeneration, _ = strconv.ParseUint(v, 10, 64)
			case "level":
				s.ParentID, _ = strconv.ParseUint(v, 10, 64)
			case "parent_uuid":
				if v != "-" {
					s.ParentUUID, _ = ParseUUID(v)
				}
			case "uuid":
				s.UUID, _ = ParseUUID(v)
			case "path":
				s.Path = strings.Join(f[i+1:], " ")
				i = len(f)
			}
		}
		if s.ID == 0 {
			return nil, fmt.Errorf("bad list line %q", line)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

// parseSubvolumeShow reads `btrfs subvolume show PATH` into its fields.
func parseSubvolumeShow(out string) (*Subvolume, error) {
	s := &Subvolume{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "UUID":
			s.UUID, _ = ParseUUID(v)
		case "Parent UUID":
			s.ParentUUID, _ = ParseUUID(v)
		case "Subvolume ID":
			s.ID, _ = strconv.ParseUint(v, 10, 64)
		case "Generation":
			s.Generation, _ = strconv.ParseUint(v, 10, 64)
		case "Gen at creation":
			s.CreationGeneration, _ = strconv.ParseUint(v, 10, 64)
		case "Parent ID":
			s.ParentID, _ = strconv.ParseUint(v, 10, 64)
		case "Flags":
			s.ReadOnly = strings.Contains(v, "readonly")
		}
	}
	if s.ID == 0 {
		return nil, fmt.Errorf("no subvolume in %q", out)
	}
	return s, nil
}
