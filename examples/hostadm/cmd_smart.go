package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/smart"
)

func init() {
	register(&Command{Name: "smart", Summary: "disk health: SMART over ATA and NVMe pass-through, smartctl, smartd.conf", Sub: []*Command{
		smartListCmd(), smartHealthCmd(), smartShowCmd(), smartEnableCmd(), smartSmartdCmd(),
	}})
}

func smartClient(env *Env) (*smart.Client, error) { return smart.New(&smart.Config{Root: env.Root}) }

func smartListCmd() *Command {
	return &Command{
		Name: "list", Summary: "list the disks in /sys/block with transport and RAID status",
		Help: `Text output: DEVICE TRANSPORT SIZE MODEL NOTE (NOTE says "raid (DRIVER)"
for logical drives of hardware RAID controllers).

JSON output: [{"name", "path", "transport", "vendor", "model", "size",
"rotational", "removable", "host_driver", "raid"}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			disks, err := c.Discover()
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(nonNil(disks))
			}
			tw := env.Table()
			fmt.Fprintln(tw, "DEVICE\tTRANSPORT\tSIZE\tMODEL\tNOTE")
			for _, d := range disks {
				note := ""
				if d.RAID {
					note = "raid (" + d.HostDriver + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", d.Path, d.Transport, d.Size, strings.TrimSpace(d.Vendor+" "+d.Model), note)
			}
			return tw.Flush()
		},
	}
}

func smartHealthCmd() *Command {
	return &Command{
		Name: "health", Args: "[DEVICE...]", Summary: "read the health of disks (all SMART-capable disks by default)",
		Help: `Reads each disk natively (ATA pass-through, NVMe admin commands) and with
smartctl -a -j where that is not possible. Needs root. Exit status 1 when a
disk's health is FAILED.

Text output: DEVICE MODEL HEALTH WEAROUT TEMP HOURS SOURCE.

JSON output: [report], see "hostadm smart show".`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			devs := args
			if len(devs) == 0 {
				disks, err := c.Discover()
				if err != nil {
					return err
				}
				for _, d := range disks {
					if d.HasSMART() {
						devs = append(devs, d.Path)
					}
				}
			}
			var reports []*smart.Report
			var errs []error
			for _, d := range devs {
				r, err := c.Read(ctx, d)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				reports = append(reports, r)
			}
			if env.JSON {
				reports = nonNil(reports)
				if err := env.PrintJSON(reports); err != nil {
					return err
				}
			} else {
				tw := env.Table()
				fmt.Fprintln(tw, "DEVICE\tMODEL\tHEALTH\tWEAROUT\tTEMP\tHOURS\tSOURCE")
				for _, r := range reports {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Device, r.Model, r.Health,
						optInt(r.Wearout, "%"), optInt(r.Temperature, "C"), optUint(r.PowerOnHours), r.Source)
				}
				tw.Flush()
			}
			for _, e := range errs {
				fmt.Fprintln(env.Stderr, "hostadm:", e)
			}
			for _, r := range reports {
				if r.Health == smart.Failed {
					return ErrFindings
				}
			}
			return errors.Join(errs...)
		},
	}
}

func optInt(p *int, unit string) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p) + unit
}

func optUint(p *uint64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatUint(*p, 10)
}

func smartShowCmd() *Command {
	var useSmartctl bool
	var devType string
	return &Command{
		Name: "show", Args: "DEVICE", Summary: "show a disk's identity, health and attributes",
		Help: `Like "smartctl -a": the identity, the overall health, and the ATA
attributes or the NVMe health log. --smartctl reads with smartctl -a -j
only; -d TYPE passes smartctl's device type (megaraid,N, sat, ...) and
implies --smartctl. Needs root.

JSON output: {"device", "transport", "source", "model", "serial",
"firmware", "capacity", "logical_block_size", "physical_block_size",
"rotation_rate", "smart_available", "smart_enabled", "health", "temperature",
"power_on_hours", "power_cycles", "wearout", "attributes": [{"id", "name",
"flags", "prefailure", "value", "worst", "thresh", "has_thresh", "raw",
"raw_string", "when_failed"}], "nvme": {smartctl's
nvme_smart_health_information_log fields}, "messages"}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&useSmartctl, "smartctl", false, "read with smartctl only")
			fl.StringVar(&devType, "d", "", "smartctl device `TYPE`")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("smart show: want one DEVICE")
			}
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var r *smart.Report
			if useSmartctl || devType != "" {
				r, _, err = c.Smartctl(ctx, args[0], devType)
			} else {
				r, err = c.Read(ctx, args[0])
			}
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(r)
			}
			printReport(env, r)
			if r.Health == smart.Failed {
				return ErrFindings
			}
			return nil
		},
	}
}

func printReport(env *Env, r *smart.Report) {
	w := env.Stdout
	fmt.Fprintf(w, "Device:   %s (%s, read by %s)\n", r.Device, r.Transport, r.Source)
	fmt.Fprintf(w, "Model:    %s\nSerial:   %s\nFirmware: %s\nCapacity: %d bytes\n", r.Model, r.Serial, r.Firmware, r.Capacity)
	smartState := "Unavailable"
	switch {
	case r.SMARTAvailable && r.SMARTEnabled:
		smartState = "Enabled"
	case r.SMARTAvailable:
		smartState = "Disabled"
	}
	fmt.Fprintf(w, "SMART support is: %s\nHealth:   %s\n", smartState, r.Health)
	fmt.Fprintf(w, "Wearout:  %s\nTemperature: %s\nPower on hours: %s\n", optInt(r.Wearout, "% left"), optInt(r.Temperature, " C"), optUint(r.PowerOnHours))
	if len(r.Attributes) > 0 {
		tw := env.Table()
		fmt.Fprintln(tw, "ID\tATTRIBUTE\tVALUE\tWORST\tTHRESH\tFAILED\tRAW")
		for _, a := range r.Attributes {
			th := "---"
			if a.HasThreshold {
				th = fmt.Sprintf("%03d", a.Threshold)
			}
			failed := a.WhenFailed
			if failed == "" {
				failed = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%03d\t%03d\t%s\t%s\t%s\n", a.ID, a.Name, a.Value, a.Worst, th, failed, a.RawString)
		}
		tw.Flush()
	}
	if n := r.NVMe; n != nil {
		tw := env.Table()
		for _, kv := range [][2]any{{"Critical Warning", fmt.Sprintf("0x%02x", n.CriticalWarning)}, {"Temperature", n.Temperature},
			{"Available Spare", n.AvailableSpare}, {"Available Spare Threshold", n.AvailableSpareThreshold},
			{"Percentage Used", n.PercentageUsed}, {"Data Units Read", n.DataUnitsRead}, {"Data Units Written", n.DataUnitsWritten},
			{"Host Read Commands", n.HostReads}, {"Host Write Commands", n.HostWrites}, {"Power Cycles", n.PowerCycles},
			{"Power On Hours", n.PowerOnHours}, {"Unsafe Shutdowns", n.UnsafeShutdowns}, {"Media Errors", n.MediaErrors},
			{"Error Log Entries", n.ErrorLogEntries}} {
			fmt.Fprintf(tw, "%s:\t%v\n", kv[0], kv[1])
		}
		tw.Flush()
	}
}

func smartEnableCmd() *Command {
	return &Command{
		Name: "enable", Args: "DEVICE", Summary: "turn SMART on (smartctl -s on)",
		Help: `Sends SMART ENABLE OPERATIONS to an ATA disk (root). Prints nothing.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("smart enable: want one DEVICE")
			}
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.EnableSMART(ctx, args[0])
		},
	}
}

func smartSmartdCmd() *Command {
	show := &Command{
		Name: "show", Summary: "show smartd.conf's entries",
		Help: `Text output: LINE DEVICE DIRECTIVES, and whether smartd is enabled.

JSON output: {"enabled": bool, "entries": [{"device", "directives":
[{"name", "arg"}], "line"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			conf, _, err := c.SmartdConf()
			if err != nil {
				return err
			}
			entries := conf.Entries()
			if env.JSON {
				entries = nonNil(entries)
				return env.PrintJSON(struct {
					Enabled bool                 `json:"enabled"`
					Entries []*smart.SmartdEntry `json:"entries"`
				}{c.SmartdEnabled(), entries})
			}
			fmt.Fprintf(env.Stdout, "smartd enabled at boot: %v\n", c.SmartdEnabled())
			tw := env.Table()
			fmt.Fprintln(tw, "LINE\tDEVICE\tDIRECTIVES")
			for _, e := range entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\n", e.Line, e.Device, strings.TrimPrefix(e.String(), e.Device+" "))
			}
			return tw.Flush()
		},
	}
	set := &Command{
		Name: "set", Args: "DEVICE -- DIRECTIVE...", Summary: "set a device's smartd.conf line",
		Help: `Replaces the directives of DEVICE's line (or DEVICESCAN, DEFAULT), or adds
a line before DEVICESCAN. Put the directives after "--":

  hostadm smart smartd set /dev/sda -- -a -s (S/../.././02|L/../../6/03) -m root

Reload smartd to apply (systemctl reload smartmontools). Prints nothing.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 2 {
				return usagef("smart smartd set: want DEVICE and directives after --")
			}
			entry, err := smart.ParseSmartdConf("arguments", []byte(strings.Join(args, " ")+"\n"))
			if err != nil || len(entry.Entries()) != 1 {
				return usagef("smart smartd set: %v", err)
			}
			e := entry.Entries()[0]
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.EditSmartdConf(ctx, func(conf *smart.SmartdConf) error { return conf.Set(e.Device, e.Directives) })
		},
	}
	remove := &Command{
		Name: "remove", Args: "DEVICE", Summary: "remove a device's smartd.conf line",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("smart smartd remove: want DEVICE")
			}
			c, err := smartClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.EditSmartdConf(ctx, func(conf *smart.SmartdConf) error {
				if !conf.Remove(args[0]) {
					return fmt.Errorf("smartd.conf has no line for %s", args[0])
				}
				return nil
			})
		},
	}
	return &Command{Name: "smartd", Summary: "smartd.conf", Sub: []*Command{show, set, remove}}
}
