package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"

	"github.com/hostadm/hostadm/lvm"
)

func init() {
	register(area{name: "lvm", title: "LVM volume groups and thin pools", order: 50, check: checkLVM})
}

// thinPoolFull is the use of a thin pool's data or metadata from which
// hostcheck warns.
const thinPoolFull = 80.0

const extendAdvice = "extend the pool: lvresize --size +<size> --poolmetadatasize +<size> VG/POOL (the metadata must grow with the data)"

func checkLVM(ctx context.Context, e *env, s *Section) {
	c, err := lvm.New(&lvm.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Error("open", "", "%v", err)
		return
	}
	defer c.Close()
	live := false
	if e.host {
		if _, err := exec.LookPath("lvs"); err != nil {
			s.Info("tools", "install lvm2 to use LVM storage", "the LVM tools are not installed")
		} else if !e.privileged {
			s.Info("privileges", "run hostcheck as root to see thin pool usage", "the LVM tools need root; reading the metadata backups only")
		} else {
			live = checkLVMLive(ctx, s, c)
		}
	}
	if !live {
		checkLVMBackups(s, c)
	}
	checkLVMStorages(s, c)
}

// checkLVMLive reports from vgs and lvs; false when they could not run.
func checkLVMLive(ctx context.Context, s *Section, c *lvm.Client) bool {
	vgs, err := c.VGs(ctx)
	if err != nil {
		s.Warn("vgs", "", "vgs failed: %v", err)
		return false
	}
	lvs, err := c.LVs(ctx, "")
	if err != nil {
		s.Warn("lvs", "", "lvs failed: %v", err)
		return false
	}
	reportLVM(s, vgs, lvs)
	return true
}

// reportLVM grades volume groups and thin pools from vgs and lvs.
func reportLVM(s *Section, vgs []lvm.VG, lvs []lvm.LV) {
	if len(vgs) == 0 {
		s.Info("vgs", "", "no LVM volume groups")
		return
	}
	for _, vg := range vgs {
		switch {
		case vg.Attr.Partial || vg.MissingPVs > 0:
			s.Error("vg", "replace the missing disk and run vgreduce --removemissing or restore it: volumes on it are unusable",
				"volume group %s is missing %d physical volume(s)", vg.Name, vg.MissingPVs).Where = "vg " + vg.Name
		default:
			s.OK("vg", "volume group %s: %s, %s free, %d PV, %d LV", vg.Name, gib(vg.Size), gib(vg.Free), vg.PVCount, vg.LVCount)
		}
	}
	for _, lv := range lvs {
		if !lv.IsThinPool() {
			continue
		}
		where := "lv " + lv.FullName()
		switch lv.Attr.Health {
		case "":
		case "out-of-data-space", "failed", "metadata-read-only":
			s.Error("thin-pool-health", extendAdvice, "thin pool %s: %s", lv.FullName(), lv.Attr.Health).Where = where
			continue
		default:
			s.Warn("thin-pool-health", "", "thin pool %s: %s", lv.FullName(), lv.Attr.Health).Where = where
		}
		if lv.DataPercent == nil || lv.MetadataPercent == nil {
			s.Info("thin-pool", "activate it with: lvchange -ay "+lv.FullName(), "thin pool %s is not active", lv.FullName()).Where = where
			continue
		}
		d, m := *lv.DataPercent, *lv.MetadataPercent
		if d > thinPoolFull || m > thinPoolFull {
			s.Warn("thin-pool-full", extendAdvice, "thin pool %s is %.1f%% full (data) and %.1f%% (metadata) of %s", lv.FullName(), d, m, gib(lv.Size)).Where = where
		} else {
			s.OK("thin-pool", "thin pool %s: %.1f%% data, %.1f%% metadata of %s", lv.FullName(), d, m, gib(lv.Size))
		}
	}
}

// checkLVMBackups reports from /etc/lvm/backup, which needs no root.
func checkLVMBackups(s *Section, c *lvm.Client) {
	ms, err := c.MetadataBackups()
	if errors.Is(err, fs.ErrNotExist) {
		s.Info("vgs", "", "no LVM volume groups (no metadata in /etc/lvm/backup)")
		return
	}
	if err != nil {
		s.Warn("backup", "", "%v", err)
		return
	}
	for _, m := range ms {
		vg := m.VG
		f := s.OK("vg", "volume group %s: %s, %s free, %d PV, %d LV (metadata of %s)",
			vg.Name, gib(vg.Size()), gib(vg.Free()), len(vg.PVs), len(vg.LVs), m.Time.Format("2006-01-02"))
		f.Where = "/etc/lvm/backup/" + vg.Name
		for _, p := range vg.ThinPools() {
			f := s.OK("thin-pool", "thin pool %s/%s: %s data, %s metadata, %d thin volumes of %s",
				vg.Name, p.Name, gib(p.Size), gib(p.MetadataSize), len(p.Volumes), gib(p.VirtualSize))
			f.Where = "/etc/lvm/backup/" + vg.Name
			if p.VirtualSize > p.Size {
				s.Info("overprovisioned", "watch the pool's data use (lvs): writes fail when it is full",
					"thin pool %s/%s is over-provisioned: %s of thin volumes on %s", vg.Name, p.Name, gib(p.VirtualSize), gib(p.Size))
			}
			if want := lvm.ThinPoolMetadataSize(p.Size); p.MetadataSize < want/2 {
				s.Info("thin-pool-metadata", "extend the metadata: lvextend --poolmetadatasize +<size> "+vg.Name+"/"+p.Name,
					"thin pool %s/%s has %s of metadata, Proxmox VE would give it %s", vg.Name, p.Name, gib(p.MetadataSize), gib(want))
			}
		}
	}
}

func checkLVMStorages(s *Section, c *lvm.Client) {
	sts, err := c.Storages()
	if err != nil {
		s.Warn("storage", "", "%v", err)
		return
	}
	backups, _ := c.MetadataBackups()
	for _, st := range sts {
		where := fmt.Sprintf("/etc/pve/storage.cfg:%d", st.Line)
		if st.Disabled {
			s.Info("storage", "", "%s storage %s is disabled", st.Type, st.ID).Where = where
			continue
		}
		found := backups == nil // without backups, assume it is there
		for _, m := range backups {
			if m.VG.Name != st.VG {
				continue
			}
			if st.Type == lvm.StorageLVM {
				found = true
			} else if lv := m.VG.LV(st.ThinPool); lv != nil {
				found = true
			}
		}
		if !found {
			s.Warn("storage", "create the volume group or thin pool, or remove the storage entry",
				"%s storage %s names %s/%s, which does not exist", st.Type, st.ID, st.VG, st.ThinPool).Where = where
			continue
		}
		target := st.VG
		if st.ThinPool != "" {
			target += "/" + st.ThinPool
		}
		s.OK("storage", "%s storage %s on %s", st.Type, st.ID, target).Where = where
	}
}

func gib(n uint64) string { return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30)) }
