package main

import "golang.org/x/sys/unix"

// checkDiskSpace reports free space on the root and /var/lib/vz, where ISO
// images, templates and backups of the "local" storage go.
func checkDiskSpace(e *env, s *Section) {
	if !e.host {
		return
	}
	seen := map[uint64]bool{}
	for _, p := range []string{"/", "/var/lib/vz", "/var/log"} {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil {
			continue
		}
		id := uint64(st.Fsid.Val[0])<<32 | uint64(uint32(st.Fsid.Val[1]))
		if seen[id] {
			continue
		}
		seen[id] = true
		total := st.Blocks * uint64(st.Bsize)
		free := st.Bavail * uint64(st.Bsize)
		if total == 0 {
			continue
		}
		pct := free * 100 / total
		switch {
		case pct < 5:
			s.Error("disk-space", "free space: remove old backups, ISO images or kernels (apt autoremove)",
				"%s has only %s (%d%%) free", p, bytesIEC(free), pct)
		case pct < 15:
			s.Warn("disk-space", "free space before updates or backups fail",
				"%s has %s (%d%%) free", p, bytesIEC(free), pct)
		default:
			s.OK("disk-space", "%s has %s (%d%%) free", p, bytesIEC(free), pct)
		}
	}
}
