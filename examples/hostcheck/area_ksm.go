package main

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/ksm"
)

func init() {
	register(area{name: "ksm", title: "Kernel Samepage Merging", order: 70, check: checkKSM})
}

const ksmSideChannelAdvice = "if this host provides hosting services, consider disabling KSM (systemctl disable --now ksmtuned; echo 2 > /sys/kernel/mm/ksm/run): it exposes guests to side-channel attacks"

func checkKSM(ctx context.Context, e *env, s *Section) {
	c, err := ksm.New(&ksm.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("ksm", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	st, err := c.Status()
	switch {
	case errors.Is(err, ksm.ErrNotSupported):
		s.Info("kernel", "", "the kernel has no KSM (no %s)", ksm.SysDir)
	case err != nil:
		s.Warn("status", "", "cannot read %s: %v", ksm.SysDir, err)
	}
	cfg, _, cerr := c.TunedConfig()
	if cerr != nil {
		f := s.Error("ksmtuned-conf", "fix the line; ksmtuned sources the file as shell", "%v", cerr)
		f.Where = ksm.TunedConfigPath
		var pe *ksm.ParseError
		if errors.As(cerr, &pe) {
			f.Where = pe.Path + ":" + strconv.Itoa(pe.Line)
		}
	}
	var tuned ksm.ServiceState
	if e.host {
		tuned, err = c.TunedState(ctx)
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			s.Info("ksmtuned", "", "cannot ask systemd about ksmtuned: %s", msg)
		}
	} else {
		tuned, _ = c.TunedState(ctx) // unit links only: no commands off the host
	}
	running := st != nil && st.Mode == ksm.Running
	if st != nil {
		switch st.Mode {
		case ksm.Running:
			msg := "KSM running: " + bytesIEC(uint64(max(st.Saved(), 0))) + " shared"
			if p, ok := st.Profit(); ok {
				msg += ", net profit " + signedIEC(p)
			}
			s.OK("running", "%s", msg)
		case ksm.Stopped:
			s.Info("running", "", "KSM stopped (merged pages stay merged: %s)", bytesIEC(uint64(max(st.Saved(), 0))))
		case ksm.Unmerge:
			s.Info("running", "", "KSM stopped and pages unmerged (run=2)")
		}
	}
	switch {
	case tuned.Enabled == "not-found":
		s.Info("ksmtuned", "", "ksmtuned is not installed; KSM runs only if something else starts it")
	case tuned.Active != "" && tuned.Active != "unknown":
		s.OK("ksmtuned", "ksmtuned is %s and %s", tuned.Active, tuned.Enabled)
	case tuned.Enabled != "":
		s.OK("ksmtuned", "ksmtuned is %s", tuned.Enabled)
	}
	if cfg != nil && cerr == nil && e.fs.Exists(ksm.TunedConfigPath) {
		ts := cfg.Settings()
		if total := memTotal(e); total > 0 {
			s.OK("ksmtuned-threshold", "ksmtuned starts merging below %s free (of %s), scanning %d-%d pages every %v",
				bytesIEC(ts.Threshold(total)), bytesIEC(total), ts.NpagesMin, ts.NpagesMax, ts.ScanSleep(total))
		}
	}
	active := running || tuned.Running() || (tuned.Active == "unknown" && tuned.Enabled == "enabled")
	if !active {
		return
	}
	if why := multiTenant(e); why != "" {
		s.Warn("side-channel", ksmSideChannelAdvice, "KSM is active on a host that looks multi-tenant (%s)", why)
	} else {
		s.Info("side-channel", ksmSideChannelAdvice, "KSM shares memory between guests")
	}
}

// multiTenant returns why the host looks like it serves several tenants:
// several Proxmox VE users besides root@pam, or resource pools.
func multiTenant(e *env) string {
	b, err := e.fs.ReadFile("/etc/pve/user.cfg")
	if err != nil {
		return ""
	}
	users, pools := 0, 0
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.HasPrefix(line, "user:") && !strings.HasPrefix(line, "user:root@pam:"):
			users++
		case strings.HasPrefix(line, "pool:"):
			pools++
		}
	}
	switch {
	case pools > 0:
		return strconv.Itoa(pools) + " resource pools in /etc/pve/user.cfg"
	case users >= 2:
		return strconv.Itoa(users) + " users besides root@pam in /etc/pve/user.cfg"
	}
	return ""
}

func memTotal(e *env) uint64 {
	b, err := e.fs.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMeminfo(b)["MemTotal"]
}

func signedIEC(n int64) string {
	if n < 0 {
		return "-" + bytesIEC(uint64(-n))
	}
	return bytesIEC(uint64(n))
}
