package disk

import (
	"strconv"
	"strings"
)

// MountInfo is one line of /proc/PID/mountinfo.
type MountInfo struct {
	ID           int    `json:"id"`
	Parent       int    `json:"parent"`
	MajMin       string `json:"maj_min"` // "8:2"
	Root         string `json:"root"`    // the mounted directory of the file system
	MountPoint   string `json:"mount_point"`
	Options      string `json:"options"`
	FSType       string `json:"fstype"`
	Source       string `json:"source"` // "/dev/sda2", "rpool/ROOT/pve-1"
	SuperOptions string `json:"super_options"`
}

// ParseMountInfo parses /proc/PID/mountinfo; malformed lines are skipped.
// Octal escapes (\040 for a space) are decoded.
func ParseMountInfo(b []byte) []MountInfo {
	var out []MountInfo
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(f) < sep+3 {
			continue
		}
		id, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			continue
		}
		mi := MountInfo{
			ID: id, Parent: parent, MajMin: f[2],
			Root: unescapeMount(f[3]), MountPoint: unescapeMount(f[4]), Options: f[5],
			FSType: f[sep+1], Source: unescapeMount(f[sep+2]),
		}
		if len(f) > sep+3 {
			mi.SuperOptions = f[sep+3]
		}
		out = append(out, mi)
	}
	return out
}

// FindMount returns the mount that is visible at target: the last one
// mounted there, like `findmnt TARGET`.
func FindMount(mounts []MountInfo, target string) (MountInfo, bool) {
	for i := len(mounts) - 1; i >= 0; i-- {
		if mounts[i].MountPoint == target {
			return mounts[i], true
		}
	}
	return MountInfo{}, false
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
