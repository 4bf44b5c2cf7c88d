// Command hostcheck inspects a Proxmox VE host, read-only, and prints its
// findings grouped by area, each with a severity and one line of advice
// drawn from the Proxmox VE admin guide.
//
// Usage:
//
//	hostcheck [--root DIR] [--json] [--only AREA[,AREA...]] [--fail-on LEVEL]
//
// It runs on any Linux machine without root: sections that need root or
// tools that are missing say so instead of failing. With --root it
// inspects a mounted system or fixture tree instead of "/"; then it reads
// files only and runs no commands.
//
// Exit status: 0 when no finding reaches the --fail-on level (default
// error), 1 when one does, 2 on bad usage.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// area is one section of the report; each lives in its own area_*.go file
// and registers itself in init.
type area struct {
	name  string
	title string
	order int
	check func(ctx context.Context, e *env, s *Section)
}

var areas []area

func register(a area) { areas = append(areas, a) }

// env is what checks may use.
type env struct {
	fs *rootfs.FS
	// host is true when inspecting the running system: only then may
	// checks read live kernel state through syscalls or run commands.
	host bool
	// privileged is true when running as root on the host.
	privileged bool
	run        runner.Runner
}

// budget is how long the whole run may take.
const budget = 1500 * time.Millisecond

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("hostcheck", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", "/", "inspect the system mounted at `DIR` instead of this host")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	only := fl.String("only", "", "comma-separated `AREAS` to check (default all)")
	failOn := fl.String("fail-on", "error", "exit 1 when a finding reaches `LEVEL` (ok, info, warning, error, never)")
	list := fl.Bool("list", false, "list the areas and exit")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: hostcheck [flags]\n\nInspects a Proxmox VE host read-only and reports findings by area.\n\nflags:\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "hostcheck: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	slices.SortFunc(areas, func(a, b area) int { return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.name, b.name)) })
	if *list {
		for _, a := range areas {
			fmt.Fprintf(stdout, "%-10s %s\n", a.name, a.title)
		}
		return 0
	}
	threshold := Error + 1
	if *failOn != "never" {
		if err := threshold.UnmarshalText([]byte(*failOn)); err != nil {
			fmt.Fprintf(stderr, "hostcheck: --fail-on: %v\n", err)
			return 2
		}
	}
	selected, err := selectAreas(*only)
	if err != nil {
		fmt.Fprintf(stderr, "hostcheck: --only: %v\n", err)
		return 2
	}
	fsys, err := rootfs.Open(*root)
	if err != nil {
		fmt.Fprintf(stderr, "hostcheck: %v\n", err)
		return 1
	}
	defer fsys.Close()
	e := &env{fs: fsys, host: fsys.IsHostRoot(), run: runner.Default}
	e.privileged = e.host && os.Geteuid() == 0

	rep := inspect(ctx, e, selected)
	if *asJSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hostcheck: %v\n", err)
		return 1
	}
	if rep.Worst() >= threshold {
		return 1
	}
	return 0
}

func selectAreas(only string) ([]area, error) {
	if only == "" {
		return areas, nil
	}
	var out []area
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(areas, func(a area) bool { return a.name == name })
		if i < 0 {
			names := make([]string, len(areas))
			for j, a := range areas {
				names[j] = a.name
			}
			return nil, fmt.Errorf("unknown area %q (have %s)", name, strings.Join(names, ", "))
		}
		out = append(out, areas[i])
	}
	return out, nil
}

// inspect runs the areas concurrently within the time budget; an area that
// overruns is reported as such.
func inspect(ctx context.Context, e *env, selected []area) *Report {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	rep := &Report{Root: e.fs.Dir(), Time: time.Now().UTC(), Sections: make([]Section, len(selected))}
	rep.Host = hostname(e)
	var wg sync.WaitGroup
	for i, a := range selected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Sections[i] = runArea(ctx, e, a)
		}()
	}
	wg.Wait()
	rep.count()
	return rep
}

func runArea(ctx context.Context, e *env, a area) Section {
	start := time.Now()
	done := make(chan Section, 1)
	go func() {
		s := Section{Area: a.name, Title: a.title}
		defer func() {
			if p := recover(); p != nil {
				s.Error("internal", "report this as a bug in hostadm", "check crashed: %v", p)
			}
			done <- s
		}()
		a.check(ctx, e, &s)
	}()
	select {
	case s := <-done:
		s.Elapsed = time.Since(start)
		if len(s.Findings) == 0 {
			s.Info("nothing", "", "nothing to check here")
		}
		return s
	case <-ctx.Done():
		s := Section{Area: a.name, Title: a.title, Elapsed: time.Since(start)}
		s.Warn("timeout", "run hostcheck --only "+a.name+" to see it alone", "checks did not finish within %v", budget)
		return s
	}
}

func hostname(e *env) string {
	for _, p := range []string{"/etc/hostname", "/proc/sys/kernel/hostname"} {
		if s, err := e.fs.ReadSmall(p); err == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return "unknown"
}
