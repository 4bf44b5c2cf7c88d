package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// TaskDir is where Proxmox VE keeps the task history.
const TaskDir = "/var/log/pve/tasks"

// StatusKind classifies a task's final status.
type StatusKind string

// Task status kinds, as the web interface shows them.
const (
	StatusRunning StatusKind = "running"
	StatusOK      StatusKind = "ok"
	StatusWarning StatusKind = "warning"
	StatusError   StatusKind = "error"
)

// ClassifyStatus returns the kind of a task's status text: "OK",
// "WARNINGS: N", anything else is an error message; empty means the task
// still runs.
func ClassifyStatus(status string) StatusKind {
	switch {
	case status == "":
		return StatusRunning
	case status == "OK":
		return StatusOK
	case strings.HasPrefix(status, "WARNINGS:"):
		return StatusWarning
	}
	return StatusError
}

// Task is one entry of the task history.
type Task struct {
	UPID UPID `json:"upid"`
	// EndTime is zero for a running task.
	EndTime time.Time `json:"endtime,omitzero"`
	// Status is the final status text ("OK", "WARNINGS: 2", an error
	// message); empty for a running task.
	Status string     `json:"status,omitempty"`
	Kind   StatusKind `json:"kind"`
	// Active is true for tasks listed in the active file (running, or
	// finished but not yet archived to the index).
	Active bool `json:"active,omitempty"`
}

// Duration returns how long the task ran; zero while it runs.
func (t *Task) Duration() time.Duration {
	if t.EndTime.IsZero() {
		return 0
	}
	return t.EndTime.Sub(t.UPID.StartTime)
}

// IndexLine formats the task as a line of the task archive ("UPID
// ENDTIME STATUS", without a newline); a running task formats as its
// active-list line ("UPID 0").
func (t *Task) IndexLine() string {
	if t.EndTime.IsZero() {
		return t.UPID.String() + " 0"
	}
	return fmt.Sprintf("%s %08X %s", t.UPID, t.EndTime.Unix(), t.Status)
}

// TaskParseError reports a malformed line of a task list file.
type TaskParseError struct {
	File string
	Line int
	Msg  string
}

func (e *TaskParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *TaskParseError) Unwrap() error { return ErrSyntax }

// ParseTaskIndex parses the task archive (/var/log/pve/tasks/index):
// "UPID ENDTIME STATUS" lines, ENDTIME in hexadecimal. name is used in
// errors.
func ParseTaskIndex(name string, r io.Reader) ([]Task, error) {
	return parseTaskList(name, r, false)
}

// ParseActiveTasks parses the active task list
// (/var/log/pve/tasks/active): "UPID SAVED [ENDTIME [STATUS]]" lines,
// where SAVED is 0 or 1.
func ParseActiveTasks(name string, r io.Reader) ([]Task, error) {
	return parseTaskList(name, r, true)
}

func parseTaskList(name string, r io.Reader, active bool) ([]Task, error) {
	var out []Task
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.SplitN(line, " ", 3)
		fail := func(msg string) error { return &TaskParseError{File: name, Line: n, Msg: msg} }
		u, err := ParseUPID(fields[0])
		if err != nil {
			return out, fail(err.Error())
		}
		t := Task{UPID: u, Active: active}
		rest := fields[1:]
		if active {
			if len(rest) == 0 || (rest[0] != "0" && rest[0] != "1") {
				return out, fail("want UPID SAVED [ENDTIME [STATUS]]")
			}
			if len(rest) == 2 {
				rest = strings.SplitN(rest[1], " ", 2)
			} else {
				rest = nil
			}
		} else if len(rest) < 2 {
			return out, fail("want UPID ENDTIME STATUS")
		}
		if len(rest) > 0 {
			end, err := strconv.ParseUint(rest[0], 16, 32)
			if err != nil || len(rest[0]) != 8 {
				return out, fail(fmt.Sprintf("bad end time %q", rest[0]))
			}
			t.EndTime = time.Unix(int64(end), 0).UTC()
			if len(rest) > 1 {
				t.Status = strings.TrimSpace(rest[1])
			}
			if t.Status == "" {
				t.Status = "unknown"
			}
		}
		t.Kind = ClassifyStatus(t.Status)
		out = append(out, t)
	}
	return out, sc.Err()
}

// TaskFilter selects tasks, as pvenode task list's options do. Zero
// fields select everything.
type TaskFilter struct {
	// Type is the task type (vzdump, qmstart, ...).
	Type string
	// VMID is the guest the task worked on (the UPID's ID).
	VMID string
	// User matches users containing it, case-insensitively.
	User string
	// Since and Until bound the task's start time.
	Since, Until time.Time
	// Errors keeps only finished tasks whose status is not OK
	// (pvenode task list --errors).
	Errors bool
	// Source is "archive" (finished tasks, the default, as pvenode),
	// "active" or "all".
	Source string
	// Limit caps the number of tasks returned, newest first; 0 means
	// all.
	Limit int
}

func (f *TaskFilter) match(t *Task) bool {
	switch {
	case f.Type != "" && t.UPID.Type != f.Type,
		f.VMID != "" && t.UPID.ID != f.VMID,
		f.User != "" && !strings.Contains(strings.ToLower(t.UPID.User), strings.ToLower(f.User)),
		!f.Since.IsZero() && t.UPID.StartTime.Before(f.Since),
		!f.Until.IsZero() && t.UPID.StartTime.After(f.Until),
		f.Errors && (t.Kind == StatusOK || t.Kind == StatusRunning):
		return false
	}
	return true
}

// Tasks lists the node's task history matching f, newest first. It
// reads the archive (index and the rotated index.1) and the active list
// as f.Source says; a task in both appears once, from the archive.
func (c *Client) Tasks(f TaskFilter) ([]Task, error) {
	var files []string
	switch f.Source {
	case "", "archive":
		files = []string{TaskDir + "/index", TaskDir + "/index.1"}
	case "active":
		files = []string{TaskDir + "/active"}
	case "all":
		files = []string{TaskDir + "/index", TaskDir + "/index.1", TaskDir + "/active"}
	default:
		return nil, fmt.Errorf("%w: task source %q (want archive, active or all)", ErrInvalid, f.Source)
	}
	seen := map[string]bool{}
	var out []Task
	for _, name := range files {
		fh, err := c.fs.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var list []Task
		if strings.HasSuffix(name, "/active") {
			list, err = ParseActiveTasks(name, fh)
		} else {
			list, err = ParseTaskIndex(name, fh)
		}
		fh.Close()
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			key := t.UPID.String()
			if seen[key] || !f.match(&t) {
				continue
			}
			seen[key] = true
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b Task) int { return b.UPID.StartTime.Compare(a.UPID.StartTime) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// ErrNoTask is returned for a UPID the node has no log for.
var ErrNoTask = errors.New("no such task")

// TaskLog returns the lines of a task's log file, without the final
// newlines.
func (c *Client) TaskLog(upid UPID) ([]string, error) {
	b, err := c.fs.ReadFile(upid.LogPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoTask, upid)
	}
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// TaskStatus returns a task's entry with its final status: from the
// task lists, or else from the last line of its log ("TASK OK", "TASK
// WARNINGS: N", "TASK ERROR: message").
func (c *Client) TaskStatus(upid UPID) (Task, error) {
	all, err := c.Tasks(TaskFilter{Source: "all"})
	if err != nil {
		return Task{}, err
	}
	for _, t := range all {
		if t.UPID.String() == upid.String() && t.Status != "" {
			return t, nil
		}
	}
	lines, err := c.TaskLog(upid)
	if err != nil {
		return Task{}, err
	}
	t := Task{UPID: upid, Kind: StatusRunning}
	if len(lines) > 0 {
		if st, ok := StatusFromLog(lines[len(lines)-1]); ok {
			t.Status, t.Kind = st, ClassifyStatus(st)
			if fi, err := c.fs.Stat(upid.LogPath()); err == nil {
				t.EndTime = fi.ModTime().UTC().Truncate(time.Second)
			}
		}
	}
	return t, nil
}

// StatusFromLog reads a task log's final line: "TASK OK" gives "OK",
// "TASK ERROR: msg" gives "msg", "TASK WARNINGS: 2" gives "WARNINGS: 2".
func StatusFromLog(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "TASK ")
	if !ok {
		return "", false
	}
	switch {
	case rest == "OK":
		return "OK", true
	case strings.HasPrefix(rest, "WARNINGS:"):
		return rest, true
	case strings.HasPrefix(rest, "ERROR: "):
		return strings.TrimPrefix(rest, "ERROR: "), true
	}
	return "", false
}

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system to work on; "" means "/".
	Root string
	// WakeOnLANPort is the UDP port Wake sends magic packets to; 0 means
	// 9, as pvenode wakeonlan.
	WakeOnLANPort int
}

// Client reads a node's task history and configuration, and wakes
// other nodes.
type Client struct {
	fs      *rootfs.FS
	wolPort int
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
	return &Client{fs: f, wolPort: cfg.WakeOnLANPort}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// LocalNode returns the running node's name: the folder /etc/pve/local
// points to, or else the short host name.
func (c *Client) LocalNode() (string, error) {
	if l, err := c.fs.Readlink("/etc/pve/local"); err == nil {
		l = strings.TrimSuffix(l, "/")
		return l[strings.LastIndexByte(l, '/')+1:], nil
	}
	h, err := c.fs.ReadSmall("/etc/hostname")
	if err != nil {
		return "", err
	}
	h, _, _ = strings.Cut(strings.TrimSpace(h), ".")
	return h, nil
}

// NodeConfig reads a node's configuration file; a missing file is an
// empty one. The digest is for EditNodeConfig's conflict check.
func (c *Client) NodeConfig(node string) (*ConfigFile, rootfs.Digest, error) {
	if err := checkNodeName(node); err != nil {
		return nil, rootfs.Digest{}, err
	}
	name := ConfigPath(node)
	data, d, err := c.fs.ReadFileDigest(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, d, err
	}
	cf, err := ParseConfigFile(name, data)
	return cf, d, err
}

// Nodes lists the cluster's nodes (the folders of /etc/pve/nodes).
func (c *Client) Nodes() ([]string, error) {
	ents, err := c.fs.ReadDir("/etc/pve/nodes")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// EditNodeConfig reads a node's configuration under Proxmox VE's lock,
// lets fn change it and writes it back atomically when it changed,
// refusing to overwrite a concurrent edit.
func (c *Client) EditNodeConfig(ctx context.Context, node string, fn func(*ConfigFile) error) error {
	if err := checkNodeName(node); err != nil {
		return err
	}
	return rootfs.EditParsed(ctx, c.fs, ConfigPath(node), &rootfs.EditOptions{Lock: ConfigLock, Perm: 0o640}, ParseConfigFile, fn)
}

func checkNodeName(node string) error {
	if !nodeNameRE.MatchString(node) {
		return fmt.Errorf("%w: bad node name %q", ErrInvalid, node)
	}
	return nil
}
