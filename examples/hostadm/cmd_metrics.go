package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hostadm/hostadm/metrics"
)

func init() {
	register(&Command{Name: "metrics", Summary: "external metric servers (status.cfg) and the host's metrics", Sub: []*Command{
		metricsServersCmd(), metricsSendOnceCmd(),
	}})
}

func metricsServersCmd() *Command {
	return &Command{
		Name: "servers", Summary: "list the metric servers of /etc/pve/status.cfg",
		Help: `Text output: ID TYPE TARGET STATE per server.
JSON output: [{"type", "id", "server", "port", "disable", "mtu",
"timeout", "path", "proto", "influxdbproto", "organization", "bucket",
"api-path-prefix", "max-body-size", "verify-certificate"}] as in the file
(timeout in nanoseconds). Tokens are never printed.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("metrics servers: no arguments")
			}
			c, err := metrics.New(&metrics.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer c.Close()
			srvs, err := c.Servers()
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(nonNil(srvs))
			}
			tw := env.Table()
			fmt.Fprintln(tw, "ID\tTYPE\tTARGET\tSTATE")
			for _, s := range srvs {
				state := "enabled"
				if s.Disable {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s://%s\t%s\n", s.ID, s.Type, s.EffectiveProto(), s.Addr(), state)
			}
			return tw.Flush()
		},
	}
}

func metricsSendOnceCmd() *Command {
	var nodeName string
	var dryRun bool
	return &Command{
		Name: "send-once", Args: "[ID...]", Summary: "collect the host's metrics once and send them to the metric servers",
		Help: `Collects the host's metrics through --root (uptime, cpustat, memory,
nics, blockstat, ksm, ZFS ARC) and sends them once to every enabled
server of status.cfg, or to the servers named, as pvestatd does every
10 seconds. --dry-run prints the InfluxDB line protocol instead of
sending.

Text output: "ID: sent N points" or "ID: ERROR" per server; exit status
1 when a send failed. JSON output: {"node", "points", "servers": [{"id",
"type", "target", "error"}]}.`,
		Flags: func(fl *flag.FlagSet) {
			fl.StringVar(&nodeName, "node", "", "node `NAME` tag (default the host name)")
			fl.BoolVar(&dryRun, "dry-run", false, "print the points as line protocol instead of sending")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			col, err := metrics.NewCollector(&metrics.CollectorConfig{Root: env.Root, Node: nodeName})
			if err != nil {
				return err
			}
			defer col.Close()
			pts, cerr := col.Collect()
			if cerr != nil {
				fmt.Fprintf(env.Stderr, "hostadm: collecting: %v\n", cerr)
			}
			if dryRun {
				var b []byte
				for _, p := range pts {
					b, _ = metrics.AppendLine(b, p)
				}
				_, err := env.Stdout.Write(b)
				return err
			}
			c, err := metrics.New(&metrics.Config{Root: env.Root})
			if err != nil {
				return err
			}
			defer c.Close()
			srvs, err := c.Servers()
			if err != nil {
				return err
			}
			var targets []metrics.Server
			for _, s := range srvs {
				if (len(args) == 0 && !s.Disable) || slices.Contains(args, s.ID) {
					targets = append(targets, s)
				}
			}
			for _, id := range args {
				if !slices.ContainsFunc(srvs, func(s metrics.Server) bool { return s.ID == id }) {
					return usagef("metrics send-once: no metric server %q in status.cfg", id)
				}
			}
			type result struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Target string `json:"target"`
				Error  string `json:"error,omitempty"`
			}
			results := make([]result, len(targets))
			var wg sync.WaitGroup
			for i, s := range targets {
				results[i] = result{ID: s.ID, Type: s.Type, Target: s.EffectiveProto() + "://" + s.Addr()}
				tok, err := c.Token(s.ID)
				if err != nil {
					results[i].Error = err.Error()
					continue
				}
				snd, err := metrics.NewSender(s, tok)
				if err != nil {
					results[i].Error = err.Error()
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer snd.Close()
					if err := snd.Send(ctx, pts); err != nil {
						results[i].Error = strings.ReplaceAll(err.Error(), "\n", "; ")
					}
				}()
			}
			wg.Wait()
			failed := slices.ContainsFunc(results, func(r result) bool { return r.Error != "" })
			if env.JSON {
				if err := env.PrintJSON(map[string]any{"node": col.Node(), "points": len(pts), "servers": results}); err != nil {
					return err
				}
			} else {
				if len(results) == 0 {
					fmt.Fprintln(env.Stdout, "no enabled metric server in /etc/pve/status.cfg")
				}
				for _, r := range results {
					if r.Error != "" {
						fmt.Fprintf(env.Stdout, "%s: %s\n", r.ID, r.Error)
					} else {
						fmt.Fprintf(env.Stdout, "%s: sent %d points to %s\n", r.ID, len(pts), r.Target)
					}
				}
			}
			if failed {
				return ErrFindings
			}
			return nil
		},
	}
}
