package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hostadm/hostadm/ksm"
)

func init() {
	register(&Command{Name: "ksm", Summary: "Kernel Samepage Merging: counters, run mode, ksmtuned", Sub: []*Command{
		ksmStatusCmd(), ksmRunCmd(), ksmSetCmd(), ksmDisableCmd(), ksmTunedCmd(),
	}})
}

func ksmClient(env *Env) (*ksm.Client, error) { return ksm.New(&ksm.Config{Root: env.Root}) }

func ksmStatusCmd() *Command {
	return &Command{
		Name: "status", Summary: "show every KSM counter with its unit, and ksmtuned",
		Help: `Text output: the run mode, the memory saved, then one line per file of
/sys/kernel/mm/ksm (NAME VALUE UNIT BYTES).

JSON output: {"mode": "running"|"stopped"|"unmerge", "page_size", "saved"
(bytes), "profit" (bytes, absent before Linux 6.7), "counters": [{"name",
"value", "number", "unit", "writable", "bytes", "help"}], "ksmtuned":
{"active", "enabled"}}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("ksm status: no arguments")
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Status()
			if err != nil {
				return err
			}
			tuned, terr := c.TunedState(ctx)
			out := struct {
				*ksm.Status
				Saved    int64             `json:"saved"`
				Profit   *int64            `json:"profit,omitempty"`
				KSMTuned *ksm.ServiceState `json:"ksmtuned,omitempty"`
			}{Status: st, Saved: st.Saved()}
			if p, ok := st.Profit(); ok {
				out.Profit = &p
			}
			if terr == nil {
				out.KSMTuned = &tuned
			}
			if env.JSON {
				return env.PrintJSON(out)
			}
			fmt.Fprintf(env.Stdout, "KSM %s, %d bytes saved (page size %d)\n", st.Mode, st.Saved(), st.PageSize)
			if out.Profit != nil {
				fmt.Fprintf(env.Stdout, "general profit %d bytes\n", *out.Profit)
			}
			if out.KSMTuned != nil {
				fmt.Fprintf(env.Stdout, "ksmtuned %s, %s\n", tuned.Active, tuned.Enabled)
			}
			tw := env.Table()
			fmt.Fprintln(tw, "NAME\tVALUE\tUNIT\tBYTES")
			for _, ctr := range st.Counters {
				b := ""
				if ctr.Unit == ksm.Pages || ctr.Unit == ksm.Bytes {
					b = strconv.FormatInt(ctr.Bytes, 10)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ctr.Name, ctr.Value, ctr.Unit, b)
			}
			return tw.Flush()
		},
	}
}

func ksmRunCmd() *Command {
	return &Command{
		Name: "run", Args: "MODE", Summary: "set the run mode: start (1), stop (0) or unmerge (2)",
		Help: `Writes /sys/kernel/mm/ksm/run (root). unmerge stops the scanner and
unmerges every merged page. Prints nothing.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("ksm run: want one MODE (start, stop, unmerge or 0, 1, 2)")
			}
			modes := map[string]ksm.Mode{"start": ksm.Running, "1": ksm.Running, "stop": ksm.Stopped, "0": ksm.Stopped, "unmerge": ksm.Unmerge, "2": ksm.Unmerge}
			m, ok := modes[args[0]]
			if !ok {
				return usagef("ksm run: unknown mode %q", args[0])
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.SetMode(m)
		},
	}
}

func ksmSetCmd() *Command {
	return &Command{
		Name: "set", Args: "NAME VALUE", Summary: "write a KSM tunable (pages_to_scan, sleep_millisecs, ...)",
		Help: `Writes /sys/kernel/mm/ksm/NAME (root) after checking that NAME is a
writable tunable and VALUE fits its unit. Prints nothing.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("ksm set: want NAME and VALUE")
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Set(args[0], args[1])
		},
	}
}

func ksmDisableCmd() *Command {
	return &Command{
		Name: "disable", Summary: "the admin guide's Disabling KSM: stop ksmtuned, unmerge all pages",
		Help: `Runs systemctl disable --now ksmtuned (when installed), then writes 2 to
/sys/kernel/mm/ksm/run. For hosts that provide hosting services: KSM exposes
guests to side-channel attacks. Needs root on the running system.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("ksm disable: no arguments")
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Disable(ctx)
		},
	}
}

func ksmTunedCmd() *Command {
	show := &Command{
		Name: "show", Summary: "show ksmtuned's effective settings",
		Help: `Text output: one KEY VALUE line per setting, and the threshold and scan
sleep ksmtuned derives on this host.

JSON output: {"monitor_interval" (ns), "sleep_msec", "npages_boost",
"npages_decay", "npages_min", "npages_max", "thres_coef",
"thres_const_kib", "logfile", "debug"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			cfg, _, err := c.TunedConfig()
			if err != nil {
				return err
			}
			s := cfg.Settings()
			if env.JSON {
				return env.PrintJSON(s)
			}
			tw := env.Table()
			for _, kv := range [][2]any{{"KSM_MONITOR_INTERVAL", int(s.MonitorInterval.Seconds())}, {"KSM_SLEEP_MSEC", s.SleepMsec},
				{"KSM_NPAGES_BOOST", s.NpagesBoost}, {"KSM_NPAGES_DECAY", s.NpagesDecay}, {"KSM_NPAGES_MIN", s.NpagesMin},
				{"KSM_NPAGES_MAX", s.NpagesMax}, {"KSM_THRES_COEF", s.ThresCoef}, {"KSM_THRES_CONST", s.ThresConst},
				{"LOGFILE", s.LogFile}, {"DEBUG", s.Debug}} {
				fmt.Fprintf(tw, "%s\t%v\n", kv[0], kv[1])
			}
			return tw.Flush()
		},
	}
	set := &Command{
		Name: "set", Args: "KEY VALUE", Summary: "set a ksmtuned.conf variable (restart ksmtuned to apply)",
		Help: `Edits /etc/ksmtuned.conf in place: an existing assignment is rewritten,
else the line goes after the commented-out example. Prints nothing.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 {
				return usagef("ksm tuned set: want KEY and VALUE")
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.EditTunedConfig(ctx, func(t *ksm.TunedConfig) error { return t.Set(args[0], args[1]) })
		},
	}
	unset := &Command{
		Name: "unset", Args: "KEY", Summary: "remove a ksmtuned.conf assignment (back to the default)",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("ksm tuned unset: want KEY")
			}
			c, err := ksmClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.EditTunedConfig(ctx, func(t *ksm.TunedConfig) error { t.Delete(args[0]); return nil })
		},
	}
	return &Command{Name: "tuned", Summary: "ksmtuned's configuration", Sub: []*Command{show, set, unset}}
}
