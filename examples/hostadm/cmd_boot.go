package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/boot"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/efivar"
)

func init() {
	register(&Command{Name: "boot", Summary: "boot loader, ESPs, kernels and kernel command line (proxmox-boot-tool)", Sub: []*Command{
		bootStatusCmd(), bootFormatCmd(), bootInitCmd(), bootRefreshCmd(), bootCleanCmd(), bootKernelCmd(),
		bootPinCmd("pin"), bootUnpinCmd("unpin"), bootEFICmd(), bootCmdlineCmd(), bootPartitionsCmd(),
	}})
}

func bootManager(env *Env) (*boot.Manager, error) { return boot.New(&boot.Config{Root: env.Root}) }

// withBoot runs fn with a Manager.
func withBoot(env *Env, fn func(m *boot.Manager) error) error {
	m, err := bootManager(env)
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(m)
}

func bootStatusCmd() *Command {
	var inspect bool
	return &Command{
		Name: "status", Summary: "show the boot loader in use and the synced ESPs",
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&inspect, "inspect", true, "read each ESP (needs root) for its mode, kernels and file-system check")
		},
		Help: `Text output: as proxmox-boot-tool status ("System currently booted with
uefi", then "UUID is configured with: uefi (versions: ...)" per ESP),
preceded by the detected boot loader and why.

JSON output: {"detection": {"loader": "grub-bios"|"grub-efi"|"systemd-boot",
"reason", "efi", "secure_boot", "setup_mode", "boot_current": {entry},
"loader_info", "proxmox_boot_tool", "root": {mount}, "zfs_root",
"secure_boot_packages": {name: installed}}, "configured": bool,
"esps": [{"uuid", "device", "mode", "versions", "problem", "fs_problems"}]}.
Exit status 1 when no ESP list exists, as the tool's status 2.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("boot status: no arguments")
			}
			return withBoot(env, func(m *boot.Manager) error {
				st, err := m.Status(ctx, inspect)
				if err != nil {
					return err
				}
				if env.JSON {
					if err := env.PrintJSON(st); err != nil {
						return err
					}
				} else {
					d := st.Detection
					fmt.Fprintf(env.Stdout, "Boot loader: %s (%s)\n", d.Loader, d.Reason)
					mode := "legacy bios"
					if d.EFI {
						mode = "uefi"
					}
					fmt.Fprintf(env.Stdout, "System currently booted with %s\n", mode)
					if !st.Configured {
						fmt.Fprintf(env.Stdout, "E: %s does not exist.\n", boot.ESPListFile)
					}
					for _, e := range st.ESPs {
						switch {
						case e.Problem != "":
							fmt.Fprintf(env.Stdout, "WARN: %s: %s - skipping\n", e.UUID, e.Problem)
						case e.Mode != "":
							fmt.Fprintf(env.Stdout, "%s is configured with: %s (versions: %s)\n", e.UUID, e.Mode, strings.Join(e.Versions, ", "))
						default:
							fmt.Fprintf(env.Stdout, "%s is %s\n", e.UUID, e.Device)
						}
						for _, p := range e.FSProblems {
							fmt.Fprintf(env.Stdout, "  file system: %s\n", p)
						}
					}
				}
				if !st.Configured {
					return ErrFindings
				}
				return nil
			})
		},
	}
}

func bootFormatCmd() *Command {
	var force bool
	return &Command{
		Name: "format", Args: "PARTITION", Summary: "set the ESP type on a partition and format it FAT32",
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&force, "force", false, "format even if the partition holds a file system")
		},
		Help: `Refuses a disk, a mounted or held partition, one below 256 MiB, or one
with a file system (unless --force). Text output: the new UUID. JSON
output: {"partition", "uuid"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("boot format: want PARTITION")
			}
			return withBoot(env, func(m *boot.Manager) error {
				uuid, err := m.Format(ctx, args[0], &boot.FormatOptions{Force: force})
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(map[string]string{"partition": args[0], "uuid": uuid})
				}
				fmt.Fprintf(env.Stdout, "Formatted %s as vfat, UUID %s\n", args[0], uuid)
				return nil
			})
		},
	}
}

func bootInitCmd() *Command {
	return &Command{
		Name: "init", Args: "PARTITION [grub|systemd-boot]", Summary: "set up an ESP for syncing and refresh all ESPs",
		Help: `JSON output: {"uuid", "mode", "boot_entry", "refresh": {refresh result}}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("boot init: want PARTITION [grub|systemd-boot]")
			}
			mode := boot.InitAuto
			if len(args) == 2 {
				switch args[1] {
				case "grub":
					mode = boot.InitGRUB
				case "systemd-boot":
					mode = boot.InitSystemdBoot
				default:
					return usagef("boot init: mode must be grub or systemd-boot")
				}
			}
			return withBoot(env, func(m *boot.Manager) error {
				res, err := m.Init(ctx, args[0], mode)
				if res != nil && env.JSON {
					if perr := env.PrintJSON(res); perr != nil {
						return perr
					}
				} else if res != nil {
					fmt.Fprintf(env.Stdout, "Initialised %s (%s) in %s mode\n", args[0], res.UUID, res.Mode)
					if res.BootEntry != "" {
						fmt.Fprintf(env.Stdout, "EFI boot entry: %s\n", res.BootEntry)
					}
					if res.Refresh != nil {
						printRefresh(env, res.Refresh)
					}
				}
				return err
			})
		},
	}
}

func printRefresh(env *Env, r *boot.RefreshResult) {
	for _, w := range r.Warnings {
		fmt.Fprintln(env.Stderr, w)
	}
	for _, e := range r.ESPs {
		if e.Skipped != "" {
			continue
		}
		fmt.Fprintf(env.Stdout, "Copying and configuring kernels on %s (%s, %s)\n", e.Device, e.UUID, e.Mode)
		for _, c := range e.Copied {
			fmt.Fprintf(env.Stdout, "\tcopied %s\n", c)
		}
		for _, c := range e.Removed {
			fmt.Fprintf(env.Stdout, "\tremoved %s\n", c)
		}
	}
	if len(r.Kernels) > 0 {
		fmt.Fprintf(env.Stdout, "Kernels: %s\n", strings.Join(r.Kernels, ", "))
	}
}

func bootRefreshCmd() *Command {
	var installing string
	return &Command{
		Name: "refresh", Summary: "copy the selected kernels to every ESP and configure the boot loader",
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&installing, "installing", "", "kernel `VERSION` being installed (as a package hook passes it)")
		},
		Help: `Writes through the FAT library without mounting; an interruption leaves
each ESP bootable. JSON output: {"kernels", "cmdline", "default",
"esps": [{"uuid", "device", "mode", "copied", "removed", "skipped"}],
"warnings"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("boot refresh: no arguments")
			}
			return withBoot(env, func(m *boot.Manager) error {
				r, err := m.Refresh(ctx, &boot.RefreshOptions{Installing: installing})
				if r != nil && env.JSON {
					if perr := env.PrintJSON(r); perr != nil {
						return perr
					}
				} else if r != nil {
					printRefresh(env, r)
				}
				return err
			})
		},
	}
}

func bootCleanCmd() *Command {
	var dry bool
	return &Command{
		Name: "clean", Summary: "drop ESPs that no longer exist from the ESP list",
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&dry, "dry-run", false, "only print the outdated entries") },
		Help:  `JSON output: {"kept": [uuid], "removed": [uuid]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("boot clean: no arguments")
			}
			return withBoot(env, func(m *boot.Manager) error {
				r, err := m.Clean(ctx, dry)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(r)
				}
				for _, u := range r.Kept {
					fmt.Fprintf(env.Stdout, "Checking whether ESP '%s' exists.. Found!\n", u)
				}
				for _, u := range r.Removed {
					fmt.Fprintf(env.Stdout, "Checking whether ESP '%s' exists.. Not found!\n", u)
				}
				return nil
			})
		},
	}
}

func bootKernelCmd() *Command {
	list := &Command{
		Name: "list", Summary: "list the kernels selected for booting",
		Help: `Text output as proxmox-boot-tool kernel list. JSON output: {"running",
"installed", "latest", "old_series_latest", "manual", "pinned", "next_boot",
"selected", "automatic"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			return withBoot(env, func(m *boot.Manager) error {
				k, err := m.Kernels(ctx, "")
				if err != nil {
					return err
				}
				if env.JSON {
					return env.PrintJSON(k)
				}
				manual := "None."
				if len(k.Manual) > 0 {
					manual = strings.Join(k.Manual, "\n")
				}
				fmt.Fprintf(env.Stdout, "Manually selected kernels:\n%s\n\nAutomatically selected kernels:\n%s\n", manual, strings.Join(k.Automatic, "\n"))
				if k.Pinned != "" {
					fmt.Fprintf(env.Stdout, "\nPinned kernel:\n%s\n", k.Pinned)
				}
				if k.NextBoot != "" {
					fmt.Fprintf(env.Stdout, "\nKernel pinned on next-boot:\n%s\n", k.NextBoot)
				}
				return nil
			})
		},
	}
	add := &Command{
		Name: "add", Args: "VERSION", Summary: "keep a kernel version bootable",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("boot kernel add: want VERSION")
			}
			return withBoot(env, func(m *boot.Manager) error {
				if err := m.AddKernel(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Added kernel '%s' to manual kernel list. Use the 'refresh' command to update the ESPs.\n", args[0])
				return nil
			})
		},
	}
	remove := &Command{
		Name: "remove", Args: "VERSION", Summary: "remove a kernel from the manual list",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("boot kernel remove: want VERSION")
			}
			return withBoot(env, func(m *boot.Manager) error {
				ok, err := m.RemoveKernel(ctx, args[0])
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintf(env.Stdout, "Kernel '%s' not found in manual kernel list.\n", args[0])
					return nil
				}
				fmt.Fprintf(env.Stdout, "Removed kernel '%s' from manual kernel list. Use the 'refresh' command to update the ESPs.\n", args[0])
				return nil
			})
		},
	}
	return &Command{Name: "kernel", Summary: "kernel selection and pinning", Sub: []*Command{list, add, remove, bootPinCmd("pin"), bootUnpinCmd("unpin")}}
}

func bootPinCmd(name string) *Command {
	var next bool
	return &Command{
		Name: name, Args: "VERSION", Summary: "boot a kernel version by default (or --next-boot only)",
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&next, "next-boot", false, "only for the next boot") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("boot pin: want VERSION")
			}
			return withBoot(env, func(m *boot.Manager) error {
				old, err := m.Pin(ctx, args[0], next)
				if err != nil {
					return err
				}
				if old != "" && old != args[0] {
					fmt.Fprintf(env.Stdout, "Overriding previously pinned version '%s' with '%s'\n", old, args[0])
				}
				fmt.Fprintf(env.Stdout, "Set kernel '%s'. Use the 'refresh' command to update the ESPs.\n", args[0])
				return nil
			})
		},
	}
}

func bootUnpinCmd(name string) *Command {
	var next bool
	return &Command{
		Name: name, Summary: "remove the pinned kernel (or only the --next-boot pin)",
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&next, "next-boot", false, "only remove the next-boot pin") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("boot unpin: no arguments")
			}
			return withBoot(env, func(m *boot.Manager) error {
				last, err := m.Unpin(ctx, next)
				if err != nil {
					return err
				}
				if last != "" {
					fmt.Fprintf(env.Stdout, "Unpinned kernel '%s'. Use the 'refresh' command to update the ESPs.\n", last)
				}
				return nil
			})
		},
	}
}

func bootEFICmd() *Command {
	list := &Command{
		Name: "list", Summary: "show the EFI boot entries as efibootmgr -v does",
		Help: `Text output: exactly efibootmgr -v (version 17). JSON output:
{"boot_current", "boot_next", "timeout", "boot_order": [n], "secure_boot",
"setup_mode", "entries": [{"num", "name", "active", "description", "path",
"file", "partuuid", "optional_data"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			s, err := efivar.New(&efivar.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer s.Close()
			sum, err := s.Summary()
			if err != nil && sum == nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(sum)
			}
			fmt.Fprint(env.Stdout, sum.Format())
			return err
		},
	}
	return &Command{Name: "efi", Summary: "EFI boot entries", Sub: []*Command{list}}
}

func bootCmdlineCmd() *Command {
	get := &Command{
		Name: "get", Args: "[KEY]", Summary: "show the configured kernel command line, or one parameter",
		Help: `JSON output: {"loader", "file", "line", "variable", "cmdline", "params":
[{"key", "value", "has_value"}]}; with KEY: the parameter, exit 1 if absent.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 {
				return usagef("boot cmdline get: at most one KEY")
			}
			return withBoot(env, func(m *boot.Manager) error {
				src, err := m.Cmdline(ctx)
				if err != nil {
					return err
				}
				if len(args) == 1 {
					p, ok := src.Get(args[0])
					if !ok {
						return ErrFindings
					}
					if env.JSON {
						return env.PrintJSON(p)
					}
					fmt.Fprintln(env.Stdout, p.String())
					return nil
				}
				if env.JSON {
					return env.PrintJSON(src)
				}
				where := src.File
				if src.Line > 0 {
					where = fmt.Sprintf("%s:%d", src.File, src.Line)
				}
				fmt.Fprintf(env.Stdout, "%s\n# %s, %s\n", src.Cmdline, src.Loader, where)
				return nil
			})
		},
	}
	add := &Command{
		Name: "add", Args: "PARAM...", Summary: "add or replace kernel parameters (net.naming-scheme=v252, dis_ucode_ldr)",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("boot cmdline add: want PARAM...")
			}
			return withBoot(env, func(m *boot.Manager) error {
				for _, a := range args {
					if _, err := m.SetCmdlineParam(ctx, boot.ParseParam(a)); err != nil {
						return err
					}
				}
				return printApplyHint(ctx, env, m)
			})
		},
	}
	remove := &Command{
		Name: "remove", Args: "KEY...", Summary: "remove kernel parameters",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("boot cmdline remove: want KEY...")
			}
			return withBoot(env, func(m *boot.Manager) error {
				for _, a := range args {
					if _, err := m.RemoveCmdlineParam(ctx, a); err != nil {
						return err
					}
				}
				return printApplyHint(ctx, env, m)
			})
		},
	}
	return &Command{Name: "cmdline", Summary: "kernel command line in the boot loader's place", Sub: []*Command{get, add, remove}}
}

func printApplyHint(ctx context.Context, env *Env, m *boot.Manager) error {
	src, err := m.Cmdline(ctx)
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintJSON(src)
	}
	apply := "update-grub"
	if src.Loader == boot.LoaderSystemdBoot {
		apply = "hostadm boot refresh"
	}
	fmt.Fprintf(env.Stdout, "%s\nRun %s and reboot to apply.\n", src.Cmdline, apply)
	return nil
}

func bootPartitionsCmd() *Command {
	return &Command{
		Name: "partitions", Args: "DISK", Summary: "show a disk's GUID partition table",
		Help: `DISK is a block device or image file. JSON output: {"guid", "sector_size",
"sectors", "first_usable", "last_usable", "partitions": [{"number", "type",
"guid", "name", "start", "end", "attributes"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("boot partitions: want DISK")
			}
			t, err := disk.Read(args[0])
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(t)
			}
			fmt.Fprintf(env.Stdout, "Disk %s: %d sectors of %d bytes, GUID %s\n", args[0], t.Sectors, t.SectorSize, t.GUID)
			tw := env.Table()
			fmt.Fprintln(tw, "Number\tStart\tEnd\tSize\tType\tName")
			for _, p := range t.Partitions {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%d MiB\t%s\t%s\n", p.Number, p.Start, p.End, t.Bytes(p.Sectors())>>20, disk.TypeName(p.Type), p.Name)
			}
			return tw.Flush()
		},
	}
}
