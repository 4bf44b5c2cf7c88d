package disk

import "github.com/hostadm/hostadm/internal/mountinfo"

// MountInfo is one line of /proc/PID/mountinfo.
type MountInfo = mountinfo.Mount

// ParseMountInfo parses /proc/PID/mountinfo; malformed lines are skipped.
// Octal escapes (\040 for a space) are decoded.
func ParseMountInfo(b []byte) []MountInfo { return mountinfo.Parse(b) }

// FindMount returns the mount that is visible at target: the last one
// mounted there, like `findmnt TARGET`.
func FindMount(mounts []MountInfo, target string) (MountInfo, bool) {
	return mountinfo.Find(mounts, target)
}
