package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/timesync"
)

func init() {
	register(area{name: "time", title: "time synchronization", order: 80, check: checkTime})
}

const timeAdvice = "the cluster stack relies on precisely synchronized time: use chrony (apt install chrony) with reachable servers in /etc/chrony/chrony.conf"

func checkTime(ctx context.Context, e *env, s *Section) {
	c, err := timesync.New(&timesync.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("time", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	ds, err := c.Daemons(ctx)
	if err != nil {
		s.Warn("daemon", "", "cannot tell the NTP daemon: %s", firstLineOf(err))
		return
	}
	d, err := c.Detect(ctx)
	if errors.Is(err, timesync.ErrNoDaemon) {
		s.Error("daemon", timeAdvice, "no NTP daemon installed (chrony, systemd-timesyncd, ntpsec, ntp or openntpd)")
		return
	}
	var active []string
	for _, x := range ds {
		if x.Running() || x.Enabled == "enabled" {
			active = append(active, x.Name)
		}
	}
	switch {
	case len(active) > 1:
		s.Warn("daemon", "run one NTP daemon only: disable the others (systemctl disable --now UNIT)", "several NTP daemons enabled or running: %s", strings.Join(active, ", "))
	case d.Running():
		s.OK("daemon", "%s is running (%s)", d.Name, d.Enabled)
	case d.Enabled == "enabled":
		if e.host {
			s.Warn("daemon", "start it: systemctl start "+d.Unit, "%s is enabled but %s", d.Name, d.Active)
		} else {
			s.OK("daemon", "%s is enabled", d.Name)
		}
	default:
		s.Warn("daemon", "enable it: systemctl enable --now "+d.Unit, "%s is installed but %s", d.Name, d.Enabled)
	}
	if d.Name == timesync.Timesyncd {
		s.Info("chrony", "Proxmox VE 7 and later use chrony; consider apt install chrony", "this host uses systemd-timesyncd (the Proxmox VE 6 default)")
	}

	srcs, err := c.Sources(ctx)
	if err != nil {
		f := s.Error("sources", "fix the line; the daemon refuses it", "%v", err)
		var pe *timesync.ParseError
		if errors.As(err, &pe) {
			f.Where = pe.File + ":" + strconv.Itoa(pe.Line)
		}
		return
	}
	if len(srcs) == 0 {
		s.Warn("sources", timeAdvice, "%s has no time sources configured", d.Name)
	} else {
		names := make([]string, 0, len(srcs))
		for _, src := range srcs {
			names = append(names, src.Address)
		}
		if _, fallback := srcs[0].Option("fallback"); fallback {
			s.Info("sources", "set NTP= in /etc/systemd/timesyncd.conf to servers of your choice", "no NTP= servers set: systemd-timesyncd uses its fallback servers %s", strings.Join(names, ", "))
		} else {
			f := s.OK("sources", "%d time source(s): %s", len(srcs), strings.Join(names, ", "))
			f.Where = srcs[0].File
		}
	}
	if !e.host {
		return
	}

	if clk, err := timesync.ReadClock(); err == nil {
		if clk.Synchronised {
			s.OK("clock", "the kernel clock is synchronised (estimated error %v)", clk.EstError)
		} else {
			s.Warn("clock", "check the daemon's sources and the journal (journalctl -u "+d.Unit+")", "the system clock is not synchronised (adjtimex reports TIME_ERROR/STA_UNSYNC)")
		}
	}
	if d.Name != timesync.Chrony || !d.Running() {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	states, err := c.SourceStates(qctx)
	if err != nil {
		s.Info("chronyc", "", "cannot ask chronyd for its sources: %s", firstLineOf(err))
		return
	}
	reach, sel := 0, ""
	for _, st := range states {
		if st.Reachable() {
			reach++
		}
		if st.Selected() {
			sel = st.Address
		}
	}
	switch {
	case len(states) > 0 && reach == 0:
		s.Error("reachable", "the servers do not answer: check the firewall (UDP 123) or use local NTP servers", "none of chronyd's %d sources is reachable", len(states))
	case sel == "":
		s.Warn("reachable", "see chronyc sources; chronyd may still be starting", "chronyd reaches %d of %d sources but selected none", reach, len(states))
	default:
		s.OK("reachable", "chronyd synchronises to %s (%d of %d sources reachable)", sel, reach, len(states))
	}
}

func firstLineOf(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
