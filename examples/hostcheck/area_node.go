package main

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/node"
)

func init() {
	register(area{name: "node", title: "node tasks and settings", order: 90, check: checkNode})
}

func checkNode(ctx context.Context, e *env, s *Section) {
	c, err := node.New(&node.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("node", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	checkTasks(c, s)

	name, err := c.LocalNode()
	if err != nil {
		s.Info("config", "", "cannot tell the node name: %v", err)
		return
	}
	if !e.fs.Exists(node.ConfigPath(name)) {
		s.Info("wakeonlan", "set it on the node (pvenode config set -wakeonlan XX:XX:XX:XX:XX:XX) so that other cluster nodes can wake it", "node %s has no configuration file, so no wakeonlan property", name)
		return
	}
	cf, _, err := c.NodeConfig(name)
	if err != nil {
		f := s.Error("config", "fix the line with pvenode config set or in the web interface", "%v", err)
		f.Where = configWhere(err, node.ConfigPath(name))
		return
	}
	w, ok, err := cf.WakeOnLAN()
	switch {
	case err != nil:
		f := s.Error("wakeonlan", "set a valid MAC address: pvenode config set -wakeonlan XX:XX:XX:XX:XX:XX", "%v", err)
		f.Where = configWhere(err, node.ConfigPath(name))
	case !ok:
		s.Info("wakeonlan", "set it (pvenode config set -wakeonlan XX:XX:XX:XX:XX:XX) so that other cluster nodes can wake this one; check the NIC with ethtool <interface> | grep Wake-on", "node %s has no wakeonlan property", name)
	default:
		f := s.OK("wakeonlan", "other nodes can wake %s (pvenode wakeonlan %s): magic packet for %s", name, name, w.String())
		f.Where = node.ConfigPath(name) + ":" + strconv.Itoa(cf.Line("wakeonlan"))
	}
	if d, err := cf.OnbootDelay(); err != nil {
		f := s.Error("onboot-delay", "startall-onboot-delay takes 0 to 300 seconds", "%v", err)
		f.Where = configWhere(err, node.ConfigPath(name))
	} else if d > 0 {
		s.OK("onboot-delay", "guests that start on boot wait %v after boot (startall-onboot-delay)", d)
	}
}

// configWhere is whereOf (area_acme.go), or file when the error has no
// line.
func configWhere(err error, file string) string {
	if w := whereOf(err); w != "" {
		return w
	}
	return file
}

// checkTasks reports the tasks that failed in the last day.
func checkTasks(c *node.Client, s *Section) {
	since := time.Now().Add(-24 * time.Hour)
	failed, err := c.Tasks(node.TaskFilter{Errors: true, Since: since})
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(failed) == 0 && !hasTasks(c)) {
		s.Info("tasks", "", "no task history (%s)", node.TaskDir)
		return
	}
	if err != nil {
		f := s.Warn("tasks", "", "cannot read the task history: %v", err)
		var pe *node.TaskParseError
		if errors.As(err, &pe) {
			f.Where = pe.File + ":" + strconv.Itoa(pe.Line)
		}
		return
	}
	var errs, warns []node.Task
	for _, t := range failed {
		if t.Kind == node.StatusError {
			errs = append(errs, t)
		} else {
			warns = append(warns, t)
		}
	}
	describe := func(ts []node.Task) string {
		var parts []string
		for i, t := range ts {
			if i == 3 {
				parts = append(parts, "...")
				break
			}
			what := t.UPID.Type
			if t.UPID.ID != "" {
				what += " " + t.UPID.ID
			}
			parts = append(parts, what+" ("+t.Status+")")
		}
		return strings.Join(parts, ", ")
	}
	if len(errs) > 0 {
		f := s.Warn("failed-tasks", "read the log: pvenode task log "+errs[0].UPID.String(), "%d task(s) failed in the last day: %s", len(errs), describe(errs))
		f.Where = errs[0].UPID.LogPath()
	} else {
		s.OK("failed-tasks", "no task failed in the last day")
	}
	if len(warns) > 0 {
		f := s.Info("task-warnings", "read the log: pvenode task log "+warns[0].UPID.String(), "%d task(s) ended with warnings in the last day: %s", len(warns), describe(warns))
		f.Where = warns[0].UPID.LogPath()
	}
	if running, err := c.Tasks(node.TaskFilter{Source: "active"}); err == nil {
		n := 0
		for _, t := range running {
			if t.Kind == node.StatusRunning {
				n++
			}
		}
		if n > 0 {
			s.Info("running-tasks", "", "%d task(s) running", n)
		}
	}
}

func hasTasks(c *node.Client) bool {
	all, err := c.Tasks(node.TaskFilter{Source: "all", Limit: 1})
	return err == nil && len(all) > 0
}
