package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hostadm/hostadm/timesync"
)

func init() {
	register(&Command{Name: "time", Summary: "time synchronization: NTP daemon, servers, state", Sub: []*Command{
		timeServersCmd(), timeAddCmd(), timeRemoveCmd(), timeStatusCmd(),
	}})
}

func timeClient(env *Env) (*timesync.Client, error) {
	return timesync.New(&timesync.Config{Root: env.Root})
}

func timeServersCmd() *Command {
	return &Command{
		Name: "servers", Summary: "list the configured time sources",
		Help: `Lists the servers and pools of the NTP daemon in use, in the order it
reads them (chrony.conf with its conf.d and sources.d files, or
timesyncd.conf with its drop-ins).

Text output: the daemon, then TYPE ADDRESS OPTIONS FILE:LINE per source.
JSON output: {"daemon": {"name", "unit", "config", "enabled", "active"},
"sources": [{"type", "address", "options": [{"name", "value"}], "file",
"line"}]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("time servers: no arguments")
			}
			c, err := timeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			d, err := c.Detect(ctx)
			if err != nil {
				return err
			}
			srcs, err := c.Sources(ctx)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(map[string]any{"daemon": d, "sources": srcs})
			}
			fmt.Fprintf(env.Stdout, "%s (%s, %s)\n", d.Name, d.Enabled, d.Active)
			tw := env.Table()
			fmt.Fprintln(tw, "TYPE\tADDRESS\tOPTIONS\tWHERE")
			for _, s := range srcs {
				opts := strings.TrimPrefix(strings.TrimPrefix(s.String(), string(s.Type)+" "+s.Address), " ")
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\n", s.Type, s.Address, opts, s.File, s.Line)
			}
			return tw.Flush()
		},
	}
}

func timeAddCmd() *Command {
	var pool, replace, restart bool
	var options string
	return &Command{
		Name: "add", Args: "HOST...", Summary: "add (or with --replace, set) NTP servers and restart the daemon",
		Help: `Configures each HOST as a server (or a pool with --pool) of the daemon
in use, as the admin guide's "Using Custom NTP Servers": for chrony a
"server HOST iburst" line after the last source of chrony.conf (a source
with the same address anywhere is rewritten in place); for
systemd-timesyncd the NTP= list of timesyncd.conf. --options sets
chrony's source options (default "iburst"; ignored for timesyncd).
--replace makes the hosts the only sources. --restart restarts the daemon
afterwards (systemctl restart), which it needs to read the change.

Prints nothing; JSON output: the sources afterwards, as "time servers".`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&pool, "pool", false, "add pools instead of servers (chrony)")
			fl.BoolVar(&replace, "replace", false, "replace every configured source")
			fl.BoolVar(&restart, "restart", false, "restart the daemon afterwards")
			fl.StringVar(&options, "options", "iburst", "chrony source `OPTIONS`, space-separated")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("time add: want one or more HOSTs")
			}
			c, err := timeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			d, err := c.Detect(ctx)
			if err != nil {
				return err
			}
			typ := "server"
			if pool {
				typ = "pool"
			}
			var srcs []timesync.Source
			for _, h := range args {
				line := typ + " " + h
				if d.Name == timesync.Chrony {
					line += " " + options
				} else if pool {
					return usagef("time add: %s has no pools", d.Name)
				}
				s, err := timesync.ParseSource(line)
				if err != nil {
					return usagef("time add: %v", err)
				}
				srcs = append(srcs, s)
			}
			if replace {
				err = c.ReplaceSources(ctx, srcs)
			} else {
				for _, s := range srcs {
					if err = c.AddSource(ctx, s); err != nil {
						break
					}
				}
			}
			if err != nil {
				return err
			}
			if restart {
				if err := c.Restart(ctx); err != nil {
					return err
				}
			}
			if env.JSON {
				all, err := c.Sources(ctx)
				if err != nil {
					return err
				}
				return env.PrintJSON(map[string]any{"daemon": d, "sources": all})
			}
			return nil
		},
	}
}

func timeRemoveCmd() *Command {
	var restart bool
	return &Command{
		Name: "remove", Args: "HOST...", Summary: "remove NTP servers or pools",
		Help: `Removes every source with the address HOST from the daemon's editable
files (chrony's /run/chrony-dhcp sources belong to DHCP and stay).
--restart restarts the daemon afterwards. Fails when a HOST was not
configured. Prints nothing.`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&restart, "restart", false, "restart the daemon afterwards")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("time remove: want one or more HOSTs")
			}
			c, err := timeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var missing []string
			for _, h := range args {
				ok, err := c.RemoveSource(ctx, h)
				if err != nil {
					return err
				}
				if !ok {
					missing = append(missing, h)
				}
			}
			if restart {
				if err := c.Restart(ctx); err != nil {
					return err
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("not configured: %s", strings.Join(missing, ", "))
			}
			return nil
		},
	}
}

func timeStatusCmd() *Command {
	var since time.Duration
	return &Command{
		Name: "status", Summary: "show whether the clock is synchronised and to which server",
		Help: `Shows the NTP daemon, its sources and, on the running system, the kernel
clock state (adjtimex), chronyd's tracking and source states (chronyc) or
systemd-timesyncd's server (timedatectl), and the daemon's journal
messages that name servers since --since ago (default 1h), such as
"Selected source 10.0.0.1 (ntp1.example.com)", to confirm new servers are
used.

Exit status 1 when, on the running system, the clock is not synchronised.

JSON output: {"daemon", "sources", "clock": {"synchronised", "max_error",
"est_error", "offset", "frequency_ppm", "status", "tai"}, "tracking":
{"ref_id", "ref_name", "stratum", "offset", "leap", ...}, "states":
[{"mode", "state", "address", "stratum", "poll", "reach", "last_rx",
"offset", "measured", "error"}], "timesync": {...}, "selected",
"problems", "events": [{"time", "message", "kind", "address", "name"}]}
(durations in nanoseconds, offsets of chrony in seconds).`,
		Flags: func(fl *flag.FlagSet) {
			fl.DurationVar(&since, "since", time.Hour, "journal messages since `DURATION` ago")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("time status: no arguments")
			}
			c, err := timeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			var events []timesync.Event
			if fs, err := env.FS(); err == nil && fs.IsHostRoot() {
				evs, err := c.Journal(ctx, time.Now().Add(-since))
				if err != nil {
					st.Problems = append(st.Problems, "journal: "+strings.SplitN(err.Error(), "\n", 2)[0])
				}
				for _, e := range evs {
					if e.Kind != timesync.EventOther && e.Kind != timesync.EventSample {
						events = append(events, e)
					}
				}
			}
			unsynced := st.Clock != nil && !st.Clock.Synchronised
			if env.JSON {
				if err := env.PrintJSON(struct {
					*timesync.Status
					Events []timesync.Event `json:"events,omitempty"`
				}{st, events}); err != nil {
					return err
				}
			} else {
				printTimeStatus(env, st, events)
			}
			if unsynced {
				return ErrFindings
			}
			return nil
		},
	}
}

func printTimeStatus(env *Env, st *timesync.Status, events []timesync.Event) {
	w := env.Stdout
	fmt.Fprintf(w, "daemon:   %s (%s, %s)\n", st.Daemon.Name, st.Daemon.Enabled, st.Daemon.Active)
	var names []string
	for _, s := range st.Sources {
		names = append(names, s.Address)
	}
	fmt.Fprintf(w, "sources:  %s\n", strings.Join(names, " "))
	if st.Clock != nil {
		state := "synchronised"
		if !st.Clock.Synchronised {
			state = "NOT synchronised"
		}
		fmt.Fprintf(w, "clock:    %s (estimated error %v, max %v)\n", state, st.Clock.EstError, st.Clock.MaxError)
	}
	if st.Selected != "" {
		fmt.Fprintf(w, "selected: %s\n", st.Selected)
	}
	if t := st.Tracking; t != nil {
		fmt.Fprintf(w, "offset:   %+.9f s (stratum %d, leap %s)\n", t.Offset, t.Stratum, t.Leap)
	}
	if t := st.Timesync; t != nil {
		fmt.Fprintf(w, "offset:   %v (delay %v, stratum %d)\n", t.Offset, t.Delay, t.Stratum)
	}
	if len(st.States) > 0 {
		tw := env.Table()
		fmt.Fprintln(tw, "S\tADDRESS\tSTRATUM\tPOLL\tREACH\tOFFSET")
		for _, s := range st.States {
			fmt.Fprintf(tw, "%s%s\t%s\t%d\t%d\t%03o\t%+.6f\n", s.Mode, s.State, s.Address, s.Stratum, s.Poll, s.Reach, s.Offset)
		}
		tw.Flush()
	}
	for _, e := range events {
		fmt.Fprintf(w, "%s %s\n", e.Time.Local().Format(time.DateTime), e.Message)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "problem:  %s\n", p)
	}
}
