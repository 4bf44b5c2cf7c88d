package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/node"
)

func init() {
	register(&Command{Name: "task", Summary: "the node's task history (pvenode task)", Sub: []*Command{
		taskListCmd(), taskLogCmd(),
	}})
}

// parseWhen reads a time as RFC 3339, a date (2006-01-02), seconds since
// the epoch, or a duration ago ("24h").
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, YYYY-MM-DD, epoch seconds or a duration ago such as 24h)", s)
}

func taskListCmd() *Command {
	var f node.TaskFilter
	var since, until string
	return &Command{
		Name: "list", Summary: "list finished tasks, newest first (pvenode task list)",
		Help: `Lists the task archive (/var/log/pve/tasks/index and index.1), newest
first; --source active lists running and not yet archived tasks, --source
all both. The admin guide's "pvenode task list --errors --vmid 100" is
"hostadm task list --errors --vmid 100". --since and --until take RFC
3339 times, dates, epoch seconds or a duration ago (24h).

Text output: UPID, start time, duration and status per task.
JSON output: [{"upid", "endtime", "status", "kind": "ok"|"warning"|
"error"|"running", "active"}].`,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&f.Errors, "errors", false, "only tasks whose status is not OK")
			fl.StringVar(&f.VMID, "vmid", "", "only tasks of guest `VMID`")
			fl.StringVar(&f.Type, "type", "", "only tasks of `TYPE` (vzdump, qmstart, ...)")
			fl.StringVar(&f.User, "user", "", "only tasks of users containing `USER`")
			fl.StringVar(&since, "since", "", "only tasks started after `TIME`")
			fl.StringVar(&until, "until", "", "only tasks started before `TIME`")
			fl.StringVar(&f.Source, "source", "archive", "`archive`, active or all")
			fl.IntVar(&f.Limit, "limit", 0, "at most `N` tasks")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("task list: no arguments")
			}
			var err error
			if since != "" {
				if f.Since, err = parseWhen(since); err != nil {
					return usagef("task list: --since: %v", err)
				}
			}
			if until != "" {
				if f.Until, err = parseWhen(until); err != nil {
					return usagef("task list: --until: %v", err)
				}
			}
			c, err := node.New(&node.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer c.Close()
			tasks, err := c.Tasks(f)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(nonNil(tasks))
			}
			tw := env.Table()
			fmt.Fprintln(tw, "UPID\tSTART\tDURATION\tSTATUS")
			for _, t := range tasks {
				status := t.Status
				if t.Kind == node.StatusRunning {
					status = "running"
				}
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", t.UPID, t.UPID.StartTime.Local().Format(time.DateTime), t.Duration(), status)
			}
			return tw.Flush()
		},
	}
}

func taskLogCmd() *Command {
	return &Command{
		Name: "log", Args: "UPID", Summary: "print a task's log and final status (pvenode task log)",
		Help: `Prints the log of the task UPID (/var/log/pve/tasks/X/UPID), as
"pvenode task log UPID". Exit status 1 when the task failed.

JSON output: {"task": {"upid", "endtime", "status", "kind"}, "log":
[lines]}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("task log: want one UPID")
			}
			u, err := node.ParseUPID(args[0])
			if err != nil {
				return usagef("task log: %v", err)
			}
			c, err := node.New(&node.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer c.Close()
			lines, err := c.TaskLog(u)
			if err != nil {
				return err
			}
			st, err := c.TaskStatus(u)
			if err != nil {
				return err
			}
			if env.JSON {
				lines = nonNil(lines)
				err = env.PrintJSON(map[string]any{"task": st, "log": lines})
			} else {
				for _, l := range lines {
					fmt.Fprintln(env.Stdout, l)
				}
			}
			if err != nil {
				return err
			}
			if st.Kind == node.StatusError {
				return ErrFindings
			}
			return nil
		},
	}
}

// wakeNode is "hostadm wol NODE" (pvenode wakeonlan NODE): macErr is why
// the argument is not a MAC address, reported when it is no node either.
func wakeNode(ctx context.Context, env *Env, name string, port int, macErr error) error {
	if port < 1 || port > 65535 {
		return usagef("wol: --port %d out of range", port)
	}
	c, err := node.New(&node.Config{Root: env.Root, WakeOnLANPort: port})
	if err != nil {
		return err
	}
	defer c.Close()
	nodes, _ := c.Nodes()
	if !slices.Contains(nodes, name) {
		return usagef("wol: %q is neither a MAC address (%v) nor a node in /etc/pve/nodes", name, macErr)
	}
	w, err := c.Wake(ctx, name)
	if err != nil {
		return err
	}
	bcast := "255.255.255.255"
	if w.BroadcastAddress != nil {
		bcast = w.BroadcastAddress.String()
	}
	if env.JSON {
		return env.PrintJSON(map[string]any{"node": name, "mac": w.MAC.String(), "broadcast": bcast, "port": port, "interface": w.BindInterface})
	}
	via := ""
	if w.BindInterface != "" {
		via = " via " + w.BindInterface
	}
	_, err = fmt.Fprintf(env.Stdout, "sent magic packet for %s (node %s) to %s:%d%s\n", w.MAC, name, bcast, port, via)
	return err
}
