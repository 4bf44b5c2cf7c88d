package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/smart"
)

func init() {
	register(area{name: "smart", title: "disk health (SMART)", order: 60, check: checkSMART})
}

func checkSMART(ctx context.Context, e *env, s *Section) {
	c, err := smart.New(&smart.Config{Root: e.fs.Dir(), NoSmartctl: true})
	if err != nil {
		s.Warn("smart", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	if !e.fs.Exists("/usr/sbin/smartctl") {
		if isPVE(e) {
			s.Error("smartmontools", "apt install smartmontools: Proxmox VE requires it for disk health monitoring", "smartmontools is not installed")
		} else {
			s.Info("smartmontools", "apt install smartmontools to monitor disk health", "smartmontools is not installed")
		}
	}
	checkSmartd(c, e, s)
	disks, err := c.Discover()
	if err != nil {
		s.Info("disks", "", "cannot list disks in /sys/block: %v", err)
		return
	}
	if len(disks) == 0 {
		s.Info("disks", "", "no disks in /sys/block")
		return
	}
	var names []string
	for _, d := range disks {
		names = append(names, fmt.Sprintf("%s (%s, %s)", d.Path, strings.TrimSpace(d.Vendor+" "+d.Model), bytesIEC(d.Size)))
	}
	noun := "disks"
	if len(disks) == 1 {
		noun = "disk"
	}
	s.OK("disks", "%d %s: %s", len(disks), noun, strings.Join(names, ", "))
	for _, d := range disks {
		switch {
		case d.RAID:
			f := s.Info("raid", "monitor the disks and the array with the RAID controller vendor's tools (or smartctl -d megaraid,N and friends)",
				"%s (%s %s) is a logical drive of a hardware RAID controller (%s)", d.Path, d.Vendor, d.Model, d.HostDriver)
			f.Where = d.Path
			continue
		case !d.HasSMART():
			continue
		case !e.host:
			continue
		case !e.privileged:
			s.Info("health", "run as root to read SMART data", "SMART data of %s needs root", d.Path)
			continue
		}
		r, err := c.ReadNative(ctx, d.Path)
		if err != nil {
			if errors.Is(err, smart.ErrNotATA) || errors.Is(err, errors.ErrUnsupported) {
				s.Info("health", "read it with smartctl -a "+d.Path+" (add -d TYPE for bridges and controllers)", "%s: no native SMART access: %v", d.Path, err)
			} else {
				s.Warn("health", "", "%s: %v", d.Path, err)
			}
			continue
		}
		reportDisk(s, r)
	}
}

func reportDisk(s *Section, r *smart.Report) {
	desc := fmt.Sprintf("%s (%s, %s)", r.Device, r.Model, bytesIEC(r.Capacity))
	var extra []string
	if r.Wearout != nil {
		extra = append(extra, strconv.Itoa(*r.Wearout)+"% life left")
	}
	if r.Temperature != nil {
		extra = append(extra, strconv.Itoa(*r.Temperature)+"°C")
	}
	if r.PowerOnHours != nil {
		extra = append(extra, strconv.FormatUint(*r.PowerOnHours, 10)+" h powered on")
	}
	detail := ""
	if len(extra) > 0 {
		detail = ", " + strings.Join(extra, ", ")
	}
	var f *Finding
	switch {
	case !r.SMARTAvailable:
		f = s.Info("health", "", "%s has no SMART support", desc)
	case !r.SMARTEnabled:
		f = s.Warn("health", "enable it with smartctl -s on "+r.Device, "%s: SMART support is disabled", desc)
	case r.Health == smart.Failed:
		f = s.Error("health", "back up the data and replace the disk", "%s: SMART health FAILED%s", desc, detail)
	case r.Wearout != nil && *r.Wearout <= 10:
		f = s.Warn("wearout", "plan the replacement of this SSD: it is close to its rated endurance", "%s: only %d%% life left%s", desc, *r.Wearout, detail)
	default:
		f = s.OK("health", "%s: %s%s", desc, r.Health, detail)
	}
	f.Where = r.Device
}

func checkSmartd(c *smart.Client, e *env, s *Section) {
	conf, _, err := c.SmartdConf()
	if err != nil {
		f := s.Error("smartd-conf", "fix the line; smartd refuses to start with a bad configuration", "%v", err)
		var pe *smart.SmartdParseError
		if errors.As(err, &pe) {
			f.Where = pe.Path + ":" + strconv.Itoa(pe.Line)
		}
		return
	}
	if !e.fs.Exists(smart.SmartdConfPath) {
		return
	}
	entries := conf.Entries()
	scan, scanning := conf.Scan()
	var monitored []*smart.SmartdEntry
	for _, en := range entries {
		if en.Device == "DEFAULT" {
			continue
		}
		monitored = append(monitored, en)
		if scanning && en.Line > scan.Line {
			f := s.Warn("smartd-conf", "move the line above DEVICESCAN: smartd ignores everything after it",
				"smartd ignores the entry for %s after DEVICESCAN", en.Device)
			f.Where = fmt.Sprintf("%s:%d", smart.SmartdConfPath, en.Line)
		}
	}
	switch {
	case len(monitored) == 0:
		s.Warn("smartd-conf", "add a DEVICESCAN line (Debian's default: DEVICESCAN -d removable -n standby -m root -M exec /usr/share/smartmontools/smartd-runner)",
			"%s monitors no disk", smart.SmartdConfPath)
	case scanning:
		f := s.OK("smartd-conf", "smartd scans all disks (DEVICESCAN)%s", mailNote(scan))
		f.Where = fmt.Sprintf("%s:%d", smart.SmartdConfPath, scan.Line)
	default:
		s.OK("smartd-conf", "smartd monitors %d configured devices", len(monitored))
	}
	for _, en := range monitored {
		if en.Mail() == "" {
			f := s.Warn("smartd-mail", "add -m root so that smartd mails problems to root, as Proxmox VE's default does",
				"smartd sends no mail for %s", en.Device)
			f.Where = fmt.Sprintf("%s:%d", smart.SmartdConfPath, en.Line)
		}
	}
	if c.SmartdEnabled() {
		s.OK("smartd", "smartd is enabled at boot")
	} else if e.fs.Exists("/usr/sbin/smartd") || e.fs.Exists("/usr/sbin/smartctl") {
		s.Warn("smartd", "systemctl enable --now smartmontools: smartd checks the disks every 30 minutes and mails root", "smartd is not enabled")
	}
}

func mailNote(e *smart.SmartdEntry) string {
	if m := e.Mail(); m != "" {
		return ", mails " + m
	}
	return ""
}
