package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/btrfs"
	"github.com/hostadm/hostadm/fstab"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

func init() {
	register(area{name: "btrfs", title: "btrfs file systems, compression and storage", order: 55, check: checkBtrfs})
}

func checkBtrfs(ctx context.Context, e *env, s *Section) {
	c, err := btrfs.New(&btrfs.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Error("open", "", "%v", err)
		return
	}
	defer c.Close()
	if e.host {
		checkBtrfsMounts(e, s, c)
	}
	checkBtrfsFstab(e, s)
	sts, err := c.Storages()
	if err != nil {
		s.Warn("storage", "", "%v", err)
		return
	}
	for _, st := range sts {
		where := fmt.Sprintf("/etc/pve/storage.cfg:%d", st.Line)
		if st.Disabled {
			s.Info("storage", "", "btrfs storage %s is disabled", st.ID).Where = where
			continue
		}
		if e.host {
			if _, err := c.Info(st.Path); err != nil {
				s.Warn("storage", "mount the btrfs file system there, or fix the storage's path", "btrfs storage %s: %v", st.ID, err).Where = where
				continue
			}
		}
		s.OK("storage", "btrfs storage %s at %s", st.ID, st.Path).Where = where
	}
	checkInstallerLayout(e, s, sts)
}

// checkInstallerLayout checks what the installer writes for a btrfs
// root: "dir: local" disabled in favour of "btrfs: local-btrfs".
func checkInstallerLayout(e *env, s *Section, sts []btrfs.Storage) {
	if !slices.ContainsFunc(sts, func(st btrfs.Storage) bool { return st.Path == "/var/lib/pve/local-btrfs" && !st.Disabled }) {
		return
	}
	data, err := e.fs.ReadFile(btrfs.StorageConfigPath)
	if err != nil {
		return
	}
	cfg, err := sectioncfg.Parse(btrfs.StorageConfigPath, data)
	if err != nil {
		return
	}
	if sec := cfg.Lookup("local"); sec != nil && sec.Type == "dir" {
		if v, _ := sec.Get("disable"); v != "1" {
			s.Info("dir-local", "disable the dir storage local, as the installer does for a btrfs root: both would hold the same files",
				"dir storage local is enabled beside btrfs storage on /var/lib/pve/local-btrfs").Where = fmt.Sprintf("%s:%d", btrfs.StorageConfigPath, sec.Line)
		}
	}
}

// checkBtrfsMounts reports each mounted btrfs file system's usage, from
// the kernel's ioctls.
func checkBtrfsMounts(e *env, s *Section, c *btrfs.Client) {
	data, err := e.fs.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, m := range disk.ParseMountInfo(data) {
		if m.FSType != "btrfs" || seen[m.MajMin] {
			continue
		}
		seen[m.MajMin] = true
		u, err := c.Usage(m.MountPoint)
		if err != nil {
			s.Info("usage", "run hostcheck as root", "btrfs at %s: %v", m.MountPoint, err)
			continue
		}
		where := m.MountPoint
		data := u.Space("Data")
		s.OK("usage", "btrfs at %s: %s allocated of %s, about %s free (btrfs filesystem usage)",
			m.MountPoint, gib(u.DeviceAllocated), gib(u.DeviceSize), gib(u.FreeEstimated)).Where = where
		if data.Size > 0 && u.FreeEstimated < (data.Used+u.FreeEstimated)/10 {
			s.Warn("full", "free space or add a device (btrfs device add); df can mislead on btrfs, check btrfs filesystem usage",
				"btrfs at %s has %s free, under 10%%", m.MountPoint, gib(u.FreeEstimated)).Where = where
		}
		if u.DeviceUnallocated < 1<<30 {
			if meta := u.Space("Metadata"); meta.Size > 0 && meta.Used > meta.Size*8/10 {
				s.Warn("metadata", "run btrfs balance start -dusage=50 to free unallocated space for metadata",
					"btrfs at %s: metadata %d%% used with little unallocated space", m.MountPoint, meta.Used*100/meta.Size).Where = where
			}
		}
		if slices.ContainsFunc(u.Spaces, func(sp btrfs.Space) bool { return sp.Profile == btrfs.RAID5 || sp.Profile == btrfs.RAID6 }) {
			s.Warn("raid56", "move data to raid1 or raid10 (btrfs balance start -dconvert=raid1 -mconvert=raid1): btrfs RAID 5/6 is experimental and dangerous",
				"btrfs at %s uses RAID 5/6", m.MountPoint).Where = where
		}
		if len(u.MultipleProfiles) > 0 {
			s.Warn("profiles", "finish the conversion with btrfs balance", "btrfs at %s has several profiles for %v", m.MountPoint, u.MultipleProfiles).Where = where
		}
	}
}

// checkBtrfsFstab reports the btrfs entries of fstab and their compression.
func checkBtrfsFstab(e *env, s *Section) {
	data, err := e.fs.ReadFile(fstab.DefaultPath)
	if err != nil {
		return
	}
	f, err := fstab.Parse(fstab.DefaultPath, data)
	if err != nil {
		return // the fstab area reports it
	}
	for _, en := range f.Entries() {
		if en.Type != "btrfs" {
			continue
		}
		where := fmt.Sprintf("%s:%d", fstab.DefaultPath, en.Line)
		comp, ok, err := btrfs.EntryCompression(en)
		switch {
		case err != nil:
			s.Warn("compression", "use compress=zstd, compress=lzo or compress=zlib", "btrfs at %s: %v", en.MountPoint, err).Where = where
		case !ok:
			s.Info("compression", "append compress=zstd to the options (defaults,compress=zstd); it applies to data written after the next mount",
				"btrfs at %s is mounted without compression", en.MountPoint).Where = where
		default:
			s.OK("compression", "btrfs at %s compresses with %s", en.MountPoint, comp).Where = where
		}
	}
}
