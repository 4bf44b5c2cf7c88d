package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hostadm/hostadm/fstab"
)

func init() {
	register(area{name: "fstab", title: "file systems mounted at boot", order: 57, check: checkFstab})
}

func checkFstab(ctx context.Context, e *env, s *Section) {
	data, err := e.fs.ReadFile(fstab.DefaultPath)
	if errors.Is(err, fs.ErrNotExist) {
		s.Warn("missing", "every Proxmox VE host lists its root file system in /etc/fstab", "%s does not exist", fstab.DefaultPath)
		return
	}
	if err != nil {
		s.Error("read", "", "cannot read %s: %v", fstab.DefaultPath, err)
		return
	}
	f, err := fstab.Parse(fstab.DefaultPath, data)
	if err != nil {
		var pe *fstab.ParseError
		fi := s.Error("syntax", "fix the line: a broken fstab can stop the host from booting", "%v", err)
		if errors.As(err, &pe) {
			fi.Where = fmt.Sprintf("%s:%d", pe.File, pe.Line)
		}
		return
	}
	entries := f.Entries()
	byPath, seen := 0, map[string]int{}
	for _, en := range entries {
		where := fmt.Sprintf("%s:%d", fstab.DefaultPath, en.Line)
		if en.Source.KernelName() {
			byPath++
			s.Warn("device-path", "name it by UUID= (blkid shows it): kernel names such as /dev/sdb1 change when disks are added or removed",
				"%s is mounted from %s by kernel device name", en.MountPoint, en.Source.Value).Where = where
		}
		if en.MountPoint != "none" && en.Type != "swap" {
			if first, dup := seen[en.MountPoint]; dup {
				s.Warn("duplicate", "remove one of the entries: only the first is mounted at boot",
					"%s is listed twice (lines %d and %d)", en.MountPoint, first, en.Line).Where = where
			}
			seen[en.MountPoint] = en.Line
		}
		if e.host && en.MountPoint != "none" && en.Type != "swap" && !en.Options.Has("noauto") {
			if st, err := e.fs.Stat(en.MountPoint); err != nil || !st.IsDir() {
				s.Warn("mount-point", "create the directory or remove the entry, or the mount fails at boot",
					"mount point %s does not exist", en.MountPoint).Where = where
			}
		}
	}
	if root := f.Lookup("/"); root == nil {
		s.Warn("root", "list the root file system in /etc/fstab, as the installer does", "no entry for /")
	} else if root.PassNo != 1 && root.Type != "btrfs" && root.Type != "zfs" {
		s.Info("root-pass", "the root file system should have fsck pass 1", "/ has pass %d", root.PassNo).Where = fmt.Sprintf("%s:%d", fstab.DefaultPath, root.Line)
	}
	if byPath == 0 {
		s.OK("entries", "%d entries, none named by kernel device name", len(entries))
	} else {
		s.Info("entries", "", "%d entries, %d named by kernel device name", len(entries), byPath)
	}
}
