package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/lvm"
)

func init() {
	register(&Command{Name: "lvm", Summary: "LVM volume groups, thin pools and volumes, and their storage entries", Sub: []*Command{
		lvmPVsCmd(), lvmVGsCmd(), lvmLVsCmd(), lvmReportCmd(), lvmBackupCmd(),
		lvmCreateVGCmd(), lvmThinPoolCmd(), lvmThinCmd(), lvmSnapshotCmd(), lvmExtendPoolCmd(), lvmRemoveCmd(),
		lvmVzCmd(), lvmMetadataSizeCmd(), lvmStorageCmd(),
	}})
}

func lvmClient(env *Env) (*lvm.Client, error) { return lvm.New(&lvm.Config{Root: env.Root}) }

// lvmParseSize reads a size in bytes with an optional binary unit, as
// LVM's options take it: 512M, 10G, 1.5T, 4096B, 80g.
func lvmParseSize(s string) (uint64, error) {
	units := map[byte]float64{'B': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40, 'P': 1 << 50}
	mult := 1.0
	num := s
	if n := len(s); n > 0 {
		if u, ok := units[strings.ToUpper(s[n-1:])[0]]; ok {
			mult, num = u, s[:n-1]
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || v*mult >= 1<<63 {
		return 0, fmt.Errorf("bad size %q (want a number with K, M, G or T)", s)
	}
	return uint64(v * mult), nil
}

func lvmPercent(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%.2f", *p)
}

func lvmPVsCmd() *Command {
	return &Command{
		Name: "pvs", Summary: "list physical volumes",
		Help: `JSON output: [{"name", "vg_name", "format", "attr": {"raw", "allocatable",
"used", "duplicate", "exported", "missing"}, "uuid", "size", "free", "used",
"dev_size", "pe_start", "pe_count", "pe_alloc_count", "tags"}] (bytes).`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				pvs, err := c.PVs(ctx)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(nonNil(pvs))
				}
				tw := env.Table()
				fmt.Fprintln(tw, "PV\tVG\tFmt\tAttr\tPSize\tPFree")
				for _, p := range pvs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", p.Name, p.VGName, p.Format, p.Attr.Raw, p.Size, p.Free)
				}
				return tw.Flush()
			})
		},
	}
}

func lvmVGsCmd() *Command {
	return &Command{
		Name: "vgs", Summary: "list volume groups",
		Help: `JSON output: [{"name", "uuid", "attr": {"raw", "writeable", "resizeable",
"exported", "partial", "allocation_policy", "clustered", "shared"}, "size",
"free", "extent_size", "extent_count", "free_count", "pv_count", "lv_count",
"snap_count", "missing_pv_count", "seqno", "tags"}] (bytes).`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				vgs, err := c.VGs(ctx)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(nonNil(vgs))
				}
				tw := env.Table()
				fmt.Fprintln(tw, "VG\t#PV\t#LV\t#SN\tAttr\tVSize\tVFree")
				for _, v := range vgs {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\n", v.Name, v.PVCount, v.LVCount, v.SnapCount, v.Attr.Raw, v.Size, v.Free)
				}
				return tw.Flush()
			})
		},
	}
}

func lvmLVsCmd() *Command {
	return &Command{
		Name: "lvs", Args: "[VG]", Summary: "list logical volumes, hidden ones included",
		Help: `JSON output: [{"name", "vg_name", "uuid", "attr": {"raw", "type",
"permissions", "allocation_policy", "state", "open", "target",
"zero_new_blocks", "health", "skip_activation", ...}, "size", "hidden",
"path", "dm_path", "pool", "origin", "data_percent", "metadata_percent",
"metadata_size", "layout", "role", "created", "tags"}] (bytes; the
percentages are absent when LVM reports none).`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 {
				return usagef("lvm lvs: want at most one VG")
			}
			vg := ""
			if len(args) == 1 {
				vg = args[0]
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				lvs, err := c.LVs(ctx, vg)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(nonNil(lvs))
				}
				tw := env.Table()
				fmt.Fprintln(tw, "LV\tVG\tAttr\tLSize\tPool\tOrigin\tData%\tMeta%")
				for _, l := range lvs {
					name := l.Name
					if l.Hidden {
						name = "[" + name + "]"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", name, l.VGName, l.Attr.Raw, l.Size, l.Pool, l.Origin, lvmPercent(l.DataPercent), lvmPercent(l.MetadataPercent))
				}
				return tw.Flush()
			})
		},
	}
}

func lvmReportCmd() *Command {
	return &Command{
		Name: "report", Summary: "every VG with its PVs and LVs, from lvm fullreport",
		Help: `JSON output: {"vgs": [{"vg": {...}, "pvs": [...], "lvs": [...]}]}, with
the objects of "lvm vgs", "lvm pvs" and "lvm lvs".`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				rep, err := c.FullReport(ctx)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(rep)
				}
				for _, rv := range rep.VGs {
					fmt.Fprintf(env.Stdout, "%s: %d bytes, %d free, %d PVs, %d LVs\n", rv.VG.Name, rv.VG.Size, rv.VG.Free, len(rv.PVs), len(rv.LVs))
				}
				return nil
			})
		},
	}
}

func lvmBackupCmd() *Command {
	return &Command{
		Name: "backup", Summary: "VGs and thin pools from /etc/lvm/backup (no root or device-mapper needed)",
		Help: `Works with --root on a mounted or offline system.

JSON output: [{"description", "creation_host", "creation_time", "VG":
{"name", "id", "seqno", "status", "extent_size", "pvs": [...], "lvs":
[...]}, "size", "free", "thin_pools": [{"name", "size", "metadata_size",
"volumes", "virtual_size"}]}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				ms, err := c.MetadataBackups()
				if err != nil {
					return err
				}
				type out struct {
					*lvm.Metadata
					Size      uint64         `json:"size"`
					Free      uint64         `json:"free"`
					ThinPools []lvm.ThinPool `json:"thin_pools"`
				}
				res := []out{}
				for _, m := range ms {
					res = append(res, out{Metadata: m, Size: m.VG.Size(), Free: m.VG.Free(), ThinPools: nonNil(m.VG.ThinPools())})
				}
				if env.JSON {
					return env.PrintJSON(res)
				}
				for _, r := range res {
					fmt.Fprintf(env.Stdout, "VG %s: %d bytes, %d free, %d LVs (%s)\n", r.VG.Name, r.Size, r.Free, len(r.VG.LVs), r.Time.Format("2006-01-02 15:04:05"))
					for _, p := range r.ThinPools {
						fmt.Fprintf(env.Stdout, "  thin pool %s: %d bytes data, %d metadata, %d volumes of %d bytes\n", p.Name, p.Size, p.MetadataSize, len(p.Volumes), p.VirtualSize)
					}
				}
				return nil
			})
		},
	}
}

func lvmCreateVGCmd() *Command {
	var noPartition bool
	return &Command{
		Name: "create-vg", Args: "DISK VG", Summary: "partition an empty disk and create a volume group on it (destroys its data)",
		Help: `As the admin guide: sgdisk -N 1 DISK; pvcreate --metadatasize 250k -y -ff
PARTITION; vgcreate VG PARTITION. With --no-partition the whole DISK
becomes the physical volume. Output: the physical volume's device.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&noPartition, "no-partition", false, "use the whole disk as the physical volume")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("lvm create-vg: want DISK VG")
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				pv := args[0]
				if noPartition {
					if err := c.CreatePV(ctx, pv); err != nil {
						return err
					}
					if err := c.CreateVG(ctx, args[1], pv); err != nil {
						return err
					}
				} else {
					var err error
					if pv, err = c.CreateVGOnDisk(ctx, args[0], args[1]); err != nil {
						return err
					}
				}
				fmt.Fprintln(env.Stdout, pv)
				return nil
			})
		},
	}
}

func lvmThinPoolCmd() *Command {
	var meta string
	return &Command{
		Name: "create-thinpool", Args: "VG NAME SIZE", Summary: "create a thin pool with Proxmox VE's metadata size",
		Help: `SIZE takes K, M, G or T. The metadata is 1 % of the pool, at least 1 GiB
and at most 16 GiB, unless --metadata-size is given; LVM also keeps a
spare of the same size, so the VG needs SIZE plus twice that free.`,
		Flags: func(fl *flag.FlagSet) { fl.StringVar(&meta, "metadata-size", "", "metadata `SIZE`") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 3 {
				return usagef("lvm create-thinpool: want VG NAME SIZE")
			}
			size, err := lvmParseSize(args[2])
			if err != nil {
				return usagef("lvm create-thinpool: %v", err)
			}
			opts := &lvm.ThinPoolOptions{}
			if meta != "" {
				if opts.MetadataSize, err = lvmParseSize(meta); err != nil {
					return usagef("lvm create-thinpool: --metadata-size: %v", err)
				}
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error { return c.CreateThinPool(ctx, args[0], args[1], size, opts) })
		},
	}
}

func lvmThinCmd() *Command {
	return &Command{
		Name: "create-thin", Args: "VG POOL NAME SIZE", Summary: "create a thin volume in a thin pool",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 4 {
				return usagef("lvm create-thin: want VG POOL NAME SIZE")
			}
			size, err := lvmParseSize(args[3])
			if err != nil {
				return usagef("lvm create-thin: %v", err)
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error { return c.CreateThinVolume(ctx, args[0], args[1], args[2], size) })
		},
	}
}

func lvmSnapshotCmd() *Command {
	var size string
	return &Command{
		Name: "snapshot", Args: "VG LV SNAPSHOT", Summary: "snapshot a volume (thin, or with --size for a plain one)",
		Flags: func(fl *flag.FlagSet) { fl.StringVar(&size, "size", "", "copy-on-write `SIZE` for a plain volume") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 3 {
				return usagef("lvm snapshot: want VG LV SNAPSHOT")
			}
			opts := &lvm.SnapshotOptions{}
			if size != "" {
				var err error
				if opts.Size, err = lvmParseSize(size); err != nil {
					return usagef("lvm snapshot: %v", err)
				}
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error { return c.Snapshot(ctx, args[0], args[1], args[2], opts) })
		},
	}
}

func lvmExtendPoolCmd() *Command {
	var meta string
	return &Command{
		Name: "extend-pool", Args: "VG POOL SIZE", Summary: "grow a thin pool's data and, as the guide requires, its metadata",
		Help: `SIZE is added to the pool's data. The metadata grows by --metadata-size,
or by what keeps Proxmox VE's 1 % rule (read from lvs). Output: the
metadata growth in bytes.`,
		Flags: func(fl *flag.FlagSet) { fl.StringVar(&meta, "metadata-size", "", "metadata growth `SIZE`") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 3 {
				return usagef("lvm extend-pool: want VG POOL SIZE")
			}
			data, err := lvmParseSize(strings.TrimPrefix(args[2], "+"))
			if err != nil {
				return usagef("lvm extend-pool: %v", err)
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				var grow uint64
				if meta != "" {
					if grow, err = lvmParseSize(strings.TrimPrefix(meta, "+")); err != nil {
						return usagef("lvm extend-pool: --metadata-size: %v", err)
					}
				} else {
					pool, err := c.LV(ctx, args[0], args[1])
					if err != nil {
						return err
					}
					if !pool.IsThinPool() {
						return fmt.Errorf("%s is not a thin pool", pool.FullName())
					}
					if grow = lvm.MetadataGrowth(pool.Size, pool.MetadataSize, data); grow == 0 {
						return fmt.Errorf("the metadata of %s is at its maximum; give --metadata-size to grow it anyway", pool.FullName())
					}
				}
				if err := c.ExtendThinPool(ctx, args[0], args[1], data, grow); err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, grow)
				return nil
			})
		},
	}
}

func lvmRemoveCmd() *Command {
	return &Command{
		Name: "remove", Args: "VG/LV", Summary: "remove a logical volume and its data",
		Run: func(ctx context.Context, env *Env, args []string) error {
			vg, lv, ok := strings.Cut(strings.Join(args, ""), "/")
			if len(args) != 1 || !ok {
				return usagef("lvm remove: want VG/LV")
			}
			return withClient(env, lvmClient, func(c *lvm.Client) error { return c.RemoveLV(ctx, vg, lv) })
		},
	}
}

func lvmVzCmd() *Command {
	var opts lvm.VolumeOptions
	return &Command{
		Name: "vz", Args: "SIZE", Summary: "the admin guide's extra thin volume for /var/lib/vz, with ext4 and an fstab entry",
		Help: `Creates a thin volume (lvcreate -n vz -V SIZE pve/data), makes ext4 on it
and adds "/dev/pve/vz /var/lib/vz ext4 defaults 0 2" to /etc/fstab. It
does not mount it: move the files in /var/lib/vz first (a warning says
when it is not empty), then run "mount /var/lib/vz".

JSON output: {"device", "fstab_entry", "warnings"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&opts.VG, "vg", "pve", "volume group")
			fl.StringVar(&opts.Pool, "pool", "data", "thin pool")
			fl.StringVar(&opts.Name, "name", "vz", "volume name")
			fl.StringVar(&opts.MountPoint, "mount-point", "/var/lib/vz", "mount point")
			fl.BoolVar(&opts.RefuseNonEmpty, "refuse-non-empty", false, "fail when the mount point is not empty")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("lvm vz: want SIZE")
			}
			size, err := lvmParseSize(args[0])
			if err != nil {
				return usagef("lvm vz: %v", err)
			}
			o := opts
			o.Size = size
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				res, err := c.CreateVolumeWithFS(ctx, o)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(res)
				}
				for _, w := range res.Warnings {
					fmt.Fprintf(env.Stderr, "warning: %s\n", w)
				}
				fmt.Fprintln(env.Stdout, res.Entry)
				return nil
			})
		},
	}
}

func lvmMetadataSizeCmd() *Command {
	return &Command{
		Name: "metadata-size", Args: "POOLSIZE", Summary: "the metadata size Proxmox VE gives a thin pool of that size",
		Help: `Output: bytes. JSON output: {"pool_size", "metadata_size"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("lvm metadata-size: want POOLSIZE")
			}
			size, err := lvmParseSize(args[0])
			if err != nil {
				return usagef("lvm metadata-size: %v", err)
			}
			m := lvm.ThinPoolMetadataSize(size)
			if env.JSON {
				return env.PrintJSON(map[string]uint64{"pool_size": size, "metadata_size": m})
			}
			fmt.Fprintln(env.Stdout, m)
			return nil
		},
	}
}

func lvmStorageCmd() *Command {
	var content, pool string
	return &Command{
		Name: "storage", Args: "[add lvm|lvmthin ID VG | remove ID]", Summary: "list or change lvm and lvmthin entries of storage.cfg",
		Help: `Without arguments, lists the entries. "add lvmthin ID VG --pool POOL"
writes what pvesm add lvmthin ID --vgname VG --thinpool POOL writes.

JSON output of the list: [{"type", "id", "vgname", "thinpool", "content",
"nodes", "shared", "disabled", "saferemove", "base", "line"}].`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&content, "content", "rootdir,images", "comma-separated `CONTENT` for add")
			fl.StringVar(&pool, "pool", "", "thin `POOL` of an lvmthin storage")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, lvmClient, func(c *lvm.Client) error {
				switch {
				case len(args) == 0:
					sts, err := c.Storages()
					if err != nil {
						return err
					}
					if env.JSON {
						return env.PrintJSON(nonNil(sts))
					}
					for _, s := range sts {
						target := s.VG
						if s.ThinPool != "" {
							target += "/" + s.ThinPool
						}
						fmt.Fprintf(env.Stdout, "%s: %s\t%s\t%s\n", s.Type, s.ID, target, strings.Join(s.Content, ","))
					}
					return nil
				case args[0] == "add" && len(args) == 4:
					return c.AddStorage(ctx, lvm.Storage{Type: args[1], ID: args[2], VG: args[3], ThinPool: pool, Content: strings.Split(content, ",")})
				case args[0] == "remove" && len(args) == 2:
					return c.RemoveStorage(ctx, args[1])
				}
				return usagef("lvm storage: want no arguments, add lvm|lvmthin ID VG or remove ID")
			})
		},
	}
}
