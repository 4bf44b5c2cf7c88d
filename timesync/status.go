package timesync

import (
	"context"
	"errors"
)

// Status is a host's time synchronisation at a glance: the daemon, its
// configured sources and, on the running system, what it is doing.
type Status struct {
	Daemon  Daemon   `json:"daemon"`
	Sources []Source `json:"sources"`
	// Clock is the kernel's synchronisation state (running system
	// only).
	Clock *Clock `json:"clock,omitempty"`
	// Tracking and States are chronyd's answers (chrony only).
	Tracking *Tracking     `json:"tracking,omitempty"`
	States   []SourceState `json:"states,omitempty"`
	// Timesync is systemd-timesyncd's answer (systemd-timesyncd only).
	Timesync *TimesyncStatus `json:"timesync,omitempty"`
	// Selected is the address of the server the daemon synchronises
	// to; empty when it has none or cannot be asked.
	Selected string `json:"selected,omitempty"`
	// Problems lists what could not be asked, one line each.
	Problems []string `json:"problems,omitempty"`
}

// Reachable returns the number of chrony sources that answered at
// least one of their last eight polls, and the number of sources
// chronyd knows.
func (s *Status) Reachable() (reachable, total int) {
	for _, st := range s.States {
		if st.Reachable() {
			reachable++
		}
	}
	return reachable, len(s.States)
}

// Status gathers the daemon in use, its configured sources and, on the
// running system, the kernel clock state and the daemon's own report.
// Failures to ask the daemon are listed in Problems rather than
// returned, since a stopped daemon is a state worth showing.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	d, err := c.Detect(ctx)
	if err != nil {
		return nil, err
	}
	if c.cfg.Daemon != "" {
		d.Name = c.cfg.Daemon
	}
	st := &Status{Daemon: d}
	st.Sources, err = c.Sources(ctx)
	if err != nil {
		return st, err
	}
	if !c.fs.IsHostRoot() {
		return st, nil
	}
	if clk, err := ReadClock(); err == nil {
		st.Clock = &clk
	} else {
		st.Problems = append(st.Problems, err.Error())
	}
	if !d.Running() && d.Active != "unknown" && c.cfg.Daemon == "" {
		st.Problems = append(st.Problems, d.Name+" is "+d.Active)
		return st, nil
	}
	switch d.Name {
	case Chrony:
		if t, err := c.Tracking(ctx); err == nil {
			st.Tracking = t
			if t.Synchronised() {
				st.Selected = t.RefName
			}
		} else {
			st.Problems = append(st.Problems, firstLine(err))
		}
		if s, err := c.SourceStates(ctx); err == nil {
			st.States = s
		} else {
			st.Problems = append(st.Problems, firstLine(err))
		}
	case Timesyncd:
		if t, err := c.TimesyncStatus(ctx); err == nil {
			st.Timesync = t
			st.Selected = t.Server
		} else if !errors.Is(err, ErrNotHost) {
			st.Problems = append(st.Problems, firstLine(err))
		}
	}
	return st, nil
}

func firstLine(err error) string {
	s := err.Error()
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
