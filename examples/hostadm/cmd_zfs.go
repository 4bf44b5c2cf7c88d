package main

import (
	"context"
	"flag"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/zfs"
)

func init() {
	register(&Command{Name: "zfs", Summary: "plan ZFS pools, show their status, set the ARC, ZED and swappiness, replace boot disks", Sub: []*Command{
		zfsPlanCmd(), zfsStatusCmd(), zfsARCCmd(), zfsZEDCmd(), zfsSwapCmd(), zfsReplaceBootCmd(),
	}})
}

// zfsListFlag collects a repeated flag.
type zfsListFlag []string

func (l *zfsListFlag) String() string     { return strings.Join(*l, ",") }
func (l *zfsListFlag) Set(s string) error { *l = append(*l, s); return nil }

func zfsClient(env *Env) (*zfs.Client, error) {
	return zfs.New(&zfs.Config{Root: env.Root})
}

func zfsPlanCmd() *Command {
	var (
		pool, compression                 string
		ashift, width, draidData, draidSp int
		cache, log, special, spares       zfsListFlag
		logMirror, specialMirror          bool
	)
	return &Command{
		Name: "plan", Args: "LEVEL DISK...", Summary: "validate a pool layout and print its zpool create command",
		Help: `LEVEL is raid0, raid1, raid10, raidz1, raidz2, raidz3, draid, draid2 or
draid3. Disks are checked against the admin guide's minimum counts and pool
name rules; the command line, the usable capacity (when the disks' sizes
can be read from sysfs) and the guide's warnings are printed. Nothing is
created.

JSON output: {"pool", "level", "ashift", "vdevs": [{"type", "devices",
"draid_data", "draid_spares", "draid_groups"}], "special", "log", "cache",
"spares", "options", "fs_options", "redundancy", "argv": [...],
"capacity": {"raw", "usable"} (bytes, absent when sizes are unknown),
"warnings": [...]}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&pool, "pool", "tank", "pool `NAME`")
			fl.IntVar(&ashift, "ashift", 12, "sector size exponent")
			fl.IntVar(&width, "mirror-width", 2, "disks per mirror of raid10")
			fl.IntVar(&draidData, "draid-data", 0, "dRAID data disks per group (0: default)")
			fl.IntVar(&draidSp, "draid-spares", 0, "dRAID distributed spares")
			fl.Var(&cache, "cache", "cache `DEVICE` (repeatable)")
			fl.Var(&log, "log", "log `DEVICE` (repeatable)")
			fl.BoolVar(&logMirror, "log-mirror", false, "mirror the log devices")
			fl.Var(&special, "special", "special `DEVICE` (repeatable)")
			fl.BoolVar(&specialMirror, "special-mirror", false, "mirror the special devices")
			fl.Var(&spares, "spare", "hot spare `DEVICE` (repeatable)")
			fl.StringVar(&compression, "compression", "", "compression of the root dataset (lz4)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 2 {
				return usagef("zfs plan: want LEVEL and at least one DISK")
			}
			level, err := zfs.ParseLevel(args[0])
			if err != nil {
				return usagef("zfs plan: %v", err)
			}
			l := &zfs.Layout{Pool: pool, Level: level, Disks: args[1:], MirrorWidth: width, Ashift: ashift,
				DRAIDData: draidData, DRAIDSpares: draidSp, Cache: cache, Log: log, LogMirror: logMirror,
				Special: special, SpecialMirror: specialMirror, Spares: spares, Compression: compression,
				Sizes: diskSizes(env, args[1:])}
			p, err := l.Plan()
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(p)
			}
			fmt.Fprintf(env.Stdout, "%s\n", strings.Join(p.Argv, " "))
			fmt.Fprintf(env.Stdout, "level %v, ashift %d, survives %d failed disk(s) per vdev\n", p.Level, p.Ashift, p.Redundancy)
			if p.Capacity != nil {
				fmt.Fprintf(env.Stdout, "capacity: %s usable of %s raw\n", zfs.HumanSize(p.Capacity.Usable), zfs.HumanSize(p.Capacity.Raw))
			}
			for _, w := range p.Warnings {
				fmt.Fprintf(env.Stdout, "warning: %s\n", w)
			}
			return nil
		},
	}
}

// diskSizes reads the disks' sizes from sysfs, following /dev links.
func diskSizes(env *Env, disks []string) map[string]uint64 {
	fsys, err := env.FS()
	if err != nil {
		return nil
	}
	sizes := map[string]uint64{}
	for _, d := range disks {
		dev := d
		if r, err := fsys.Resolve(d); err == nil {
			dev = r
		}
		s, err := fsys.ReadSmall("/sys/class/block/" + path.Base(dev) + "/size")
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil {
			sizes[d] = n * 512
		}
	}
	return sizes
}

func zfsStatusCmd() *Command {
	return &Command{
		Name: "status", Args: "[POOL]", Summary: "show pool health, vdevs, scan progress and errors",
		Help: `Runs zpool status and prints it in zpool's layout, or as JSON: an array of
{"name", "state", "status", "action", "see", "scan": {"function", "state",
"start", "end", "scanned", "issued", "total", "processed", "percent",
"remaining_ns", "duration_ns", "errors", "text"}, "root": {"name", "type",
"class", "state", "read_errors", "write_errors", "checksum_errors", "note",
"children": [...]}, "errors", "data_errors", "error_files"}.
Exits 1 when a pool is not ONLINE.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 {
				return usagef("zfs status: at most one POOL")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var st []*zfs.PoolStatus
			if len(args) == 1 {
				var p *zfs.PoolStatus
				p, err = c.Status(ctx, args[0])
				st = []*zfs.PoolStatus{p}
			} else {
				st, err = c.Statuses(ctx)
			}
			if err != nil {
				return err
			}
			if env.JSON {
				if err := env.PrintJSON(st); err != nil {
					return err
				}
			} else {
				for i, p := range st {
					if i > 0 {
						fmt.Fprintln(env.Stdout)
					}
					env.Stdout.Write(p.Format())
				}
			}
			for _, p := range st {
				if p.State != zfs.StateOnline {
					return ErrFindings
				}
			}
			return nil
		},
	}
}

func zfsARCCmd() *Command {
	var set, setMin string
	var runtimeOnly, persistentOnly bool
	return &Command{
		Name: "arc", Summary: "show or set the ARC size limits",
		Help: `Without --set, prints the ARC's size and limits, the module parameters and
zfs.conf's values. --set SIZE (such as 8G) limits the ARC now and in
/etc/modprobe.d/zfs.conf; when SIZE is at or below the ARC minimum,
zfs_arc_min is lowered first, as the admin guide explains. With root on
ZFS, run update-initramfs -u -k all afterwards.

JSON output: {"loaded", "size", "target", "min", "max", "param_max",
"param_min", "config_max", "config_min", "config_max_line", "mem_total"}
(bytes); with --set: {"steps", "persisted", "initramfs_update"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&set, "set", "", "limit the ARC to `SIZE`")
			fl.StringVar(&setMin, "min", "", "set zfs_arc_min to `SIZE`")
			fl.BoolVar(&runtimeOnly, "runtime", false, "change the running module only")
			fl.BoolVar(&persistentOnly, "persistent", false, "change zfs.conf only")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 0 {
				return usagef("zfs arc: no arguments expected")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			if set == "" && setMin == "" {
				a, err := c.ARC(ctx)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(a)
				}
				tw := env.Table()
				fmt.Fprintf(tw, "loaded\t%v\n", a.Loaded)
				for _, r := range []struct {
					k string
					v uint64
				}{{"size", a.Size}, {"target (c)", a.Target}, {"min (c_min)", a.Min}, {"max (c_max)", a.Max},
					{"zfs_arc_max", a.ParamMax}, {"zfs_arc_min", a.ParamMin}, {"zfs.conf zfs_arc_max", a.ConfigMax},
					{"zfs.conf zfs_arc_min", a.ConfigMin}, {"memory", a.MemTotal}} {
					fmt.Fprintf(tw, "%s\t%d\t%s\n", r.k, r.v, zfs.HumanSize(r.v))
				}
				return tw.Flush()
			}
			s := zfs.ARCSettings{Runtime: !persistentOnly, Persistent: !runtimeOnly}
			if runtimeOnly && persistentOnly {
				return usagef("zfs arc: --runtime and --persistent exclude each other")
			}
			for _, x := range []struct {
				in  string
				out *uint64
			}{{set, &s.Max}, {setMin, &s.Min}} {
				if x.in != "" {
					n, err := zfs.ParseSize(x.in)
					if err != nil {
						return usagef("zfs arc: %v", err)
					}
					*x.out = n
				}
			}
			ch, err := c.SetARC(ctx, s)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(ch)
			}
			for _, st := range ch.Steps {
				fmt.Fprintf(env.Stdout, "set %s\n", st)
			}
			if ch.Persisted {
				fmt.Fprintf(env.Stdout, "wrote %s\n", zfs.ModprobeFile)
			}
			if ch.InitramfsUpdate {
				fmt.Fprintln(env.Stdout, "root is on ZFS: run update-initramfs -u -k all and reboot")
			}
			return nil
		},
	}
}

func zfsZEDCmd() *Command {
	get := &Command{
		Name: "get", Args: "[KEY]", Summary: "print zed.rc settings",
		Help: `Prints every active ZED_ setting, or one. JSON output: {"KEY": "value", ...}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 {
				return usagef("zfs zed get: at most one KEY")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			z, err := c.ZED()
			if err != nil {
				return err
			}
			vals := z.Values()
			if len(args) == 1 {
				v, _, ok := z.Get(args[0])
				if !ok {
					return fmt.Errorf("%s is not set in %s", args[0], zfs.ZEDFile)
				}
				vals = map[string]string{args[0]: v}
			}
			if env.JSON {
				return env.PrintJSON(vals)
			}
			for _, k := range sortedZEDKeys(vals) {
				fmt.Fprintf(env.Stdout, "%s=%s\n", k, vals[k])
			}
			return nil
		},
	}
	var unset bool
	set := &Command{
		Name: "set", Args: "KEY [VALUE]", Summary: "set (or with --unset comment out) a zed.rc setting",
		Help: `Edits only the setting's line of /etc/zfs/zed.d/zed.rc; restart zfs-zed
to apply. Example: hostadm zfs zed set ZED_EMAIL_ADDR root`,
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&unset, "unset", false, "comment the setting out") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if unset && len(args) != 1 || !unset && len(args) != 2 {
				return usagef("zfs zed set: want KEY VALUE, or --unset KEY")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.UpdateZED(ctx, func(z *zfs.ZEDConfig) error {
				if unset {
					if !z.Unset(args[0]) {
						return fmt.Errorf("%s is not set", args[0])
					}
					return nil
				}
				return z.Set(args[0], args[1])
			})
		},
	}
	return &Command{Name: "zed", Summary: "read and edit the ZFS event daemon's zed.rc", Sub: []*Command{get, set}}
}

func sortedZEDKeys(m map[string]string) []string {
	var keys []string
	for _, k := range zfs.ZEDKeys {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range m {
		if !slices.Contains(zfs.ZEDKeys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func zfsSwapCmd() *Command {
	var set int
	var runtimeOnly, persistentOnly bool
	return &Command{
		Name: "swap", Summary: "show swap areas (warning about zvols) and set vm.swappiness",
		Help: `Without --swappiness, lists the active swap areas, marking those on a
zvol (which can block the server under memory pressure), and
vm.swappiness now and at boot, with the admin guide's table of values.
--swappiness N sets it now (sysctl -w vm.swappiness=N) and in
/etc/sysctl.conf ("vm.swappiness = N"); the guide recommends 10 for
servers. A later sysctl.d file that overrides the value is reported.

JSON output: {"swaps": [{"path", "type", "size", "used", "priority",
"zvol"}], "swappiness": {"runtime", "boot", "file", "line", "strategy"},
"table": [{"value", "strategy"}]}; with --swappiness: {"runtime",
"persisted", "file", "overridden_by"}. Exits 1 when swap is on a zvol.`,
		Flags: func(fl *flag.FlagSet) {
			fl.IntVar(&set, "swappiness", -1, "set vm.swappiness to `N` (0-200)")
			fl.BoolVar(&runtimeOnly, "runtime", false, "change the running kernel only")
			fl.BoolVar(&persistentOnly, "persistent", false, "change /etc/sysctl.conf only")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 0 {
				return usagef("zfs swap: no arguments expected")
			}
			if runtimeOnly && persistentOnly {
				return usagef("zfs swap: --runtime and --persistent exclude each other")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			if set >= 0 {
				ch, err := c.SetSwappiness(ctx, zfs.SwappinessSettings{Value: set, Runtime: !persistentOnly, Persistent: !runtimeOnly})
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(ch)
				}
				if ch.Runtime {
					fmt.Fprintf(env.Stdout, "set vm.swappiness=%d\n", set)
				}
				if ch.Persisted {
					fmt.Fprintf(env.Stdout, "wrote %s\n", ch.File)
				}
				if ch.OverriddenBy != "" {
					fmt.Fprintf(env.Stdout, "warning: %s sets another value at boot\n", ch.OverriddenBy)
				}
				return nil
			}
			swaps, err := c.Swaps()
			if err != nil {
				return err
			}
			sw, err := c.Swappiness(ctx)
			if err != nil {
				return err
			}
			if env.JSON {
				err = env.PrintJSON(map[string]any{"swaps": swaps, "swappiness": sw, "table": zfs.SwappinessTable})
			} else {
				tw := env.Table()
				fmt.Fprintln(tw, "SWAP\tTYPE\tSIZE\tUSED\tPRIO\tZVOL")
				for _, x := range swaps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", x.Path, x.Type, zfs.HumanSize(x.Size), zfs.HumanSize(x.Used), x.Priority, x.Zvol)
				}
				boot := "kernel default"
				if sw.File != "" {
					boot = fmt.Sprintf("%s:%d", sw.File, sw.Line)
				}
				fmt.Fprintf(tw, "\nvm.swappiness\t%d\t%s\n", sw.Runtime, sw.Strategy)
				fmt.Fprintf(tw, "at boot\t%d\t%s\n", sw.Boot, boot)
				err = tw.Flush()
			}
			if err != nil {
				return err
			}
			for _, x := range swaps {
				if x.Zvol != "" {
					return ErrFindings
				}
			}
			return nil
		},
	}
}

func zfsReplaceBootCmd() *Command {
	var mode string
	var force, wait bool
	return &Command{
		Name: "replace-boot", Args: "POOL HEALTHY-DISK OLD-DEVICE NEW-DISK", Summary: "replace a failed bootable disk of a pool",
		Help: `Does the admin guide's "Changing a failed bootable device": copies the
partition table of HEALTHY-DISK to the blank NEW-DISK with new GUIDs,
replaces OLD-DEVICE (the failed ZFS partition as zpool status names it)
with partition 3 of NEW-DISK, then formats partition 2 and adds it to
proxmox-boot-tool's ESPs in the host's mode (systemd-boot or grub), or
runs grub-install on a plain GRUB host. --mode forces systemd-boot,
grub or plain-grub. --wait follows the resilver.

Text output: the commands done, one a line. JSON output: {"table",
"device", "esp", "esp_uuid", "mode", "init", "status", "steps"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&mode, "mode", "", "boot `MODE`: systemd-boot, grub or plain-grub (default: detected)")
			fl.BoolVar(&force, "force", false, "overwrite a partition table on NEW-DISK")
			fl.BoolVar(&wait, "wait", false, "wait for the resilver to finish")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 4 {
				return usagef("zfs replace-boot: want POOL HEALTHY-DISK OLD-DEVICE NEW-DISK")
			}
			c, err := zfsClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.ReplaceBootDisk(ctx, &zfs.BootDiskReplacement{Pool: args[0], Healthy: args[1], Old: args[2], New: args[3],
				Mode: zfs.BootMode(mode), Force: force, Wait: wait})
			if res != nil && !env.JSON {
				for _, s := range res.Steps {
					fmt.Fprintln(env.Stdout, s)
				}
			}
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(res)
			}
			return nil
		},
	}
}
