package main

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/zfs"
)

func init() {
	register(area{name: "zfs", title: "ZFS pools, ARC, ZED and swap", order: 40, check: checkZFS})
}

func checkZFS(ctx context.Context, e *env, s *Section) {
	c, err := zfs.New(&zfs.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Error("open", "", "%v", err)
		return
	}
	defer c.Close()
	loaded := e.fs.Exists("/sys/module/zfs")
	if !loaded {
		s.Info("module", "ZFS pools need the zfs module of the Proxmox VE kernel", "the zfs module is not loaded")
	} else {
		ver, _ := e.fs.ReadSmall("/sys/module/zfs/version")
		s.OK("module", "zfs module %s loaded", strings.TrimSpace(ver))
	}
	sizes := checkPools(ctx, e, s, c, loaded)
	checkARC(ctx, s, c, sizes)
	checkZED(s, c, loaded)
	checkSwap(ctx, s, c)
	checkStorages(e, s, c, sizes)
}

// checkPools reports pool health from the kstat state files (no command
// needed) and, on the host, from zpool list and zpool status. It returns
// the pools' sizes when known.
func checkPools(ctx context.Context, e *env, s *Section, c *zfs.Client, loaded bool) map[string]uint64 {
	states, _ := e.fs.Glob("/proc/spl/kstat/zfs/*/state")
	var sizes map[string]uint64
	var statuses []*zfs.PoolStatus
	if e.host && loaded {
		if !e.privileged {
			s.Info("privileges", "run hostcheck as root to see pool status and sizes", "zpool status needs root on some hosts; reading pool states only")
		}
		if out, err := e.run.Run(ctx, runner.Cmd{Args: zfs.PoolListArgs()}); err == nil {
			if pools, err := zfs.ParsePoolList("zpool list", out.Stdout); err == nil {
				sizes = map[string]uint64{}
				for _, p := range pools {
					sizes[p.Name] = p.Size
				}
			}
		}
		if out, err := e.run.Run(ctx, runner.Cmd{Args: []string{"zpool", "status", "-p"}}); err == nil {
			statuses, _ = zfs.ParseStatus("zpool status", bytes.NewReader(out.Stdout))
		}
	}
	if len(states) == 0 && len(statuses) == 0 {
		if loaded {
			s.Info("pools", "create a pool with: zpool create -f -o ashift=12 <pool> <device>", "no ZFS pools imported")
		}
		return sizes
	}
	seen := map[string]bool{}
	for _, st := range statuses {
		seen[st.Name] = true
		checkPoolStatus(s, c, st)
	}
	for _, f := range states {
		name := path.Base(path.Dir(f))
		if seen[name] {
			continue
		}
		state, err := e.fs.ReadSmall(f)
		if err != nil {
			continue
		}
		poolHealth(s, name, zfs.State(strings.TrimSpace(state))).Where = f
	}
	return sizes
}

func poolHealth(s *Section, name string, state zfs.State) *Finding {
	switch state {
	case zfs.StateOnline:
		return s.OK("pool-health", "pool %s is ONLINE", name)
	case zfs.StateDegraded:
		return s.Warn("pool-health", "run zpool status -v "+name+" and replace failed devices: zpool replace -f <pool> <old-device> <new-device>", "pool %s is DEGRADED", name)
	}
	return s.Error("pool-health", "run zpool status -v "+name+"; the pool is not usable in this state", "pool %s is %s", name, state)
}

func checkPoolStatus(s *Section, c *zfs.Client, st *zfs.PoolStatus) {
	poolHealth(s, st.Name, st.State)
	if st.Root != nil {
		for _, v := range st.Root.Leaves() {
			if v.Read+v.Write+v.Checksum > 0 {
				s.Warn("device-errors", "check the disk's SMART data and cabling; replace it if errors grow, then zpool clear "+st.Name,
					"%s/%s has %d read, %d write, %d checksum errors", st.Name, v.Name, v.Read, v.Write, v.Checksum)
			}
		}
	}
	if sc := st.Scan; sc != nil && sc.State == "scanning" {
		s.Info("scan", "use zpool status -v to monitor the progress", "%s of %s: %.1f%% done", sc.Function, st.Name, sc.Percent)
	}
	if st.Errors != "" && st.Errors != "No known data errors" {
		s.Error("data-errors", "restore the damaged files from backup (zpool status -v "+st.Name+" lists them)", "%s: %s", st.Name, st.Errors)
	}
	if b := c.Boot(); b.GRUBReadsPool(st.Name) {
		if strings.Contains(st.Status, "features are not enabled") {
			s.Warn("grub-features", "do not run zpool upgrade "+st.Name+" while the host boots with GRUB: new features make it unbootable",
				"%s can be upgraded, but GRUB reads it to boot", st.Name)
		} else {
			s.Info("grub-features", "do not run zpool upgrade "+st.Name+": switch to proxmox-boot-tool first",
				"GRUB reads %s to boot the host", st.Name)
		}
	}
}

func checkARC(ctx context.Context, s *Section, c *zfs.Client, sizes map[string]uint64) {
	a, err := c.ARC(ctx)
	if err != nil {
		s.Warn("arc", "", "cannot read the ARC settings: %v", err)
		return
	}
	if !a.Loaded && a.ConfigMax == 0 {
		return
	}
	if a.ConfigMax != 0 {
		f := s.OK("arc-config", "zfs.conf limits the ARC to %s", zfs.HumanSize(a.ConfigMax))
		f.Where = fmt.Sprintf("%s:%d", zfs.ModprobeFile, a.ConfigMaxLine)
	}
	if !a.Loaded {
		return
	}
	if a.MaxIgnored() {
		s.Warn("arc-max-ignored", fmt.Sprintf("also set zfs_arc_min to at most zfs_arc_max - 1 (%d)", a.ParamMax-1),
			"zfs_arc_max=%s is at or below the ARC minimum %s and is ignored", zfs.HumanSize(a.ParamMax), zfs.HumanSize(a.Min))
	}
	if a.ConfigMax != 0 && a.ParamMax != a.ConfigMax {
		s.Info("arc-pending", "reboot (after update-initramfs -u -k all when root is on ZFS) to apply zfs.conf",
			"running zfs_arc_max %d differs from zfs.conf's %d", a.ParamMax, a.ConfigMax)
	}
	var storage uint64
	for _, n := range sizes {
		storage += n
	}
	if sizes == nil {
		s.OK("arc", "ARC %s of at most %s (%d%% of memory)", zfs.HumanSize(a.Size), zfs.HumanSize(a.Max), percent(a.Max, a.MemTotal))
		return
	}
	want := zfs.RecommendedARC(storage)
	if a.Max < want {
		s.Warn("arc", "allocate at least 2 GiB base + 1 GiB per TiB of storage for the ARC",
			"ARC limit %s is below %s for %s of pools", zfs.HumanSize(a.Max), zfs.HumanSize(want), zfs.HumanSize(storage))
	} else {
		s.OK("arc", "ARC limit %s covers the %s the rule asks for %s of pools", zfs.HumanSize(a.Max), zfs.HumanSize(want), zfs.HumanSize(storage))
	}
}

func percent(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return a * 100 / b
}

func checkZED(s *Section, c *zfs.Client, loaded bool) {
	z, err := c.ZED()
	if err != nil {
		if loaded {
			s.Warn("zed", "install zfs-zed so that ZFS events such as pool errors are mailed", "no zed.rc: %v", err)
		}
		return
	}
	addr, line, ok := z.Get("ZED_EMAIL_ADDR")
	where := zfs.ZEDFile
	if ok {
		where = fmt.Sprintf("%s:%d", zfs.ZEDFile, line)
	}
	if !ok || strings.TrimSpace(addr) == "" {
		s.Warn("zed-mail", `set ZED_EMAIL_ADDR="root" in zed.rc; mail to root goes to the root user's address`,
			"ZED sends no mail on pool errors").Where = where
		return
	}
	s.OK("zed-mail", "ZED mails ZFS events to %s", addr).Where = where
}

func checkSwap(ctx context.Context, s *Section, c *zfs.Client) {
	swaps, err := c.Swaps()
	if err != nil {
		return
	}
	for _, sw := range swaps {
		if sw.Zvol != "" {
			s.Warn("swap-zvol", "swap on a zvol can block the server; use a partition on a physical disk and vm.swappiness = 10",
				"swap on zvol %s (%s)", sw.Zvol, sw.Path)
		}
	}
	sw, err := c.Swappiness(ctx)
	if err != nil || len(swaps) == 0 {
		return
	}
	switch {
	case sw.Runtime > zfs.RecommendedSwappiness:
		s.Info("swappiness", "a good value for servers is 10: sysctl -w vm.swappiness=10, and vm.swappiness = 10 in /etc/sysctl.conf",
			"vm.swappiness is %d with swap active", sw.Runtime)
	case sw.Boot != sw.Runtime:
		f := s.Info("swappiness", "add vm.swappiness = "+fmt.Sprint(sw.Runtime)+" to /etc/sysctl.conf to keep it after a reboot",
			"vm.swappiness is %d now but %d at boot", sw.Runtime, sw.Boot)
		if sw.File != "" {
			f.Where = fmt.Sprintf("%s:%d", sw.File, sw.Line)
		}
	default:
		s.OK("swappiness", "vm.swappiness is %d", sw.Runtime)
	}
}

func checkStorages(e *env, s *Section, c *zfs.Client, sizes map[string]uint64) {
	st, err := c.Storages()
	if err != nil {
		s.Warn("storage", "", "%v", err)
		return
	}
	for _, x := range st {
		pool := zfs.PoolOf(x.Pool)
		where := fmt.Sprintf("%s:%d", zfs.StorageFile, x.Line)
		known := e.fs.Exists("/proc/spl/kstat/zfs/" + pool)
		if sizes != nil {
			_, known = sizes[pool]
		}
		if !known && !x.Disable {
			s.Warn("storage", "import the pool or disable the storage", "zfspool storage %s uses pool %s, which is not imported", x.ID, pool).Where = where
			continue
		}
		s.OK("storage", "zfspool storage %s on %s", x.ID, x.Pool).Where = where
	}
}
