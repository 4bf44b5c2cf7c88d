package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

func runAdm(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestFrame(t *testing.T) {
	var gotRoot, gotArg string
	var gotJSON bool
	var gotN int
	register(&Command{Name: "zz-test", Summary: "test area", Sub: []*Command{{
		Name: "echo", Args: "ARG", Summary: "echo an argument",
		Flags: func(fl *flag.FlagSet) { fl.IntVar(&gotN, "n", 0, "a number") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("zz-test echo: want one argument")
			}
			gotRoot, gotJSON, gotArg = env.Root, env.JSON, args[0]
			if args[0] == "fail" {
				return ErrFindings
			}
			return nil
		},
	}}})
	defer func() { commands = commands[:len(commands)-1] }()

	if _, stderr, code := runAdm(t, "--root", "/mnt", "zz-test", "echo", "x", "--json", "-n", "3"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if gotRoot != "/mnt" || !gotJSON || gotArg != "x" || gotN != 3 {
		t.Errorf("root=%q json=%v arg=%q n=%d", gotRoot, gotJSON, gotArg, gotN)
	}
	if _, _, code := runAdm(t, "zz-test", "echo", "fail"); code != 1 {
		t.Errorf("finding: exit %d, want 1", code)
	}
	if _, stderr, code := runAdm(t, "zz-test", "echo"); code != 2 || !strings.Contains(stderr, "want one argument") {
		t.Errorf("bad usage: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := runAdm(t, "zz-test", "nope"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if _, _, code := runAdm(t, "zz-test", "echo", "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	_, stderr, code := runAdm(t, "help", "zz-test")
	if code != 0 || !strings.Contains(stderr, "echo") || !strings.Contains(stderr, "echo an argument") {
		t.Errorf("help: exit %d:\n%s", code, stderr)
	}
	_, stderr, _ = runAdm(t, "help")
	if !strings.Contains(stderr, "zz-test") || !strings.Contains(stderr, "Exit status") {
		t.Errorf("top help lacks the command list:\n%s", stderr)
	}
}
