package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/netcfg"
	"github.com/hostadm/hostadm/netcfg/live"
)

func init() {
	register(area{name: "netlive", title: "network state in the running kernel", order: 25, check: checkNetLive})
}

const (
	driftAdvice  = "review with \"hostadm net apply --dry-run\", then apply the file with \"ifreload -a\" (or hostadm net apply) or fix it"
	autoDown     = "check the cable and switch port, or run \"ifup %s\"; the file marks it auto"
	wolAdvice    = "to wake this node with \"pvenode wakeonlan\", enable it with \"ethtool -s %s wol g\" and set wakeonlan in the node configuration"
	maxDriftList = 5
)

func checkNetLive(ctx context.Context, e *env, s *Section) {
	h, err := netcfg.New(&netcfg.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("open", "", "cannot open the root: %v", err)
		return
	}
	defer h.Close()
	snap, err := h.Current()
	if err != nil {
		s.Warn("read", "", "cannot read %s: %v", h.Path(), err)
		return
	}
	if !snap.Exists {
		s.Info("file", "", "%s does not exist: nothing to compare with the kernel", h.Path())
		return
	}
	if !e.host {
		s.Info("kernel", "", "not the running system: the kernel's links are not compared with %s", h.Path())
		return
	}
	n := snap.Network()
	c, err := live.New(nil)
	if err != nil {
		s.Warn("netlink", "", "cannot open netlink: %v", err)
		return
	}
	defer c.Close()
	st, err := c.State(ctx)
	if err != nil {
		s.Warn("netlink", "", "cannot read the kernel's network state: %v", err)
		return
	}
	plan, perr := c.Plan(ctx, n, nil)
	netliveFindings(s, n, st, plan, perr)
	if !e.privileged {
		s.Info("wol", "run hostcheck as root to see Wake-on-LAN", "Wake-on-LAN settings need root to read")
		return
	}
	var nics []*live.NIC
	for _, l := range st.Links {
		if l.Kind != "" || l.Name == "lo" || !e.fs.Exists("/sys/class/net/"+l.Name+"/device") {
			continue
		}
		nic, err := c.NIC(ctx, l.Name)
		if err != nil {
			continue
		}
		nics = append(nics, nic)
	}
	wolFindings(s, nics)
}

// netliveFindings reports the drift between the file and the kernel, and
// auto interfaces that are down.
func netliveFindings(s *Section, n *netcfg.Network, st *live.State, plan *live.Plan, planErr error) {
	switch {
	case errors.Is(planErr, live.ErrPlan):
		f := s.Error("drift", "fix the file: ifreload -a would fail the same way", "%s cannot be applied: %v", n.File.Name, planErr)
		f.Where = n.File.Name
	case planErr != nil:
		s.Warn("drift", "", "cannot compare %s with the kernel: %v", n.File.Name, planErr)
	case plan.Empty():
		s.OK("drift", "the kernel matches %s (%d links)", n.File.Name, len(st.Links))
	default:
		var texts []string
		for i, step := range plan.Steps {
			if i == maxDriftList {
				texts = append(texts, fmt.Sprintf("and %d more", len(plan.Steps)-i))
				break
			}
			texts = append(texts, step.Text)
		}
		f := s.Warn("drift", driftAdvice, "the kernel differs from %s: applying it would take %d steps: %s", n.File.Name, len(plan.Steps), strings.Join(texts, "; "))
		if w := plan.Steps[0].Where; w != "" {
			f.Where = trimCol(w)
		}
	}
	down := 0
	for _, i := range n.Auto() {
		if i.Kind == netcfg.KindLoopback || i.OVS != nil {
			continue
		}
		l := st.Link(i.Name)
		switch {
		case l == nil:
			continue // drift reports it
		case !l.Up:
			f := s.Warn("auto-down", fmt.Sprintf(autoDown, i.Name), "%s is administratively down", i.Name)
			f.Where = trimCol(i.Pos.String())
			down++
		case l.OperState == "DOWN" || l.OperState == "LOWERLAYERDOWN":
			f := s.Warn("auto-down", fmt.Sprintf(autoDown, i.Name), "%s is up but has no link (%s)", i.Name, strings.ToLower(l.OperState))
			f.Where = trimCol(i.Pos.String())
			down++
		}
	}
	if down == 0 {
		s.OK("auto-down", "every auto interface has its link")
	}
}

// wolFindings reports the Wake-on-LAN state of physical NICs.
func wolFindings(s *Section, nics []*live.NIC) {
	for _, nic := range nics {
		switch {
		case !nic.WoLKnown || nic.WoLSupported == 0:
			s.Info("wol", "", "%s (%s): no Wake-on-LAN support", nic.Name, nic.Driver)
		case nic.WoL&live.WoLMagic != 0:
			s.OK("wol", "%s (%s): Wake-on-LAN by magic packet enabled", nic.Name, nic.Driver)
		case nic.WoLSupported&live.WoLMagic != 0:
			s.Info("wol", fmt.Sprintf(wolAdvice, nic.Name), "%s (%s): Wake-on-LAN %s, supports %s", nic.Name, nic.Driver, nic.WoL, nic.WoLSupported)
		default:
			s.Info("wol", "", "%s (%s): Wake-on-LAN %s, no magic packet support (supports %s)", nic.Name, nic.Driver, nic.WoL, nic.WoLSupported)
		}
	}
}

// trimCol drops the column of a "file:line:col" position.
func trimCol(pos string) string {
	if i := strings.LastIndexByte(pos, ':'); i > 0 && strings.Count(pos, ":") >= 2 {
		return pos[:i]
	}
	return pos
}
