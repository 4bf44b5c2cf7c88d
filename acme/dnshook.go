package acme

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
)

// DNSProvider sets and removes the TXT records of dns-01 challenges.
// Present and CleanUp get the record's name (such as
// "_acme-challenge.example.com", without a final dot) and its value.
type DNSProvider interface {
	Present(ctx context.Context, name, value string) error
	CleanUp(ctx context.Context, name, value string) error
}

// ProxmoxACMEScript is Proxmox VE's dns plugin runner, which loads
// acme.sh's dnsapi scripts.
const ProxmoxACMEScript = "/usr/share/proxmox-acme/proxmox-acme"

// wholeValues is run by bash in front of a proxmox-acme style script: it
// reads the TXT value and the KEY=VALUE lines from standard input,
// exports each value whole, and hands the script only the TXT value, so
// the script's own loader (which splits values at spaces) sees no data.
//
//go:embed whole-values.bash
var wholeValues string

// HookProvider runs a dns plugin through an external command with the
// proxmox-acme calling convention:
//
//	COMMAND... setup|teardown API DOMAIN
//
// with the TXT value on the first line of standard input and the plugin
// data (KEY=VALUE lines) after it. DOMAIN is the challenge domain without
// the "_acme-challenge." prefix (the alias in alias mode). Plugin data
// never appears in argv, and its values are redacted from errors and
// progress lines.
type HookProvider struct {
	// Command is the argv prefix.
	Command []string
	// API is the DNS API name, passed as the second argument.
	API string
	// Data is the plugin data, KEY=VALUE lines.
	Data string
	// User is who the hook runs as when the caller is root ("" or
	// "root": unchanged).
	User string
	// Progress receives the hook's output lines; nil discards them.
	Progress func(line string)
	// Timeout bounds each run; 0 means 5 minutes.
	Timeout time.Duration

	run runner.Runner
}

// Present runs "setup".
func (h *HookProvider) Present(ctx context.Context, name, value string) error {
	return h.do(ctx, "setup", name, value)
}

// CleanUp runs "teardown".
func (h *HookProvider) CleanUp(ctx context.Context, name, value string) error {
	return h.do(ctx, "teardown", name, value)
}

func (h *HookProvider) do(ctx context.Context, action, name, value string) error {
	if len(h.Command) == 0 {
		return fmt.Errorf("acme: dns hook: %w: no command", ErrInvalid)
	}
	domain := strings.TrimPrefix(strings.TrimSuffix(name, "."), "_acme-challenge.")
	vars, err := ParseData(h.Data)
	if err != nil {
		return fmt.Errorf("acme: dns plugin %s: %w", h.API, err)
	}
	var secrets []string
	for _, v := range vars {
		if len(strings.TrimSpace(v.Value)) >= 3 {
			secrets = append(secrets, v.Value)
		}
	}
	argv, err := privDrop(h.User)
	if err != nil {
		return err
	}
	argv = append(argv, h.Command...)
	argv = append(argv, action, h.API, domain)
	stdin := value + "\n" + FormatData(vars)
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	run := h.run
	if run == nil {
		run = runner.Default
	}
	_, err = run.Run(ctx, runner.Cmd{
		Args:    argv,
		Stdin:   []byte(stdin),
		Secrets: secrets,
		Timeout: timeout,
		OnLine: func(line string) {
			if h.Progress != nil {
				h.Progress(redact(line, secrets))
			}
		},
	})
	if err != nil {
		return fmt.Errorf("acme: dns plugin %s: %s failed for %s: %w", h.API, action, name, err)
	}
	return nil
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, runner.Redacted)
	}
	return s
}

// privDrop returns the setpriv(1) prefix that runs a command as the
// named user, when the caller is root and the user is not root.
func privDrop(name string) ([]string, error) {
	if os.Geteuid() != 0 || name == "" || name == "root" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("acme: dns hook user %q: %w", name, err)
	}
	return []string{"setpriv", "--reuid", u.Uid, "--regid", u.Gid, "--clear-groups", "--reset-env", "--"}, nil
}

// hookProvider builds the provider for a dns plugin without a native
// implementation.
func (c *Client) hookProvider(p Plugin) (DNSProvider, func(), error) {
	h := &HookProvider{API: p.API, Data: p.Data, User: c.cfg.HookUser, Progress: c.cfg.Progress, run: c.run}
	if h.User == "" {
		h.User = "nobody"
	}
	if c.cfg.Hook != nil {
		h.Command = c.cfg.Hook
		return h, func() {}, nil
	}
	// The wrapper goes to a file the hook user can read; it holds no
	// secret.
	f, err := os.CreateTemp("", "hostadm-acme-hook-*.bash")
	if err != nil {
		return nil, nil, fmt.Errorf("acme: dns hook: %w", err)
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, werr := f.WriteString(wholeValues)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("acme: dns hook: %w", err)
	}
	script := c.cfg.HookScript
	if script == "" {
		script = ProxmoxACMEScript
	}
	h.Command = []string{"/bin/bash", f.Name(), script}
	return h, cleanup, nil
}
