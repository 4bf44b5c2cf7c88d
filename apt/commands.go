package apt

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/runner"
)

// Progress is one report of a running apt-get, from its machine-readable
// status lines (APT::Status-Fd) or its ordinary output.
type Progress struct {
	// Stage is "download" (dlstatus), "install" (pmstatus), "error"
	// (pmerror), "conffile" (pmconffile), "media-change" or "output" for
	// a line that is not a status line.
	Stage   string
	Package string
	Percent float64 // 0..100, for download and install
	Message string
}

// ProgressFunc receives progress reports as apt-get runs.
type ProgressFunc func(Progress)

// parseStatusLine parses an APT::Status-Fd line such as
// "pmstatus:intel-microcode:20.0000:Installing intel-microcode (amd64)".
func parseStatusLine(line string) Progress {
	kind, rest, ok := strings.Cut(line, ":")
	stages := map[string]string{
		"dlstatus": "download", "pmstatus": "install", "pmerror": "error",
		"pmconffile": "conffile", "media-change": "media-change",
	}
	stage, known := stages[kind]
	if !ok || !known {
		return Progress{Stage: "output", Message: line}
	}
	p := Progress{Stage: stage}
	parts := strings.SplitN(rest, ":", 3)
	switch {
	case stage == "conffile" || stage == "media-change":
		p.Message = rest
	case len(parts) == 3:
		p.Package = parts[0]
		p.Percent, _ = strconv.ParseFloat(parts[1], 64)
		p.Message = parts[2]
	default:
		p.Message = rest
	}
	if stage == "download" {
		p.Package = "" // dlstatus carries a file counter there
	}
	return p
}

// packageName is a Debian package name, optionally with ":arch".
var packageNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$`)

// ErrInvalidName is returned for a string that is not a package name.
var ErrInvalidName = errors.New("invalid package name")

func checkName(name string) error {
	if !packageNameRE.MatchString(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// checkVersionPattern accepts a valid version, or a glob of one: the
// version syntax with "*" and "?" as wildcards.
func checkVersionPattern(v string) error {
	if !strings.ContainsAny(v, "*?") {
		_, err := ParseVersion(v)
		return err
	}
	probe := strings.NewReplacer("*", "0", "?", "0").Replace(v)
	if _, err := ParseVersion(probe); err != nil || !isDigit(v[0]) || strings.TrimSpace(v) != v {
		return &VersionError{Version: v, Reason: "not a version or a version glob"}
	}
	return nil
}

// command returns argv for a tool run in the root: directly on the host,
// through chroot(8) in a mounted system.
func (c *Client) command(args ...string) []string {
	if c.fs.IsHostRoot() {
		return args
	}
	return append([]string{"chroot", c.fs.Dir()}, args...)
}

// noninteractive is the environment and options that keep apt-get and
// dpkg from asking: debconf's noninteractive frontend, and existing
// configuration files kept as they are.
var noninteractiveEnv = []string{"DEBIAN_FRONTEND=noninteractive", "APT_LISTCHANGES_FRONTEND=none", "NEEDRESTART_MODE=l"}

var noninteractiveOpts = []string{
	"-y", "-q",
	"-o", "Dpkg::Options::=--force-confdef",
	"-o", "Dpkg::Options::=--force-confold",
	"-o", "APT::Status-Fd=1",
}

func (c *Client) aptGet(ctx context.Context, progress ProgressFunc, args ...string) error {
	argv := c.command(append([]string{"apt-get"}, args...)...)
	cmd := runner.Cmd{Args: argv, Env: noninteractiveEnv}
	if progress != nil {
		cmd.OnLine = func(line string) { progress(parseStatusLine(line)) }
	}
	_, err := c.run.Run(ctx, cmd)
	return err
}

// Update runs "apt-get update", reporting progress to fn (may be nil).
func (c *Client) Update(ctx context.Context, fn ProgressFunc) error {
	return c.aptGet(ctx, fn, "update", "-q", "-o", "APT::Status-Fd=1")
}

// DistUpgrade runs "apt-get dist-upgrade" non-interactively, keeping
// changed configuration files, reporting progress to fn (may be nil).
// Held packages stay as they are.
func (c *Client) DistUpgrade(ctx context.Context, fn ProgressFunc) error {
	return c.aptGet(ctx, fn, append([]string{"dist-upgrade"}, noninteractiveOpts...)...)
}

// InstallOptions tune [Client.Install].
type InstallOptions struct {
	// AllowDowngrade permits installing a version older than the
	// installed one (the microcode downgrade of the admin guide).
	AllowDowngrade bool
	// AllowHeld permits changing a package that is on hold.
	AllowHeld bool
	// Progress receives progress reports; nil means none.
	Progress ProgressFunc
}

// Install installs a package non-interactively: "apt-get install
// name=version", or the candidate when version is "". version may be a
// glob such as "3.202305*", which APT resolves to the newest matching
// version, as in the admin guide's microcode downgrade. opt may be nil.
func (c *Client) Install(ctx context.Context, name, version string, opt *InstallOptions) error {
	if opt == nil {
		opt = &InstallOptions{}
	}
	if err := checkName(name); err != nil {
		return err
	}
	target := name
	if version != "" {
		if err := checkVersionPattern(version); err != nil {
			return err
		}
		target += "=" + version
	}
	args := append([]string{"install"}, noninteractiveOpts...)
	if opt.AllowDowngrade {
		args = append(args, "--allow-downgrades")
	}
	if opt.AllowHeld {
		args = append(args, "--allow-change-held-packages")
	}
	args = append(args, "--", target)
	return c.aptGet(ctx, opt.Progress, args...)
}

// Hold puts packages on hold, as "apt-mark hold" does: a "hold" selection
// written with "dpkg --set-selections". dpkg must know the packages.
func (c *Client) Hold(ctx context.Context, names ...string) error {
	return c.setSelections(ctx, "hold", names)
}

// Unhold takes packages off hold ("apt-mark unhold"): their selection
// goes back to "install".
func (c *Client) Unhold(ctx context.Context, names ...string) error {
	return c.setSelections(ctx, "install", names)
}

func (c *Client) setSelections(ctx context.Context, sel string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var stdin strings.Builder
	for _, n := range names {
		if err := checkName(n); err != nil {
			return err
		}
		fmt.Fprintf(&stdin, "%s %s\n", n, sel)
	}
	argv := []string{"dpkg", "--set-selections"}
	if !c.fs.IsHostRoot() {
		argv = []string{"dpkg", "--root=" + c.fs.Dir(), "--set-selections"}
	}
	if _, err := c.run.Run(ctx, runner.Cmd{Args: argv, Stdin: []byte(stdin.String())}); err != nil {
		return err
	}
	// dpkg only warns about packages it does not know: check.
	for _, n := range names {
		p, err := c.lookup(n)
		if err != nil {
			return err
		}
		if sel == "hold" && (p == nil || !p.Held()) || sel == "install" && p != nil && p.Held() {
			return fmt.Errorf("apt: dpkg did not record %q as %s (is the package known to dpkg?)", n, sel)
		}
	}
	return nil
}
