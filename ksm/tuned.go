package ksm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/textline"
)

// TunedConfigPath is ksmtuned's configuration file.
const TunedConfigPath = "/etc/ksmtuned.conf"

// TunedService is the systemd unit of the KSM tuning daemon.
const TunedService = "ksmtuned.service"

// tunedLock is taken around read-modify-write cycles of TunedConfigPath.
const tunedLock = "/run/lock/hostadm/ksmtuned.lock"

// ErrSyntax is matched by errors for lines of ksmtuned.conf that are not
// a comment, a blank line or a NAME=VALUE assignment.
var ErrSyntax = errors.New("syntax error")

// ErrNotHost is returned for service actions on a root other than the
// running system.
var ErrNotHost = errors.New("not the running system: services can only be managed on the host root")

// ErrUnknownSetting is returned when setting a name ksmtuned does not read.
var ErrUnknownSetting = errors.New("unknown ksmtuned setting")

// ParseError reports a bad line of ksmtuned.conf.
type ParseError struct {
	Path string
	Line int
	Col  int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// tunedKeys are the variables ksmtuned reads, with its built-in defaults.
var tunedKeys = map[string]string{
	"KSM_MONITOR_INTERVAL": "60",
	"KSM_SLEEP_MSEC":       "10",
	"KSM_NPAGES_BOOST":     "300",
	"KSM_NPAGES_DECAY":     "-50",
	"KSM_NPAGES_MIN":       "64",
	"KSM_NPAGES_MAX":       "1250",
	"KSM_THRES_COEF":       "20",
	"KSM_THRES_CONST":      "2048",
	"LOGFILE":              "",
	"DEBUG":                "",
}

// tunedLine is one line of the file; text is kept verbatim.
type tunedLine struct {
	text      string
	key       string // assignment or commented-out example
	value     string // unquoted
	commented bool   // "# KEY=VALUE"
}

// TunedConfig is ksmtuned.conf, kept line by line so that formatting an
// untouched file gives back the same bytes.
type TunedConfig struct {
	name  string
	lines []tunedLine
	// noEOL is true when the last line had no newline.
	noEOL bool
}

// ParseTunedConfig parses ksmtuned.conf (a shell fragment of NAME=VALUE
// lines). name is used in errors.
func ParseTunedConfig(name string, data []byte) (*TunedConfig, error) {
	t := &TunedConfig{name: name}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		t.noEOL = true
	}
	n := 0
	for raw := range strings.Lines(text) {
		n++
		line := strings.TrimSuffix(raw, "\n")
		l := tunedLine{text: line}
		s := strings.TrimSpace(line)
		switch {
		case s == "":
		case strings.HasPrefix(s, "#"):
			body := strings.TrimSpace(strings.TrimPrefix(s, "#"))
			if k, v, ok := parseAssign(body); ok && (!strings.ContainsAny(body, " \t") || isQuoted(v)) {
				l.key, l.value, l.commented = k, v, true
			}
		default:
			k, v, ok := parseAssign(strings.TrimPrefix(s, "export "))
			if !ok {
				col := len(line) - len(strings.TrimLeft(line, " \t")) + 1
				return nil, &ParseError{Path: name, Line: n, Col: col, Msg: fmt.Sprintf("want NAME=VALUE, found %q", s)}
			}
			uv, err := unquote(v)
			if err != nil {
				col := strings.Index(line, "=") + 2
				return nil, &ParseError{Path: name, Line: n, Col: col, Msg: fmt.Sprintf("%s: %v", k, err)}
			}
			l.key, l.value = k, uv
		}
		t.lines = append(t.lines, l)
	}
	return t, nil
}

func parseAssign(s string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return "", "", false
		}
	}
	return k, v, true
}

func isQuoted(v string) bool {
	return len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'')
}

// unquote removes one level of shell quoting from a simple value and
// drops a trailing comment.
func unquote(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '"', '\'':
		end := strings.IndexByte(v[1:], v[0])
		if end < 0 {
			return "", errors.New("unterminated quote")
		}
		rest := strings.TrimSpace(v[end+2:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", fmt.Errorf("text after the quoted value: %q", rest)
		}
		return v[1 : end+1], nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if strings.ContainsAny(v, " \t$`\\;|&") {
		return "", fmt.Errorf("value %q needs quoting or is not a plain word", v)
	}
	return v, nil
}

// Format returns the file's text.
func (t *TunedConfig) Format() []byte {
	return textline.Join(t.lines, func(l tunedLine) string { return l.text }, t.noEOL)
}

// Get returns the value assigned to key, if the file assigns it.
func (t *TunedConfig) Get(key string) (string, bool) {
	v, ok := "", false
	for _, l := range t.lines {
		if l.key == key && !l.commented {
			v, ok = l.value, true // the last assignment wins, as in the shell
		}
	}
	return v, ok
}

// Set assigns value to one of the variables ksmtuned reads. An existing
// assignment is rewritten in place; otherwise the line goes right after
// the commented-out example of the same name ("# KSM_NPAGES_MAX=1250"),
// or at the end of the file.
func (t *TunedConfig) Set(key, value string) error {
	if err := checkTuned(key, value); err != nil {
		return err
	}
	text := key + "=" + value
	if strings.ContainsAny(value, " \t#") {
		text = key + "=\"" + value + "\""
	}
	last := -1
	for i, l := range t.lines {
		if l.key == key && !l.commented {
			last = i
		}
	}
	nl := tunedLine{text: text, key: key, value: value}
	t.noEOL = false // an edited file ends in a newline
	if last >= 0 {
		t.lines[last] = nl
		return nil
	}
	for i, l := range t.lines {
		if l.key == key && l.commented {
			t.lines = append(t.lines[:i+1], append([]tunedLine{nl}, t.lines[i+1:]...)...)
			return nil
		}
	}
	t.lines = append(t.lines, nl)
	return nil
}

// Delete removes every assignment of key, so that ksmtuned's default
// applies; it reports whether there was one.
func (t *TunedConfig) Delete(key string) bool {
	n := len(t.lines)
	out := t.lines[:0]
	for _, l := range t.lines {
		if l.key == key && !l.commented {
			continue
		}
		out = append(out, l)
	}
	t.lines = out
	return len(out) != n
}

func checkTuned(key, value string) error {
	if _, ok := tunedKeys[key]; !ok {
		return fmt.Errorf("ksmtuned: %q: %w", key, ErrUnknownSetting)
	}
	switch key {
	case "LOGFILE":
		if strings.ContainsAny(value, "\"\n$`\\") {
			return fmt.Errorf("ksmtuned: LOGFILE %q: unsupported characters", value)
		}
	case "DEBUG":
		if value != "" && value != "1" {
			return fmt.Errorf("ksmtuned: DEBUG=%q: want 1 or empty", value)
		}
	default:
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("ksmtuned: %s=%q: want an integer", key, value)
		}
		if key != "KSM_NPAGES_DECAY" && n < 0 {
			return fmt.Errorf("ksmtuned: %s=%d: must not be negative", key, n)
		}
	}
	return nil
}

// TunedSettings are the values ksmtuned runs with: the file's
// assignments over its built-in defaults.
type TunedSettings struct {
	MonitorInterval time.Duration `json:"monitor_interval"`
	// SleepMsec is the scanner sleep for a 16 GiB host; ksmtuned scales
	// it by memory size (see ScanSleep).
	SleepMsec   int `json:"sleep_msec"`
	NpagesBoost int `json:"npages_boost"`
	NpagesDecay int `json:"npages_decay"`
	NpagesMin   int `json:"npages_min"`
	NpagesMax   int `json:"npages_max"`
	// ThresCoef is the percentage of memory below which free memory
	// starts merging; ThresConst (KiB) is the floor of that threshold.
	ThresCoef  int    `json:"thres_coef"`
	ThresConst int    `json:"thres_const_kib"`
	LogFile    string `json:"logfile,omitempty"`
	Debug      bool   `json:"debug"`
}

// Settings returns the effective settings.
func (t *TunedConfig) Settings() TunedSettings {
	get := func(k string) string {
		if v, ok := t.Get(k); ok && v != "" {
			return v
		}
		return tunedKeys[k]
	}
	num := func(k string) int {
		n, err := strconv.Atoi(get(k))
		if err != nil {
			n, _ = strconv.Atoi(tunedKeys[k])
		}
		return n
	}
	return TunedSettings{
		MonitorInterval: time.Duration(num("KSM_MONITOR_INTERVAL")) * time.Second,
		SleepMsec:       num("KSM_SLEEP_MSEC"),
		NpagesBoost:     num("KSM_NPAGES_BOOST"),
		NpagesDecay:     num("KSM_NPAGES_DECAY"),
		NpagesMin:       num("KSM_NPAGES_MIN"),
		NpagesMax:       num("KSM_NPAGES_MAX"),
		ThresCoef:       num("KSM_THRES_COEF"),
		ThresConst:      num("KSM_THRES_CONST"),
		LogFile:         get("LOGFILE"),
		Debug:           get("DEBUG") != "",
	}
}

// Threshold returns ksmtuned's free-memory threshold in bytes for a host
// with memTotal bytes: KSM runs while free memory is below it or
// committed guest memory plus it exceeds memTotal.
func (s TunedSettings) Threshold(memTotal uint64) uint64 {
	kib := memTotal / 1024
	thres := kib * uint64(max(s.ThresCoef, 0)) / 100
	thres = max(thres, uint64(max(s.ThresConst, 0)))
	return thres * 1024
}

// ScanSleep returns the sleep_millisecs ksmtuned writes on a host with
// memTotal bytes: SleepMsec scaled from 16 GiB, at least 10 ms.
func (s TunedSettings) ScanSleep(memTotal uint64) time.Duration {
	kib := memTotal / 1024
	if kib == 0 {
		return 10 * time.Millisecond
	}
	ms := uint64(max(s.SleepMsec, 0)) * 16 * 1024 * 1024 / kib
	return time.Duration(max(ms, 10)) * time.Millisecond
}

// TunedConfig reads ksmtuned.conf. A missing file gives an empty config
// (ksmtuned's defaults apply) and the zero digest.
func (c *Client) TunedConfig() (*TunedConfig, rootfs.Digest, error) {
	data, d, err := c.fs.ReadFileDigest(TunedConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return &TunedConfig{name: TunedConfigPath}, rootfs.Digest{}, nil
	}
	if err != nil {
		return nil, d, err
	}
	t, err := ParseTunedConfig(TunedConfigPath, data)
	return t, d, err
}

// EditTunedConfig reads ksmtuned.conf under a lock, lets fn change it and
// writes it back atomically when the text changed. A concurrent edit by a
// writer that does not take the lock fails with rootfs.ErrConflict. The
// daemon reads its file at start: restart it to apply (RestartTuned).
func (c *Client) EditTunedConfig(ctx context.Context, fn func(*TunedConfig) error) error {
	return rootfs.EditParsed(ctx, c.fs, TunedConfigPath, &rootfs.EditOptions{Lock: tunedLock}, ParseTunedConfig, fn)
}

// ServiceState is what systemd says about ksmtuned.
type ServiceState struct {
	// Active is systemctl is-active's answer: "active", "inactive",
	// "failed", "activating", ...; "unknown" when the root is not the
	// running system.
	Active string `json:"active"`
	// Enabled is systemctl is-enabled's answer: "enabled", "disabled",
	// "masked", "static", "not-found", ...
	Enabled string `json:"enabled"`
}

// Running reports whether the daemon runs.
func (s ServiceState) Running() bool { return s.Active == "active" || s.Active == "reloading" }

// TunedState asks systemd about ksmtuned (systemctl is-active and
// is-enabled). On a root other than the running system, Active is
// "unknown" and Enabled comes from the unit's wants links.
func (c *Client) TunedState(ctx context.Context) (ServiceState, error) {
	if !c.fs.IsHostRoot() {
		st := ServiceState{Active: "unknown", Enabled: "disabled"}
		switch {
		case c.fs.Exists("/etc/systemd/system/" + TunedService):
			if l, err := c.fs.Readlink("/etc/systemd/system/" + TunedService); err == nil && l == "/dev/null" {
				st.Enabled = "masked"
			}
		case !c.fs.Exists("/lib/systemd/system/"+TunedService) && !c.fs.Exists("/usr/lib/systemd/system/"+TunedService):
			st.Enabled = "not-found"
		}
		if st.Enabled == "disabled" && c.fs.Exists("/etc/systemd/system/multi-user.target.wants/"+TunedService) {
			st.Enabled = "enabled"
		}
		return st, nil
	}
	active, err := c.systemctlWord(ctx, "is-active", TunedService)
	if err != nil {
		return ServiceState{}, err
	}
	enabled, err := c.systemctlWord(ctx, "is-enabled", TunedService)
	if err != nil {
		return ServiceState{}, err
	}
	return ServiceState{Active: active, Enabled: enabled}, nil
}

// systemctlWord runs a systemctl query that answers with one word and
// exits non-zero for the negative answers.
func (c *Client) systemctlWord(ctx context.Context, verb, unit string) (string, error) {
	res, err := c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", verb, unit}, Timeout: 10 * time.Second})
	word := strings.TrimSpace(string(res.Stdout))
	if i := strings.IndexByte(word, '\n'); i >= 0 {
		word = word[:i]
	}
	var ee *runner.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode > 0 && word != "") {
		return "", err
	}
	if word == "" && verb == "is-enabled" {
		word = "not-found"
	}
	return word, nil
}

// DisableTuned stops ksmtuned and disables it at boot (systemctl disable
// --now), the admin guide's first step of disabling KSM.
func (c *Client) DisableTuned(ctx context.Context) error {
	if !c.fs.IsHostRoot() {
		return ErrNotHost
	}
	_, err := c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", "disable", "--now", TunedService}, Timeout: time.Minute})
	return err
}

// EnableTuned enables ksmtuned at boot and starts it.
func (c *Client) EnableTuned(ctx context.Context) error {
	if !c.fs.IsHostRoot() {
		return ErrNotHost
	}
	_, err := c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", "enable", "--now", TunedService}, Timeout: time.Minute})
	return err
}

// RestartTuned restarts ksmtuned so that it reads its configuration again.
func (c *Client) RestartTuned(ctx context.Context) error {
	if !c.fs.IsHostRoot() {
		return ErrNotHost
	}
	_, err := c.run.Run(ctx, runner.Cmd{Args: []string{"systemctl", "try-restart", TunedService}, Timeout: time.Minute})
	return err
}

// Disable follows the admin guide's "Disabling KSM": it stops and
// disables ksmtuned (when installed), then unmerges every merged page
// (run=2). Use it on hosts that offer hosting services, where KSM's
// side channel between guests matters.
func (c *Client) Disable(ctx context.Context) error {
	st, err := c.TunedState(ctx)
	if err != nil {
		return err
	}
	if st.Enabled != "not-found" {
		if err := c.DisableTuned(ctx); err != nil {
			return err
		}
	}
	return c.SetMode(Unmerge)
}
