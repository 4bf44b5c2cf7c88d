// Command hostadm administers a Proxmox VE host from the command line, one
// subcommand per area of the hostadm library:
//
//	hostadm [--root DIR] [--json] AREA COMMAND [flags] [args]
//
// Every command takes --root DIR (work on a mounted system or fixture tree
// instead of "/") and --json (machine-readable output), before or after
// the command name. Text output is meant for people; JSON output is the
// stable interface for scripts: its field names only ever grow.
//
// Exit status: 0 on success, 1 when the command failed or reported a
// finding (such as "hostadm net check" finding an error), 2 on bad usage.
// Errors go to standard error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Command is a node of the command tree. Area files register their top
// command in init; leaves have Run.
type Command struct {
	Name    string
	Args    string // synopsis of the arguments, for help
	Summary string // one line
	Help    string // longer text, optional
	Sub     []*Command
	// Flags registers the command's own flags; Run sees them parsed.
	Flags func(fl *flag.FlagSet)
	Run   func(ctx context.Context, env *Env, args []string) error
}

var commands []*Command

func register(c *Command) { commands = append(commands, c) }

// Env is what a command runs with.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Root   string // --root
	JSON   bool   // --json
	fs     *rootfs.FS
}

// FS opens the root file system on first use.
func (e *Env) FS() (*rootfs.FS, error) {
	if e.fs == nil {
		f, err := rootfs.Open(e.Root)
		if err != nil {
			return nil, err
		}
		e.fs = f
	}
	return e.fs, nil
}

// PrintJSON writes v as indented JSON.
func (e *Env) PrintJSON(v any) error {
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Table returns a tab writer for aligned text output; call Flush.
func (e *Env) Table() *tabwriter.Writer {
	return tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
}

const topHelp = `Every command takes --root DIR and --json, before or after its name.
JSON output is the stable interface for scripts; text output is for people.
Exit status: 0 success, 1 failure or finding, 2 bad usage.`

// ErrUsage marks errors that exit with status 2.
var ErrUsage = errors.New("usage")

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// ErrFindings makes hostadm exit 1 without printing more: the command
// already printed what it found.
var ErrFindings = errors.New("findings reported")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Root: "/"}
	slices.SortFunc(commands, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	top := &Command{Name: "hostadm", Summary: "administer a Proxmox VE host", Help: topHelp, Sub: commands}
	err := dispatch(ctx, env, top, []string{"hostadm"}, args)
	if env.fs != nil {
		env.fs.Close()
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(stderr, strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	case errors.Is(err, ErrFindings):
		return 1
	default:
		fmt.Fprintf(stderr, "hostadm: %v\n", err)
		return 1
	}
}

// commonFlags registers --root and --json, which every level accepts.
func commonFlags(fl *flag.FlagSet, env *Env) {
	fl.StringVar(&env.Root, "root", env.Root, "work on the system mounted at `DIR`")
	fl.BoolVar(&env.JSON, "json", env.JSON, "print JSON")
}

func dispatch(ctx context.Context, env *Env, c *Command, path, args []string) error {
	fl := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	commonFlags(fl, env)
	if c.Flags != nil {
		c.Flags(fl)
	}
	help := func() error {
		printHelp(env.Stderr, c, path, fl)
		return flag.ErrHelp
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return help()
		}
		return usagef("%s: %v", strings.Join(path, " "), err)
	}
	rest := fl.Args()
	if c.Run != nil {
		// Flags may follow positional arguments: parse them out too.
		pos, err := parseInterspersed(fl, rest)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return help()
			}
			return usagef("%s: %v", strings.Join(path, " "), err)
		}
		return c.Run(ctx, env, pos)
	}
	if len(rest) == 0 {
		help()
		return usagef("%s: missing command", strings.Join(path, " "))
	}
	if rest[0] == "help" {
		if len(rest) == 1 {
			return help()
		}
		return dispatch(ctx, env, c, path, append(rest[1:], "--help"))
	}
	for _, sub := range c.Sub {
		if sub.Name == rest[0] {
			return dispatch(ctx, env, sub, append(path, sub.Name), rest[1:])
		}
	}
	return usagef("%s: unknown command %q (try %s help)", strings.Join(path, " "), rest[0], strings.Join(path, " "))
}

// parseInterspersed parses flags that appear among positional arguments,
// so that "hostadm apt fmt FILE --root /mnt" works. "--" ends flags.
func parseInterspersed(fl *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return append(pos, args[1:]...), nil
		}
		if len(a) > 1 && a[0] == '-' {
			if err := fl.Parse(args); err != nil {
				return nil, err
			}
			args = fl.Args()
			continue
		}
		pos = append(pos, a)
		args = args[1:]
	}
	return pos, nil
}

func printHelp(w io.Writer, c *Command, path []string, fl *flag.FlagSet) {
	name := strings.Join(path, " ")
	if c.Run != nil {
		fmt.Fprintf(w, "usage: %s [flags] %s\n", name, c.Args)
	} else {
		fmt.Fprintf(w, "usage: %s [flags] COMMAND ...\n", name)
	}
	if c.Summary != "" {
		fmt.Fprintf(w, "\n%s.\n", upperFirst(c.Summary))
	}
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Help))
	}
	if len(c.Sub) > 0 {
		fmt.Fprintf(w, "\ncommands:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range c.Sub {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name, s.Summary)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nflags:\n")
	fl.SetOutput(w)
	fl.PrintDefaults()
	fl.SetOutput(io.Discard)
	if len(c.Sub) > 0 {
		fmt.Fprintf(w, "\nRun \"%s help COMMAND\" for a command's usage.\n", name)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
