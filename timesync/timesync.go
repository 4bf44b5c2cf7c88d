package timesync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Paths of the configuration files this package edits.
const (
	ChronyConfPath    = "/etc/chrony/chrony.conf"
	TimesyncdConfPath = "/etc/systemd/timesyncd.conf"
)

// The daemons a Proxmox VE host may use.
const (
	Chrony    = "chrony"
	Timesyncd = "systemd-timesyncd"
	NTPsec    = "ntpsec"
	NTP       = "ntp"
	OpenNTPD  = "openntpd"
)

var (
	// ErrNoDaemon is returned when no time daemon is installed.
	ErrNoDaemon = errors.New("no NTP daemon installed (chrony, systemd-timesyncd, ntpsec, ntp or openntpd)")
	// ErrNotHost is returned for actions on services (restart, status
	// queries) on a root other than the running system.
	ErrNotHost = errors.New("not the running system: services can only be managed on the host root")
	// ErrNotEditable is returned for server edits on a daemon whose
	// configuration this package only reads (ntpsec, ntp, openntpd).
	ErrNotEditable = errors.New("configuration of this daemon is read-only here")
)

// daemonDef describes one NTP daemon.
type daemonDef struct {
	name    string
	unit    string
	target  string // wants directory it is enabled in
	config  string
	process string // /proc/PID/comm of the running daemon
}

var daemonDefs = []daemonDef{
	{Chrony, "chrony.service", "multi-user.target.wants", ChronyConfPath, "chronyd"},
	{Timesyncd, "systemd-timesyncd.service", "sysinit.target.wants", TimesyncdConfPath, "systemd-timesyn"},
	{NTPsec, "ntpsec.service", "multi-user.target.wants", "/etc/ntpsec/ntp.conf", "ntpd"},
	{NTP, "ntp.service", "multi-user.target.wants", "/etc/ntp.conf", "ntpd"},
	{OpenNTPD, "openntpd.service", "multi-user.target.wants", "/etc/openntpd/ntpd.conf", "ntpd"},
}

// Daemon is one installed NTP daemon and its state.
type Daemon struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	// Config is the daemon's main configuration file.
	Config string `json:"config"`
	// Enabled is "enabled", "disabled", "masked" or another answer of
	// systemctl is-enabled.
	Enabled string `json:"enabled"`
	// Active is "active", "inactive", "failed", ...; "unknown" when the
	// root is not the running system.
	Active string `json:"active"`
}

// Running reports whether the daemon runs.
func (d Daemon) Running() bool { return d.Active == "active" || d.Active == "reloading" }

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to work on; "" means "/".
	Root string
	// Daemon forces the daemon whose configuration is read and edited
	// (Chrony or Timesyncd, ...); "" means the one Detect finds.
	Daemon string
	// ChronyAddress is chronyd's command address for chronyc: a Unix
	// socket path or host[:port]; "" means chronyc's default (the
	// /run/chrony socket, then 127.0.0.1:323).
	ChronyAddress string
	// Chronyc, when set, is the chronyc program Tracking and SourceStates
	// run instead of speaking chronyd's command protocol themselves
	// (DialChrony). ReloadSources always runs chronyc: this one, or
	// "chronyc" in PATH.
	Chronyc string
}

// Client reads and edits a host's time synchronisation.
type Client struct {
	fs         *rootfs.FS
	cfg        Config
	useChronyc bool
	run        runner.Runner
	procFn     func() []string // comm of running processes, for tests
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	c := &Client{fs: f, cfg: *cfg, run: runner.Default, useChronyc: cfg.Chronyc != ""}
	if c.cfg.Chronyc == "" {
		c.cfg.Chronyc = "chronyc"
	}
	return c, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Daemons returns the NTP daemons installed on the system with their
// state. On the running system the state comes from systemctl, or from
// the process list when systemd does not run; on another root, Enabled
// comes from the unit's wants links and Active is "unknown".
func (c *Client) Daemons(ctx context.Context) ([]Daemon, error) {
	var out []Daemon
	var procs []string
	for _, def := range daemonDefs {
		if !c.unitInstalled(def.unit) {
			continue
		}
		d := Daemon{Name: def.name, Unit: def.unit, Config: def.config, Enabled: c.enabledFromLinks(def), Active: "unknown"}
		if c.fs.IsHostRoot() {
			if active, err := c.systemctlWord(ctx, "is-active", def.unit); err == nil {
				d.Active = active
				if en, err := c.systemctlWord(ctx, "is-enabled", def.unit); err == nil {
					d.Enabled = en
				}
			} else {
				if procs == nil {
					procs = c.processes()
				}
				d.Active = "inactive"
				if slices.Contains(procs, def.process) && (def.process != "ntpd" || c.ntpdIs(def.name)) {
					d.Active = "active"
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// ntpdIs guesses which package's ntpd runs when several are installed:
// the first installed one of ntpsec, ntp, openntpd.
func (c *Client) ntpdIs(name string) bool {
	for _, def := range daemonDefs[2:] {
		if c.unitInstalled(def.unit) {
			return def.name == name
		}
	}
	return false
}

func (c *Client) unitInstalled(unit string) bool {
	for _, dir := range []string{"/lib/systemd/system/", "/usr/lib/systemd/system/", "/etc/systemd/system/"} {
		if _, err := c.fs.Lstat(dir + unit); err == nil {
			return true
		}
	}
	return false
}

func (c *Client) enabledFromLinks(def daemonDef) string {
	if l, err := c.fs.Readlink("/etc/systemd/system/" + def.unit); err == nil && l == "/dev/null" {
		return "masked"
	}
	if _, err := c.fs.Lstat("/etc/systemd/system/" + def.target + "/" + def.unit); err == nil {
		return "enabled"
	}
	return "disabled"
}

// processes lists the comm names of the running processes.
func (c *Client) processes() []string {
	if c.procFn != nil {
		return c.procFn()
	}
	ents, err := c.fs.ReadDir("/proc")
	if err != nil {
		return []string{}
	}
	out := []string{}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if comm, err := c.fs.ReadSmall("/proc/" + e.Name() + "/comm"); err == nil {
			out = append(out, comm)
		}
	}
	return out
}

// systemctlWord runs a systemctl query that answers with one word and
// exits non-zero for the negative answers.
func (c *Client) systemctlWord(ctx context.Context, verb, unit string) (string, error) {
	res, err := c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", verb, unit}, Timeout: 10 * time.Second})
	word, _, _ := strings.Cut(strings.TrimSpace(string(res.Stdout)), "\n")
	var ee *runner.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode > 0 && word != "") {
		return "", err
	}
	return word, nil
}

// Detect returns the daemon in use: the running one, else the enabled
// one, else the installed one, in the order chrony, systemd-timesyncd,
// ntpsec, ntp, openntpd. It fails with ErrNoDaemon when none is
// installed.
func (c *Client) Detect(ctx context.Context) (Daemon, error) {
	ds, err := c.Daemons(ctx)
	if err != nil {
		return Daemon{}, err
	}
	if len(ds) == 0 {
		return Daemon{}, ErrNoDaemon
	}
	for _, d := range ds {
		if d.Running() {
			return d, nil
		}
	}
	for _, d := range ds {
		if d.Enabled == "enabled" {
			return d, nil
		}
	}
	for _, d := range ds {
		if d.Enabled != "masked" {
			return d, nil
		}
	}
	return ds[0], nil
}

func (c *Client) daemon(ctx context.Context) (string, error) {
	if c.cfg.Daemon != "" {
		return c.cfg.Daemon, nil
	}
	d, err := c.Detect(ctx)
	return d.Name, err
}

// Sources returns the configured time sources of the daemon in use, in
// the order the daemon reads them. For chrony that is chrony.conf with
// the files it includes (include, confdir *.conf, sourcedir *.sources);
// for systemd-timesyncd the effective NTP= list of timesyncd.conf and its
// drop-ins (FallbackNTP= when NTP= is empty, marked by a "fallback"
// option); for ntpsec, ntp and openntpd the server and pool lines of
// their main file.
func (c *Client) Sources(ctx context.Context) ([]Source, error) {
	d, err := c.daemon(ctx)
	if err != nil {
		return nil, err
	}
	switch d {
	case Chrony:
		files, err := c.chronyFiles()
		if err != nil {
			return nil, err
		}
		var out []Source
		for _, f := range files {
			s, err := f.conf.Sources()
			if err != nil {
				return out, err
			}
			out = append(out, s...)
		}
		return out, nil
	case Timesyncd:
		return c.timesyncdSources()
	}
	for _, def := range daemonDefs {
		if def.name == d {
			return c.ntpdSources(def.config)
		}
	}
	return nil, fmt.Errorf("unknown daemon %q", d)
}

type chronyFile struct {
	path   string
	conf   *ChronyConf
	digest rootfs.Digest
	// editable is false for runtime files (/run/chrony-dhcp) that
	// another program owns.
	editable bool
}

// chronyFiles reads chrony.conf and every file it includes, in the
// order chronyd reads them; sourcedir files come last as chronyd adds
// them after the configuration.
func (c *Client) chronyFiles() ([]chronyFile, error) {
	var out, sources []chronyFile
	seen := map[string]bool{}
	var read func(name string, depth int) error
	read = func(name string, depth int) error {
		if seen[name] || depth > 10 {
			return nil
		}
		seen[name] = true
		data, d, err := c.fs.ReadFileDigest(name)
		if err != nil {
			if depth > 0 && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		conf, err := ParseChronyConf(name, data)
		if err != nil {
			return err
		}
		out = append(out, chronyFile{path: name, conf: conf, digest: d, editable: !strings.HasPrefix(name, "/run/")})
		for _, dir := range conf.Directives() {
			switch dir.Name {
			case "include":
				for _, pat := range dir.Args {
					names, _ := c.fs.Glob(pat)
					for _, n := range names {
						if err := read(n, depth+1); err != nil {
							return err
						}
					}
				}
			case "confdir":
				for _, n := range c.dirFiles(dir.Args, ".conf") {
					if err := read(n, depth+1); err != nil {
						return err
					}
				}
			case "sourcedir":
				for _, n := range c.dirFiles(dir.Args, ".sources") {
					if seen[n] {
						continue
					}
					seen[n] = true
					data, d, err := c.fs.ReadFileDigest(n)
					if err != nil {
						continue
					}
					sc, err := ParseChronyConf(n, data)
					if err != nil {
						return err
					}
					sources = append(sources, chronyFile{path: n, conf: sc, digest: d, editable: !strings.HasPrefix(n, "/run/")})
				}
			}
		}
		return nil
	}
	if err := read(ChronyConfPath, 0); err != nil {
		return nil, err
	}
	return append(out, sources...), nil
}

// dirFiles lists the files with suffix in dirs sorted by name; a name
// found in an earlier directory hides the same name in later ones, as
// chronyd's confdir does.
func (c *Client) dirFiles(dirs []string, suffix string) []string {
	byName := map[string]string{}
	for _, dir := range dirs {
		ents, err := c.fs.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), suffix) {
				continue
			}
			if _, ok := byName[e.Name()]; !ok {
				byName[e.Name()] = path.Join(dir, e.Name())
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}

// timesyncdFiles returns timesyncd.conf and its drop-ins in the order
// systemd applies them: the main file, then *.conf of the drop-in
// directories sorted by file name (/etc hides /run hides /usr/lib).
func (c *Client) timesyncdFiles() []string {
	out := []string{TimesyncdConfPath}
	dirs := []string{"/etc/systemd/timesyncd.conf.d", "/run/systemd/timesyncd.conf.d", "/usr/local/lib/systemd/timesyncd.conf.d", "/usr/lib/systemd/timesyncd.conf.d", "/lib/systemd/timesyncd.conf.d"}
	return append(out, c.dirFiles(dirs, ".conf")...)
}

func (c *Client) timesyncdSources() ([]Source, error) {
	var ntp, fallback []string
	var ntpFile, fbFile string
	var ntpLine, fbLine int
	fallbackSet := false
	for _, name := range c.timesyncdFiles() {
		data, err := c.fs.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		conf, err := ParseTimesyncdConf(name, data)
		if err != nil {
			return nil, err
		}
		var set bool
		if ntp, set = conf.Servers(ntp); set {
			ntpFile, ntpLine = name, conf.Line("NTP")
		}
		if fallback, set = conf.FallbackServers(fallback); set {
			fbFile, fbLine, fallbackSet = name, conf.Line("FallbackNTP"), true
		}
	}
	var out []Source
	for _, s := range ntp {
		out = append(out, Source{Type: Server, Address: s, File: ntpFile, Line: ntpLine})
	}
	if len(out) > 0 {
		return out, nil
	}
	if !fallbackSet {
		// systemd-timesyncd's compiled-in default on Debian.
		fallback = []string{"0.debian.pool.ntp.org", "1.debian.pool.ntp.org", "2.debian.pool.ntp.org", "3.debian.pool.ntp.org"}
	}
	for _, s := range fallback {
		out = append(out, Source{Type: Server, Address: s, Options: []Option{{Name: "fallback"}}, File: fbFile, Line: fbLine})
	}
	return out, nil
}

// ntpdSources reads the server and pool lines of an ntp.conf
// (ntpsec, ntp) or ntpd.conf (openntpd: "server", "servers").
func (c *Client) ntpdSources(name string) ([]Source, error) {
	data, err := c.fs.ReadFile(name)
	if err != nil {
		return nil, err
	}
	conf, err := ParseChronyConf(name, data)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, d := range conf.Directives() {
		t := SourceType(d.Name)
		switch d.Name {
		case "servers":
			t = Pool
		case "server", "pool", "peer":
		default:
			continue
		}
		if len(d.Args) == 0 {
			continue
		}
		s := Source{Type: t, Address: d.Args[0], File: name, Line: d.Line}
		for i := 1; i < len(d.Args); i++ {
			o := Option{Name: d.Args[i]}
			// ntpd's value options share chrony's names (minpoll 4, key 1).
			if chronyValues[o.Name] != 0 && i+1 < len(d.Args) {
				o.Value = d.Args[i+1]
				i++
			}
			s.Options = append(s.Options, o)
		}
		out = append(out, s)
	}
	return out, nil
}

// editChrony reads every editable chrony file under the lock, runs fn on
// each and writes back the ones whose text changed, refusing to clobber
// concurrent edits.
func (c *Client) editChrony(ctx context.Context, fn func(files []chronyFile) error) error {
	lk, err := c.fs.Lock(ctx, "/run/lock/hostadm-chrony.lock")
	if err != nil {
		return err
	}
	defer lk.Unlock()
	files, err := c.chronyFiles()
	if err != nil {
		return err
	}
	before := make([][]byte, len(files))
	for i, f := range files {
		before[i] = f.conf.Format()
	}
	if err := fn(files); err != nil {
		return err
	}
	for i, f := range files {
		after := f.conf.Format()
		if bytes.Equal(after, before[i]) {
			continue
		}
		if !f.editable {
			return fmt.Errorf("%s: runtime file cannot be edited", f.path)
		}
		if err := c.fs.WriteFile(f.path, after, &rootfs.WriteOptions{Expect: &f.digest}); err != nil {
			return err
		}
	}
	return nil
}

// editTimesyncd edits the file that decides NTP=: the last drop-in under
// /etc that assigns it, else timesyncd.conf.
func (c *Client) editTimesyncd(ctx context.Context, fn func(conf *TimesyncdConf) error) error {
	lk, err := c.fs.Lock(ctx, "/run/lock/hostadm-timesyncd.lock")
	if err != nil {
		return err
	}
	defer lk.Unlock()
	target := TimesyncdConfPath
	for _, name := range c.timesyncdFiles()[1:] {
		if !strings.HasPrefix(name, "/etc/") {
			continue
		}
		if data, err := c.fs.ReadFile(name); err == nil {
			if conf, err := ParseTimesyncdConf(name, data); err == nil && len(conf.Values("NTP")) > 0 {
				target = name
			}
		}
	}
	data, d, err := c.fs.ReadFileDigest(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	conf, err := ParseTimesyncdConf(target, data)
	if err != nil {
		return err
	}
	before := string(conf.Format())
	if err := fn(conf); err != nil {
		return err
	}
	after := conf.Format()
	if string(after) == before {
		return nil
	}
	return c.fs.WriteFile(target, after, &rootfs.WriteOptions{Expect: &d})
}

// AddSource configures a source for the daemon in use. For chrony, a
// source with the same address in any editable file is rewritten in
// place; otherwise it is added to chrony.conf after its last source, as
// the admin guide's "Using Custom NTP Servers" does. For
// systemd-timesyncd the server is appended to NTP= (options are not
// supported there). Restart the daemon to apply (Restart).
func (c *Client) AddSource(ctx context.Context, s Source) error {
	d, err := c.daemon(ctx)
	if err != nil {
		return err
	}
	switch d {
	case Chrony:
		if err := CheckSource(s); err != nil {
			return err
		}
		return c.editChrony(ctx, func(files []chronyFile) error {
			for _, f := range files {
				srcs, _ := f.conf.Sources()
				if f.editable && slices.ContainsFunc(srcs, func(x Source) bool { return x.Address == s.Address }) {
					return f.conf.SetSource(s)
				}
			}
			return files[0].conf.SetSource(s)
		})
	case Timesyncd:
		if s.Type != Server || len(s.Options) > 0 {
			return fmt.Errorf("%w: systemd-timesyncd takes plain servers, without options", ErrInvalid)
		}
		cur, err := c.timesyncdNTP()
		if err != nil {
			return err
		}
		if slices.Contains(cur, s.Address) {
			return nil
		}
		return c.editTimesyncd(ctx, func(conf *TimesyncdConf) error {
			return conf.SetServers(append(cur, s.Address))
		})
	}
	return fmt.Errorf("%s: %w", d, ErrNotEditable)
}

// timesyncdNTP returns the effective NTP= list.
func (c *Client) timesyncdNTP() ([]string, error) {
	srcs, err := c.timesyncdSources()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range srcs {
		if _, fb := s.Option("fallback"); !fb {
			out = append(out, s.Address)
		}
	}
	return out, nil
}

// RemoveSource removes every source with the given address from the
// daemon's editable files and reports whether there was one.
func (c *Client) RemoveSource(ctx context.Context, address string) (bool, error) {
	d, err := c.daemon(ctx)
	if err != nil {
		return false, err
	}
	removed := false
	switch d {
	case Chrony:
		err = c.editChrony(ctx, func(files []chronyFile) error {
			for _, f := range files {
				if f.editable && f.conf.RemoveSource(address) {
					removed = true
				}
			}
			return nil
		})
		return removed, err
	case Timesyncd:
		cur, err := c.timesyncdNTP()
		if err != nil || !slices.Contains(cur, address) {
			return false, err
		}
		err = c.editTimesyncd(ctx, func(conf *TimesyncdConf) error {
			return conf.SetServers(slices.DeleteFunc(cur, func(s string) bool { return s == address }))
		})
		return err == nil, err
	}
	return false, fmt.Errorf("%s: %w", d, ErrNotEditable)
}

// ReplaceSources makes srcs the daemon's only sources. For chrony they
// replace the source directives of chrony.conf in place, and sources in
// the editable files it includes are removed (runtime files such as
// /run/chrony-dhcp are left to their owner); for systemd-timesyncd NTP=
// is set to the servers.
func (c *Client) ReplaceSources(ctx context.Context, srcs []Source) error {
	d, err := c.daemon(ctx)
	if err != nil {
		return err
	}
	switch d {
	case Chrony:
		for _, s := range srcs {
			if err := CheckSource(s); err != nil {
				return err
			}
		}
		return c.editChrony(ctx, func(files []chronyFile) error {
			for _, f := range files[1:] {
				if !f.editable {
					continue
				}
				ss, _ := f.conf.Sources()
				for _, s := range ss {
					f.conf.RemoveSource(s.Address)
				}
			}
			return files[0].conf.ReplaceSources(srcs)
		})
	case Timesyncd:
		var names []string
		for _, s := range srcs {
			if s.Type != Server || len(s.Options) > 0 {
				return fmt.Errorf("%w: systemd-timesyncd takes plain servers, without options", ErrInvalid)
			}
			names = append(names, s.Address)
		}
		return c.editTimesyncd(ctx, func(conf *TimesyncdConf) error { return conf.SetServers(names) })
	}
	return fmt.Errorf("%s: %w", d, ErrNotEditable)
}

// Restart restarts the daemon in use so that it reads its configuration
// (systemctl restart), as the admin guide says after changing servers.
func (c *Client) Restart(ctx context.Context) error {
	if !c.fs.IsHostRoot() {
		return ErrNotHost
	}
	unit, err := c.unit(ctx)
	if err != nil {
		return err
	}
	_, err = c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", "restart", unit}, Timeout: time.Minute})
	return err
}

// unit returns the systemd unit of the daemon in use.
func (c *Client) unit(ctx context.Context) (string, error) {
	if c.cfg.Daemon != "" {
		return unitOf(c.cfg.Daemon), nil
	}
	d, err := c.Detect(ctx)
	return d.Unit, err
}

func unitOf(name string) string {
	for _, def := range daemonDefs {
		if def.name == name {
			return def.unit
		}
	}
	return name + ".service"
}

func (c *Client) chronyc(ctx context.Context, args ...string) ([]byte, error) {
	argv := []string{c.cfg.Chronyc}
	if a := c.cfg.ChronyAddress; a != "" {
		host, port := a, ""
		if !strings.HasPrefix(a, "/") {
			if i := strings.LastIndexByte(a, ':'); i >= 0 && !strings.HasSuffix(a, "]") && strings.Count(a, ":") == 1 {
				host, port = a[:i], a[i+1:]
			}
		}
		argv = append(argv, "-h", host)
		if port != "" {
			argv = append(argv, "-p", port)
		}
	}
	argv = append(argv, "-c", "-n")
	argv = append(argv, args...)
	res, err := c.run.Run(ctx, runner.Cmd{Args: argv, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	return res.Stdout, nil
}

// Tracking asks chronyd for its tracking state, over its command
// protocol (DialChrony with Config.ChronyAddress), or with chronyc -c
// tracking when Config.Chronyc is set.
func (c *Client) Tracking(ctx context.Context) (*Tracking, error) {
	if !c.useChronyc {
		conn, err := DialChrony(ctx, c.cfg.ChronyAddress)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.Tracking(ctx)
	}
	out, err := c.chronyc(ctx, "tracking")
	if err != nil {
		return nil, err
	}
	return ParseTracking(out)
}

// SourceStates asks chronyd for its sources' state, over its command
// protocol or with chronyc -c sources when Config.Chronyc is set.
func (c *Client) SourceStates(ctx context.Context) ([]SourceState, error) {
	if !c.useChronyc {
		conn, err := DialChrony(ctx, c.cfg.ChronyAddress)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.Sources(ctx)
	}
	out, err := c.chronyc(ctx, "sources")
	if err != nil {
		return nil, err
	}
	return ParseSources(out)
}

// ReloadSources makes chronyd reread its sourcedir files without a
// restart (chronyc reload sources). chronyd accepts it on its Unix
// socket only, so ChronyAddress must be empty or a socket path, and the
// caller root.
func (c *Client) ReloadSources(ctx context.Context) error {
	_, err := c.chronyc(ctx, "reload", "sources")
	return err
}

// TimesyncStatus asks systemd-timesyncd for its server and last sample
// (timedatectl timesync-status).
func (c *Client) TimesyncStatus(ctx context.Context) (*TimesyncStatus, error) {
	if !c.fs.IsHostRoot() {
		return nil, ErrNotHost
	}
	res, err := c.run.Run(ctx, runner.Cmd{Args: []string{"timedatectl", "timesync-status", "--no-pager"}, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	return ParseTimesyncStatus(res.Stdout)
}

// Journal returns the daemon's log messages since the given time, from
// journalctl -u UNIT -o json, classified so that a caller can confirm
// which server was selected (the admin guide's "Check the journal").
func (c *Client) Journal(ctx context.Context, since time.Time) ([]Event, error) {
	if !c.fs.IsHostRoot() {
		return nil, ErrNotHost
	}
	unit, err := c.unit(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.run.Run(ctx, runner.Cmd{Args: []string{"journalctl", "-u", unit, "--since", "@" + strconv.FormatInt(since.Unix(), 10), "-o", "json", "--no-pager"}, Timeout: 20 * time.Second})
	if err != nil {
		return nil, err
	}
	return ParseJournal(bytes.NewReader(res.Stdout))
}
