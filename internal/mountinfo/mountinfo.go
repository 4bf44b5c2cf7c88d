// Package mountinfo parses /proc/PID/mountinfo, the kernel's mount table
// with mount IDs, the mounted directory of each file system and its
// super-block options.
package mountinfo

import (
	"strconv"
	"strings"
)

// Mount is one line of /proc/PID/mountinfo.
type Mount struct {
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

// Parse parses /proc/PID/mountinfo; malformed lines are skipped. Octal
// escapes (\040 for a space) are decoded.
func Parse(b []byte) []Mount {
	var out []Mount
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
		m := Mount{
			ID: id, Parent: parent, MajMin: f[2],
			Root: Unescape(f[3]), MountPoint: Unescape(f[4]), Options: f[5],
			FSType: f[sep+1], Source: Unescape(f[sep+2]),
		}
		if len(f) > sep+3 {
			m.SuperOptions = f[sep+3]
		}
		out = append(out, m)
	}
	return out
}

// Find returns the mount that is visible at target: the last one mounted
// there, like `findmnt TARGET`.
func Find(mounts []Mount, target string) (Mount, bool) {
	for i := len(mounts) - 1; i >= 0; i-- {
		if mounts[i].MountPoint == target {
			return mounts[i], true
		}
	}
	return Mount{}, false
}

// Unescape decodes the kernel's \ooo escapes of space, tab, newline and
// backslash in the fields of /proc/PID/mountinfo and /proc/mounts.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
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
