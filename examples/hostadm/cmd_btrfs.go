package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/btrfs"
)

func init() {
	register(&Command{Name: "btrfs", Summary: "btrfs subvolumes, snapshots, usage, mkfs, compression and storage", Sub: []*Command{
		{Name: "subvolume", Summary: "create, delete, snapshot and list subvolumes", Sub: []*Command{
			btrfsSubvolListCmd(), btrfsSubvolShowCmd(), btrfsSubvolCreateCmd(), btrfsSubvolDeleteCmd(),
			btrfsSnapshotCmd(), btrfsReadOnlyCmd(), btrfsDefaultCmd(),
		}},
		btrfsInfoCmd(), btrfsUsageCmd(), btrfsMkfsCmd(), btrfsCompressCmd(), btrfsPropertyCmd(), btrfsStorageCmd(),
	}})
}

func btrfsClient(env *Env) (*btrfs.Client, error) {
	return btrfs.New(&btrfs.Config{Root: env.Root})
}

func btrfsSubvolListCmd() *Command {
	return &Command{
		Name: "list", Args: "PATH", Summary: "list the subvolumes of the file system at PATH (needs root)",
		Help: `Text output as btrfs subvolume list: "ID 256 gen 6 top level 5 path
var/lib/pve/local-btrfs".

JSON output: [{"id", "parent_id", "path", "generation",
"creation_generation", "read_only", "uuid", "parent_uuid",
"received_uuid", "created"}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs subvolume list: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				subs, err := c.Subvolumes(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(nonNil(subs))
				}
				for _, s := range subs {
					fmt.Fprintf(env.Stdout, "ID %d gen %d top level %d path %s\n", s.ID, s.Generation, s.ParentID, s.Path)
				}
				return nil
			})
		},
	}
}

func btrfsSubvolShowCmd() *Command {
	return &Command{
		Name: "show", Args: "PATH", Summary: "describe the subvolume at PATH (needs root)",
		Help: `JSON output: one subvolume, as in "btrfs subvolume list".`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs subvolume show: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				s, err := c.Subvolume(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(s)
				}
				flags := "-"
				if s.ReadOnly {
					flags = "readonly"
				}
				fmt.Fprintf(env.Stdout, "Path:\t\t%s\nUUID:\t\t%s\nParent UUID:\t%s\nSubvolume ID:\t%d\nGeneration:\t%d\nGen at creation:\t%d\nParent ID:\t%d\nFlags:\t\t%s\nCreation time:\t%s\n",
					s.Path, orDash(s.UUID.String()), orDash(s.ParentUUID.String()), s.ID, s.Generation, s.CreationGeneration, s.ParentID, flags, s.Created.Format("2006-01-02 15:04:05 -0700"))
				return nil
			})
		},
	}
}

func btrfsSubvolCreateCmd() *Command {
	return &Command{
		Name: "create", Args: "PATH", Summary: "create a subvolume at PATH",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs subvolume create: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error { return c.CreateSubvolume(args[0]) })
		},
	}
}

func btrfsSubvolDeleteCmd() *Command {
	var recursive bool
	return &Command{
		Name: "delete", Args: "PATH", Summary: "delete a subvolume and everything in it",
		Help:  `Unlike rmdir, the subvolume need not be empty. Subvolumes nested in it are deleted first with --recursive; without it they make the deletion fail.`,
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&recursive, "recursive", false, "delete nested subvolumes too") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs subvolume delete: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				return c.DeleteSubvolume(args[0], &btrfs.DeleteOptions{Recursive: recursive})
			})
		},
	}
}

func btrfsSnapshotCmd() *Command {
	var ro bool
	return &Command{
		Name: "snapshot", Args: "SOURCE DEST", Summary: "snapshot a subvolume (-r for read-only, as Proxmox VE does)",
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&ro, "r", false, "make the snapshot read-only") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("btrfs subvolume snapshot: want SOURCE DEST")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				return c.Snapshot(args[0], args[1], &btrfs.SnapshotOptions{ReadOnly: ro})
			})
		},
	}
}

func btrfsReadOnlyCmd() *Command {
	return &Command{
		Name: "readonly", Args: "PATH [true|false]", Summary: "show or set a subvolume's read-only flag",
		Help: `Output: true or false. JSON output: {"path", "read_only"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("btrfs subvolume readonly: want PATH [true|false]")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				if len(args) == 2 {
					v, err := strconv.ParseBool(args[1])
					if err != nil {
						return usagef("btrfs subvolume readonly: %q is not true or false", args[1])
					}
					if err := c.SetReadOnly(args[0], v); err != nil {
						return err
					}
				}
				ro, err := c.ReadOnly(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(map[string]any{"path": args[0], "read_only": ro})
				}
				fmt.Fprintln(env.Stdout, ro)
				return nil
			})
		},
	}
}

func btrfsDefaultCmd() *Command {
	return &Command{
		Name: "default", Args: "PATH [ID]", Summary: "show or set the default subvolume (needs root)",
		Help: `Output: the default subvolume's ID (5 is the top level). JSON output: {"id"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("btrfs subvolume default: want PATH [ID]")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				if len(args) == 2 {
					id, err := strconv.ParseUint(args[1], 10, 64)
					if err != nil {
						return usagef("btrfs subvolume default: %q is not an ID", args[1])
					}
					if err := c.SetDefaultSubvolume(args[0], id); err != nil {
						return err
					}
				}
				id, err := c.DefaultSubvolume(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(map[string]uint64{"id": id})
				}
				fmt.Fprintln(env.Stdout, id)
				return nil
			})
		},
	}
}

func btrfsInfoCmd() *Command {
	return &Command{
		Name: "info", Args: "PATH", Summary: "show the UUID, label and devices of the file system at PATH",
		Help: `JSON output: {"uuid", "metadata_uuid", "label", "node_size",
"sector_size", "generation", "checksum_type", "devices": [{"id", "uuid",
"path", "size", "used", "device_size"}]} (sizes in bytes).`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs info: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				info, err := c.Info(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(info)
				}
				fmt.Fprintf(env.Stdout, "Label: '%s'  uuid: %s\n\tTotal devices %d\n", info.Label, info.UUID, len(info.Devices))
				for _, d := range info.Devices {
					fmt.Fprintf(env.Stdout, "\tdevid %4d size %d used %d path %s\n", d.ID, d.Size, d.Used, d.Path)
				}
				return nil
			})
		},
	}
}

func btrfsUsageCmd() *Command {
	return &Command{
		Name: "usage", Args: "PATH", Summary: "space usage, as btrfs filesystem usage computes it (df can mislead on btrfs)",
		Help: `Text output in bytes, the "Overall" section of btrfs filesystem usage -b
and one line per block group type and profile.

JSON output: {"device_size", "device_allocated", "device_unallocated",
"device_missing", "device_slack", "used", "free_estimated", "free_min",
"data_ratio", "metadata_ratio", "global_reserve", "global_reserve_used",
"multiple_profiles", "spaces": [{"type", "profile", "flags", "size",
"used"}], "mixed"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("btrfs usage: want PATH")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				u, err := c.Usage(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(u)
				}
				tw := env.Table()
				for _, r := range []struct {
					k string
					v any
				}{{"Device size:", u.DeviceSize}, {"Device allocated:", u.DeviceAllocated}, {"Device unallocated:", u.DeviceUnallocated},
					{"Device missing:", u.DeviceMissing}, {"Device slack:", u.DeviceSlack}, {"Used:", u.Used},
					{"Free (estimated):", fmt.Sprintf("%d\t(min: %d)", u.FreeEstimated, u.FreeMin)},
					{"Data ratio:", fmt.Sprintf("%.2f", u.DataRatio)}, {"Metadata ratio:", fmt.Sprintf("%.2f", u.MetadataRatio)},
					{"Global reserve:", fmt.Sprintf("%d\t(used: %d)", u.GlobalReserve, u.GlobalReserveUsed)}} {
					fmt.Fprintf(tw, "    %s\t%v\n", r.k, r.v)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				for _, s := range u.Spaces {
					fmt.Fprintf(env.Stdout, "%s,%s: Size:%d, Used:%d\n", s.Type, s.Profile, s.Size, s.Used)
				}
				return nil
			})
		},
	}
}

func btrfsMkfsCmd() *Command {
	var (
		data, meta, label   string
		allow56, force, dry bool
	)
	return &Command{
		Name: "mkfs", Args: "DEVICE...", Summary: "plan and create a btrfs file system (--dry-run prints the command)",
		Help: `Profiles: single, dup, raid0, raid1 (2 devices or more), raid10 (4 or
more); raid5 and raid6 need --allow-raid56, as the admin guide calls them
experimental and dangerous. Warnings go to standard error.

Output: the UUID to name the file system by in /etc/fstab (with --dry-run,
the command). JSON output: {"argv": [...], "warnings": [...], "uuid"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&data, "d", "", "data `PROFILE`")
			fl.StringVar(&meta, "m", "", "metadata `PROFILE`")
			fl.StringVar(&label, "L", "", "`LABEL`")
			fl.BoolVar(&allow56, "allow-raid56", false, "allow raid5 and raid6")
			fl.BoolVar(&force, "f", false, "overwrite an existing file system")
			fl.BoolVar(&dry, "dry-run", false, "print the command, run nothing")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("btrfs mkfs: want at least one DEVICE")
			}
			p := &btrfs.MkfsPlan{Devices: args, Data: btrfs.Profile(data), Metadata: btrfs.Profile(meta), Label: label, AllowRAID56: allow56, Force: force}
			warnings, err := p.Validate()
			if err != nil {
				return err
			}
			argv, _ := p.Argv()
			out := struct {
				Argv     []string `json:"argv"`
				Warnings []string `json:"warnings"`
				UUID     string   `json:"uuid,omitempty"`
			}{Argv: argv, Warnings: nonNil(warnings)}
			for _, w := range warnings {
				fmt.Fprintf(env.Stderr, "warning: %s\n", w)
			}
			if !dry {
				err := withClient(env, btrfsClient, func(c *btrfs.Client) error {
					u, err := c.Mkfs(ctx, p)
					out.UUID = u.String()
					return err
				})
				if err != nil {
					return err
				}
			}
			if env.JSON {
				return env.PrintJSON(out)
			}
			if dry {
				fmt.Fprintln(env.Stdout, strings.Join(argv, " "))
			} else {
				fmt.Fprintln(env.Stdout, out.UUID)
			}
			return nil
		},
	}
}

func btrfsCompressCmd() *Command {
	return &Command{
		Name: "compress", Args: "MOUNTPOINT zstd|lzo|zlib[:LEVEL]|none", Summary: "set the compress= option of a btrfs fstab entry",
		Help: `Adds or changes compress= on the entry's options, as the admin guide
shows ("defaults,compress=zstd"); "none" removes it. It applies to data
written after the next mount. Output: the entry's new line.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("btrfs compress: want MOUNTPOINT ALGORITHM")
			}
			var comp btrfs.Compression
			if args[1] != "none" {
				var err error
				if comp, err = btrfs.ParseCompression(args[1]); err != nil {
					return usagef("btrfs compress: %v", err)
				}
			}
			if err := withClient(env, btrfsClient, func(c *btrfs.Client) error { return c.SetMountCompression(ctx, args[0], comp) }); err != nil {
				return err
			}
			tab, err := fstabTable(env)
			if err != nil {
				return err
			}
			defer tab.Close()
			f, err := tab.Read()
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, f.Lookup(args[0]))
			return nil
		},
	}
}

func btrfsPropertyCmd() *Command {
	return &Command{
		Name: "property", Args: "PATH [zstd|lzo|zlib|none|\"\"]", Summary: "show or set the compression property of a file, directory or subvolume",
		Help: `Output: the property's value, empty when unset. JSON output: {"path", "compression"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("btrfs property: want PATH [ALGORITHM]")
			}
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
				if len(args) == 2 {
					if err := c.SetCompression(args[0], args[1]); err != nil {
						return err
					}
				}
				v, err := c.Compression(args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(map[string]string{"path": args[0], "compression": v})
				}
				fmt.Fprintln(env.Stdout, v)
				return nil
			})
		},
	}
}

func btrfsStorageCmd() *Command {
	var content string
	return &Command{
		Name: "storage", Args: "[add ID PATH | remove ID | installer-layout]", Summary: "list or change btrfs entries of storage.cfg",
		Help: `Without arguments, lists the btrfs storages. "add" writes what pvesm add
btrfs ID --path PATH writes; "installer-layout" disables "dir: local" and
adds "btrfs: local-btrfs" as the installer does for a btrfs root.

JSON output of the list: [{"id", "path", "content", "nodes", "disabled",
"is_mountpoint", "line"}].`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&content, "content", "", "comma-separated `CONTENT` types for add")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withClient(env, btrfsClient, func(c *btrfs.Client) error {
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
						state := ""
						if s.Disabled {
							state = " (disabled)"
						}
						fmt.Fprintf(env.Stdout, "%s\t%s\t%s%s\n", s.ID, s.Path, strings.Join(s.Content, ","), state)
					}
					return nil
				case args[0] == "add" && len(args) == 3:
					s := btrfs.Storage{ID: args[1], Path: args[2]}
					if content != "" {
						s.Content = strings.Split(content, ",")
					}
					return c.AddStorage(ctx, s)
				case args[0] == "remove" && len(args) == 2:
					return c.RemoveStorage(ctx, args[1])
				case args[0] == "installer-layout" && len(args) == 1:
					return c.UseInstallerLayout(ctx)
				}
				return usagef("btrfs storage: want no arguments, add ID PATH, remove ID or installer-layout")
			})
		},
	}
}
