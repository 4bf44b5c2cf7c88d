package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/fstab"
)

func init() {
	register(&Command{Name: "fstab", Summary: "read, check and edit /etc/fstab without losing comments", Sub: []*Command{
		fstabListCmd(), fstabCheckCmd(), fstabAddCmd(), fstabRemoveCmd(), fstabOptionCmd(),
	}})
}

func fstabTable(env *Env) (*fstab.Table, error) {
	return fstab.New(&fstab.Config{Root: env.Root})
}

// fstabEntryJSON is the stable JSON shape of an entry.
type fstabEntryJSON struct {
	Line       int      `json:"line"`
	SourceKind string   `json:"source_kind"` // path, UUID, LABEL, PARTUUID, PARTLABEL, ID, other
	Source     string   `json:"source"`
	MountPoint string   `json:"mount_point"`
	Type       string   `json:"type"`
	Options    []string `json:"options"`
	Dump       int      `json:"dump"`
	Pass       int      `json:"pass"`
	KernelName bool     `json:"kernel_name"`
}

func fstabEntry(e *fstab.Entry) fstabEntryJSON {
	opts := []string{}
	for _, o := range e.Options {
		opts = append(opts, string(o))
	}
	return fstabEntryJSON{Line: e.Line, SourceKind: e.Source.Kind.String(), Source: e.Source.Value, MountPoint: e.MountPoint,
		Type: e.Type, Options: opts, Dump: e.Freq, Pass: e.PassNo, KernelName: e.Source.KernelName()}
}

func fstabListCmd() *Command {
	return &Command{
		Name: "list", Summary: "list the entries of /etc/fstab",
		Help: `Text output: one line per entry: line, device, mount point, type,
options, dump and pass.

JSON output: [{"line", "source_kind" (path, UUID, LABEL, PARTUUID,
PARTLABEL, ID, other), "source", "mount_point", "type", "options": [...],
"dump", "pass", "kernel_name" (true for /dev/sdX-style names)}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("fstab list: no arguments")
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
			out := []fstabEntryJSON{}
			for _, e := range f.Entries() {
				out = append(out, fstabEntry(e))
			}
			if env.JSON {
				return env.PrintJSON(out)
			}
			tw := env.Table()
			fmt.Fprintln(tw, "LINE\tDEVICE\tMOUNT POINT\tTYPE\tOPTIONS\tDUMP\tPASS")
			for _, e := range f.Entries() {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\n", e.Line, e.Source, e.MountPoint, e.Type, e.Options, e.Freq, e.PassNo)
			}
			return tw.Flush()
		},
	}
}

func fstabCheckCmd() *Command {
	return &Command{
		Name: "check", Summary: "report entries that name disks by kernel device name, and duplicates",
		Help: `The admin guide recommends naming file systems by UUID: kernel names
such as /dev/sdb1 follow the order disks are found in. Exit status 1 when
something is found.

JSON output: {"findings": [{"line", "mount_point", "problem"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			tab, err := fstabTable(env)
			if err != nil {
				return err
			}
			defer tab.Close()
			f, err := tab.Read()
			if err != nil {
				return err
			}
			type finding struct {
				Line       int    `json:"line"`
				MountPoint string `json:"mount_point"`
				Problem    string `json:"problem"`
			}
			out := struct {
				Findings []finding `json:"findings"`
			}{Findings: []finding{}}
			seen := map[string]int{}
			for _, e := range f.Entries() {
				if e.Source.KernelName() {
					out.Findings = append(out.Findings, finding{e.Line, e.MountPoint, fmt.Sprintf("%s is a kernel device name; use UUID=", e.Source.Value)})
				}
				if e.MountPoint != "none" && e.Type != "swap" {
					if first, ok := seen[e.MountPoint]; ok {
						out.Findings = append(out.Findings, finding{e.Line, e.MountPoint, fmt.Sprintf("also listed on line %d", first)})
					}
					seen[e.MountPoint] = e.Line
				}
			}
			if env.JSON {
				if err := env.PrintJSON(out); err != nil {
					return err
				}
			} else {
				for _, fi := range out.Findings {
					fmt.Fprintf(env.Stdout, "%s:%d: %s: %s\n", tab.Path(), fi.Line, fi.MountPoint, fi.Problem)
				}
			}
			if len(out.Findings) > 0 {
				return ErrFindings
			}
			return nil
		},
	}
}

func fstabAddCmd() *Command {
	var byUUID bool
	return &Command{
		Name: "add", Args: "DEVICE MOUNTPOINT TYPE [OPTIONS [DUMP [PASS]]]", Summary: "add an entry (by UUID, as the admin guide recommends)",
		Help: `DEVICE is a path (/dev/pve/vz), UUID=..., LABEL=..., PARTUUID=... or
PARTLABEL=.... With --by-uuid a device path is replaced by the UUID of its
file system, from /dev/disk/by-uuid. OPTIONS default to "defaults", DUMP
and PASS to 0. The file is written atomically; comments and the other
lines stay as they are.

Output: the line added. JSON output: the entry, as fstab list shows it.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&byUUID, "by-uuid", false, "name the device by its file system UUID")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 3 || len(args) > 6 {
				return usagef("fstab add: want DEVICE MOUNTPOINT TYPE [OPTIONS [DUMP [PASS]]]")
			}
			e := fstab.Entry{Source: fstab.ParseSource(args[0]), MountPoint: args[1], Type: args[2], Options: fstab.Options{"defaults"}}
			if len(args) > 3 {
				o, err := fstab.ParseOptions(args[3])
				if err != nil {
					return usagef("fstab add: options: %v", err)
				}
				e.Options = o
			}
			for i, p := range []*int{&e.Freq, &e.PassNo} {
				if len(args) > 4+i {
					n, err := strconv.Atoi(args[4+i])
					if err != nil || n < 0 {
						return usagef("fstab add: %q is not a number", args[4+i])
					}
					*p = n
				}
			}
			tab, err := fstabTable(env)
			if err != nil {
				return err
			}
			defer tab.Close()
			if byUUID && e.Source.Kind == fstab.Path {
				uuid, err := tab.UUIDOf(e.Source.Value)
				if err != nil {
					return err
				}
				e.Source = fstab.SourceUUID(uuid)
			}
			var added *fstab.Entry
			err = tab.Edit(ctx, func(f *fstab.File) error {
				var err error
				added, err = f.Add(e)
				return err
			})
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(fstabEntry(added))
			}
			fmt.Fprintln(env.Stdout, added)
			return nil
		},
	}
}

func fstabRemoveCmd() *Command {
	return &Command{
		Name: "remove", Args: "MOUNTPOINT", Summary: "remove the entry for a mount point",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("fstab remove: want MOUNTPOINT")
			}
			tab, err := fstabTable(env)
			if err != nil {
				return err
			}
			defer tab.Close()
			return tab.Edit(ctx, func(f *fstab.File) error {
				e := f.Lookup(args[0])
				if e == nil {
					return fmt.Errorf("%s: no entry for %s", tab.Path(), args[0])
				}
				f.Remove(e)
				return nil
			})
		},
	}
}

func fstabOptionCmd() *Command {
	var del bool
	return &Command{
		Name: "option", Args: "MOUNTPOINT NAME[=VALUE]", Summary: "set (or with --delete remove) a mount option of an entry",
		Help: `Only the entry's line changes, in its own spacing. For btrfs
compression prefer "hostadm btrfs compress", which checks the value.

Output: the entry's new line.`,
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&del, "delete", false, "remove the option") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 || args[1] == "" || strings.ContainsAny(args[1], ", \t") {
				return usagef("fstab option: want MOUNTPOINT NAME[=VALUE]")
			}
			tab, err := fstabTable(env)
			if err != nil {
				return err
			}
			defer tab.Close()
			var line string
			err = tab.Edit(ctx, func(f *fstab.File) error {
				e := f.Lookup(args[0])
				if e == nil {
					return fmt.Errorf("%s: no entry for %s", tab.Path(), args[0])
				}
				name, value, hasValue := strings.Cut(args[1], "=")
				switch {
				case del:
					if !e.Options.Delete(name) {
						return errors.New("option " + name + " is not set")
					}
				case hasValue:
					e.Options.Set(name, value)
				default:
					e.Options.SetFlag(name)
				}
				line = e.String()
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, line)
			return nil
		},
	}
}
