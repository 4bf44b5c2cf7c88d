package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/netcfg/live"
	"github.com/hostadm/hostadm/netcfg/wol"
)

func init() {
	netCmd.Sub = append(netCmd.Sub, netApplyCmd(), netCommitCmd(), netLinksCmd())
}

// netnsFlag registers --netns.
func netnsFlag(fl *flag.FlagSet, p *string) {
	fl.StringVar(p, "netns", "", "work in the network namespace `NAME` (/run/netns/NAME) instead of the host's")
}

func liveClient(netns string) (*live.Client, error) {
	cfg := &live.Config{}
	if netns != "" {
		if strings.Contains(netns, "/") {
			cfg.NetNS = netns
		} else {
			cfg.NetNS = filepath.Join("/run/netns", netns)
		}
	}
	return live.New(cfg)
}

// fdbFlags collects --fdb PORT=MAC[@VLAN].
type fdbFlags []live.FDBEntry

func (f *fdbFlags) String() string { return "" }

func (f *fdbFlags) Set(s string) error {
	port, rest, ok := strings.Cut(s, "=")
	if !ok || port == "" {
		return fmt.Errorf("want PORT=MAC[@VLAN], got %q", s)
	}
	macText, vlanText, hasVLAN := strings.Cut(rest, "@")
	mac, err := wol.ParseMAC(macText)
	if err != nil {
		return err
	}
	e := live.FDBEntry{Port: port, MAC: mac}
	if hasVLAN {
		v, err := strconv.Atoi(vlanText)
		if err != nil || v < 1 || v > 4094 {
			return fmt.Errorf("VLAN %q: want 1 to 4094", vlanText)
		}
		e.VLAN = v
	}
	*f = append(*f, e)
	return nil
}

// applyOutput is the JSON output of net apply and net commit.
type applyOutput struct {
	File      string      `json:"file"`
	Netns     string      `json:"netns,omitempty"`
	DryRun    bool        `json:"dry_run"`
	NoOp      bool        `json:"noop"`
	Steps     []live.Step `json:"steps"`
	Notes     []string    `json:"notes,omitempty"`
	Done      int         `json:"done"`
	Confirmed bool        `json:"confirmed"`
	Restored  bool        `json:"restored"`
	Restore   []live.Step `json:"restore_steps,omitempty"`
	Error     string      `json:"error,omitempty"`
}

const applyOutputHelp = `Text output: the steps, one per line in the words of ip(8), bridge(8)
and sysctl(8) with the file line that asks for each ("nothing to do"
when the kernel already matches), then what happened.

JSON output: {"file", "netns", "dry_run", "noop", "steps": [{"op", "link",
"text", "where", "hook", "argv", "shell"}], "notes", "done" (steps run),
"confirmed", "restored", "restore_steps", "error"}.`

func netApplyCmd() *Command {
	var dryRun bool
	var within time.Duration
	var netns, previous string
	var fdb fdbFlags
	var only string
	return &Command{
		Name: "apply", Args: "[FILE]", Summary: "apply an interfaces file to the running kernel over netlink (ifreload -a)",
		Help: `Reads FILE (default /etc/network/interfaces), compares it with the
kernel's links, addresses, routes, bridge ports, VLANs and FDB entries,
and changes only what differs, in dependency order. A second apply of
the same file changes nothing and says so. post-up and pre-down lines
run when their interface comes up or goes down, without a shell unless
the line needs one (the step says so); "echo 1 > /proc/sys/..." lines
set the kernel parameter when it differs.

If a step fails, the state before the apply is restored at once. With
--confirm-within, the change must be confirmed by typing "yes" within
that time, or it is undone: the safety net for changes made over the
network (the command ignores hangups while it waits, so that a change
that cuts off the SSH session still undoes itself). --dry-run prints the plan only. --previous names the file the
kernel was set up from: interfaces it had that FILE lacks are removed.
--fdb PORT=MAC[@VLAN] adds static FDB entries for guest MACs on bridges
with bridge-disable-mac-learning.

` + applyOutputHelp,
		Flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
			fl.DurationVar(&within, "confirm-within", 0, "undo the change unless confirmed within `DURATION` (e.g. 120s)")
			netnsFlag(fl, &netns)
			fl.StringVar(&previous, "previous", "", "the `FILE` the kernel was configured from; interfaces it has and FILE lacks are removed")
			fl.Var(&fdb, "fdb", "static FDB entry `PORT=MAC[@VLAN]` (repeatable)")
			fl.StringVar(&only, "only", "", "apply only `IFACES` (comma-separated) and what they are built on, as ifup does")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			arg, err := oneOptionalArg("apply", args)
			if err != nil {
				return err
			}
			f, err := netLoad(env, arg)
			if err != nil {
				return err
			}
			opts := &live.Options{FDB: fdb}
			if only != "" {
				opts.Interfaces = strings.Split(only, ",")
			}
			if previous != "" {
				pf, err := netLoad(env, previous)
				if err != nil {
					return err
				}
				opts.Previous = netcfg.NewNetwork(pf)
			}
			c, err := liveClient(netns)
			if err != nil {
				return err
			}
			defer c.Close()
			n := netcfg.NewNetwork(f)
			out := &applyOutput{File: f.Name, Netns: netns, DryRun: dryRun, Steps: []live.Step{}}
			if dryRun {
				p, err := c.Plan(ctx, n, opts)
				if err != nil {
					return err
				}
				out.Steps, out.Notes, out.NoOp = orEmpty(p.Steps), p.Notes, p.Empty()
				return printApply(env, out, p, nil)
			}
			if within > 0 {
				tx, err := c.ApplyConfirm(ctx, n, opts, within)
				return confirmApply(ctx, env, out, tx, err)
			}
			res, err := c.Apply(ctx, n, opts)
			fillApply(out, res, err)
			out.Confirmed = err == nil
			if perr := printApply(env, out, planOf(res), err); perr != nil {
				return perr
			}
			return quietErr(env, err)
		},
	}
}

func netCommitCmd() *Command {
	var within time.Duration
	var netns, expect string
	var fdb fdbFlags
	return &Command{
		Name: "commit", Summary: "make interfaces.new live and apply it, undoing both if the apply fails",
		Help: `Does what Proxmox VE's "Apply Configuration" does: validates and plans
the pending /etc/network/interfaces.new, renames it over the interfaces
file, and applies it with the old file as the previous configuration
(interfaces it drops are removed). If a step fails, or --confirm-within
passes without "yes" typed, the kernel state and the old file are
restored and the new file is pending again. --expect DIGEST refuses a
staging file that changed since it was reviewed (see "net diff").

` + applyOutputHelp,
		Flags: func(fl *flag.FlagSet) {
			fl.DurationVar(&within, "confirm-within", 0, "undo the commit unless confirmed within `DURATION`")
			netnsFlag(fl, &netns)
			fl.StringVar(&expect, "expect", "", "the staging file's `DIGEST` as reviewed")
			fl.Var(&fdb, "fdb", "static FDB entry `PORT=MAC[@VLAN]` (repeatable)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("net commit: no arguments")
			}
			h, err := netcfg.New(&netcfg.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer h.Close()
			c, err := liveClient(netns)
			if err != nil {
				return err
			}
			defer c.Close()
			out := &applyOutput{File: h.StagingPath(), Netns: netns, Steps: []live.Step{}}
			tx, err := c.Commit(ctx, h, expect, &live.Options{FDB: fdb}, within)
			if within > 0 && tx != nil && err == nil {
				return confirmApply(ctx, env, out, tx, nil)
			}
			var res *live.Result
			if tx != nil {
				res = tx.Result
			}
			fillApply(out, res, err)
			out.Confirmed = err == nil
			if perr := printApply(env, out, planOf(res), err); perr != nil {
				return perr
			}
			return quietErr(env, err)
		},
	}
}

// quietErr turns an apply error already shown in JSON into ErrFindings.
func quietErr(env *Env, err error) error {
	if err != nil && env.JSON {
		return ErrFindings
	}
	return err
}

func planOf(res *live.Result) *live.Plan {
	if res == nil {
		return nil
	}
	return res.Plan
}

func orEmpty(s []live.Step) []live.Step {
	if s == nil {
		return []live.Step{}
	}
	return s
}

func fillApply(out *applyOutput, res *live.Result, err error) {
	if res != nil && res.Plan != nil {
		out.Steps, out.Notes, out.NoOp, out.Done = orEmpty(res.Plan.Steps), res.Plan.Notes, res.Plan.Empty(), res.Done
		if res.Restore != nil {
			out.Restored, out.Restore = true, res.Restore.Steps
		}
	}
	if err != nil {
		out.Error = err.Error()
		out.Restored = out.Restored || errors.Is(err, live.ErrRestored) || errors.Is(err, live.ErrNotConfirmed)
	}
}

// printApply prints the plan and what happened.
func printApply(env *Env, out *applyOutput, p *live.Plan, err error) error {
	if env.JSON {
		return env.PrintJSON(out)
	}
	if p != nil {
		fmt.Fprint(env.Stdout, p.String())
		for _, n := range p.Notes {
			fmt.Fprintf(env.Stdout, "note: %s\n", n)
		}
	}
	switch {
	case out.DryRun:
	case err != nil && out.Restored:
		fmt.Fprintf(env.Stdout, "failed after %d of %d steps; the previous state was restored (%d steps)\n", out.Done, len(out.Steps), len(out.Restore))
	case err == nil && !out.NoOp:
		fmt.Fprintf(env.Stdout, "applied %d steps\n", out.Done)
	}
	return nil
}

// confirmApply waits for "yes" on standard input until the transaction's
// deadline; anything else, or nothing, undoes the change.
func confirmApply(ctx context.Context, env *Env, out *applyOutput, tx *live.Transaction, err error) error {
	if err != nil {
		var res *live.Result
		if tx != nil {
			res = tx.Result
		}
		fillApply(out, res, err)
		if perr := printApply(env, out, planOf(res), err); perr != nil {
			return perr
		}
		return quietErr(env, err)
	}
	p := tx.Result.Plan
	if p.Empty() {
		fillApply(out, tx.Result, nil)
		out.Confirmed = true
		return printApply(env, out, p, nil)
	}
	if !env.JSON {
		fmt.Fprint(env.Stdout, p.String())
		fmt.Fprintf(env.Stdout, "applied %d steps\n", tx.Result.Done)
	}
	// The rollback must happen even when the change cut off the session
	// that started it: a hangup or a closed terminal must not end this
	// process before the deadline.
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGHUP, syscall.SIGPIPE)
	fmt.Fprintf(env.Stderr, "type \"yes\" before %s to keep this configuration; it is undone otherwise\n", tx.Deadline().Format(time.TimeOnly))
	answers := make(chan string, 1)
	go func() {
		line, rerr := bufio.NewReader(env.Stdin).ReadString('\n')
		if rerr != nil && (rerr != io.EOF || line == "") {
			return // no answer: the deadline decides
		}
		answers <- strings.TrimSpace(line)
	}()
	select {
	case a := <-answers:
		if a == "yes" || a == "y" {
			if cerr := tx.Confirm(); cerr == nil {
				out.Confirmed = true
				break
			}
		} else {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	case <-ctx.Done():
		tx.Rollback(context.WithoutCancel(ctx))
	case <-tx.Done():
	}
	<-tx.Done()
	fillApply(out, tx.Result, tx.Err())
	out.Confirmed = tx.Err() == nil
	if env.JSON {
		if err := env.PrintJSON(out); err != nil {
			return err
		}
		if tx.Err() != nil {
			return ErrFindings
		}
		return nil
	}
	if tx.Err() != nil {
		fmt.Fprintf(env.Stdout, "not confirmed: the previous state was restored (%d steps)\n", len(out.Restore))
		return tx.Err()
	}
	fmt.Fprintln(env.Stdout, "confirmed")
	return nil
}

func netLinksCmd() *Command {
	var netns string
	return &Command{
		Name: "links", Summary: "list the kernel's network links with kind, state, MTU, MAC and master",
		Help: `Text output: a table NAME KIND STATE MTU MAC MASTER DETAILS.

JSON output: [{"index", "name", "kind" (""=physical, "loopback", "bridge",
"bond", "vlan", "veth", ...), "master", "up", "operstate", "carrier",
"mtu", "mac", "perm_mac", "parent", "bridge": {"stp", "forward_delay"
(centiseconds), "vlan_filtering", "default_pvid"}, "bond": {"mode",
"miimon", "xmit_hash_policy", "lacp_rate", "primary", "min_links",
"updelay", "downdelay"}, "vlan": {"id", "protocol"}, "port": {"learning",
"unicast_flood"}}].`,
		Flags: func(fl *flag.FlagSet) { netnsFlag(fl, &netns) },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("net links: no arguments")
			}
			c, err := liveClient(netns)
			if err != nil {
				return err
			}
			defer c.Close()
			links, err := c.Links(ctx)
			if err != nil {
				return err
			}
			if env.JSON {
				if links == nil {
					links = []live.Link{}
				}
				return env.PrintJSON(links)
			}
			tw := env.Table()
			fmt.Fprintln(tw, "NAME\tKIND\tSTATE\tMTU\tMAC\tMASTER\tDETAILS")
			for _, l := range links {
				kind := l.Kind
				if kind == "" {
					kind = "eth"
				}
				state := l.OperState
				if !l.Up {
					state = "DOWN (admin)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", l.Name, kind, state, l.MTU, l.MAC, orDash(l.Master), linkDetails(l))
			}
			return tw.Flush()
		},
	}
}

func linkDetails(l live.Link) string {
	var d []string
	if b := l.Bridge; b != nil {
		d = append(d, fmt.Sprintf("stp %s fd %gs", onOffText(b.STP), float64(b.ForwardDelay)/100))
		if b.VLANFiltering {
			d = append(d, "vlan-aware")
		}
	}
	if b := l.Bond; b != nil {
		d = append(d, fmt.Sprintf("mode %s miimon %d xmit %s", b.Mode, b.MIIMon, b.XmitHashPolicy))
	}
	if v := l.VLAN; v != nil {
		d = append(d, fmt.Sprintf("vlan %d on %s", v.ID, l.Parent))
	}
	if l.Kind == "veth" && l.Parent != "" {
		d = append(d, "peer "+l.Parent)
	}
	if p := l.Port; p != nil && !p.Learning {
		d = append(d, "learning off")
	}
	return strings.Join(d, ", ")
}

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
