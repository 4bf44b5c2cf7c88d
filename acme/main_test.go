package acme

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// hookArg makes the test binary act as a dns plugin hook: the tests set
// Config.Hook to {os.Args[0], hookArg}.
const hookArg = "hostadm-test-hook"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == hookArg {
		if err := testHook(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// hookCall is what the test hook saw, appended as a JSON line to the file
// named by the HOOK_LOG plugin variable.
type hookCall struct {
	Argv []string          `json:"argv"`
	TXT  string            `json:"txt"`
	Vars map[string]string `json:"vars"`
}

// testHook implements the proxmox-acme calling convention against
// pebble-challtestsrv: setup|teardown API DOMAIN, the TXT value and the
// plugin data on stdin. Plugin variables: CHALLTESTSRV (management URL),
// HOOK_LOG (file), FAIL ("setup" makes setup fail after printing the
// data it got, to prove redaction).
func testHook(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("test hook: want setup|teardown API DOMAIN, got %q", args)
	}
	sc := bufio.NewScanner(os.Stdin)
	call := hookCall{Argv: args, Vars: map[string]string{}}
	if sc.Scan() {
		call.TXT = sc.Text()
	}
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			call.Vars[k] = v
		}
	}
	if log := call.Vars["HOOK_LOG"]; log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		json.NewEncoder(f).Encode(call)
		f.Close()
	}
	fmt.Printf("test hook: %s %s\n", args[0], args[2])
	if call.Vars["FAIL"] == args[0] {
		// A badly behaved plugin that prints its credentials.
		fmt.Printf("using secret %s\n", call.Vars["SECRET"])
		return fmt.Errorf("test hook: failing with secret %s", call.Vars["SECRET"])
	}
	host := "_acme-challenge." + args[2] + "."
	var path, body string
	switch args[0] {
	case "setup":
		path, body = "/set-txt", fmt.Sprintf(`{"host":%q,"value":%q}`, host, call.TXT)
	case "teardown":
		path, body = "/clear-txt", fmt.Sprintf(`{"host":%q}`, host)
	default:
		return fmt.Errorf("test hook: unknown action %q", args[0])
	}
	if srv := call.Vars["CHALLTESTSRV"]; srv != "" {
		resp, err := http.Post(srv+path, "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("test hook: %s: %s", path, resp.Status)
		}
	}
	return nil
}
