package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hostadm/hostadm/apt"
)

func init() {
	register(area{name: "apt", title: "package repositories and updates", order: 10, check: checkApt})
}

func checkApt(ctx context.Context, e *env, s *Section) {
	c, err := apt.New(&apt.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Error("apt", "", "cannot open %s: %v", e.fs.Dir(), err)
		return
	}
	defer c.Close()
	now := time.Now()

	rep, err := c.Check(now)
	if err != nil {
		s.Warn("sources", "", "cannot check the repositories: %v", err)
		return
	}
	var enabled []string
	for _, st := range rep.Standard {
		if st.Status == "enabled" {
			enabled = append(enabled, st.Handle)
		}
	}
	var other int
	for _, r := range rep.Repositories {
		if r.Enabled {
			other++
		}
	}
	release := rep.Codename
	if release == "" {
		release = "an unknown release"
	}
	if other == 0 {
		s.Warn("repositories", "configure the Debian and Proxmox VE repositories in /etc/apt/sources.list (see Package Repositories)",
			"no repository is enabled on %s", release)
	} else {
		s.OK("repositories", "%d enabled repository entries on %s; standard: %s", other, release, orNone(enabled))
	}
	for _, f := range rep.Findings {
		var fd *Finding
		switch f.Severity {
		case apt.Error:
			fd = s.Error(f.Check, f.Advice, "%s", f.Message)
		case apt.Warning:
			fd = s.Warn(f.Check, f.Advice, "%s", f.Message)
		default:
			fd = s.Info(f.Check, f.Advice, "%s", f.Message)
		}
		fd.Where = f.Where()
	}

	// The signature checks and the upgradable computation read different
	// files: run them side by side.
	type upgradable struct {
		ups []apt.Upgrade
		err error
	}
	done := make(chan upgradable, 1)
	go func() {
		ups, err := c.Upgradable()
		done <- upgradable{ups, err}
	}()
	checkAptSignatures(c, now, s)
	checkDpkgState(e, s)

	held, err := c.HeldPackages()
	if err == nil && len(held) > 0 {
		s.Info("held", "apt-mark unhold NAME lets updates through again once the problem is solved",
			"packages on hold: %s", strings.Join(held, ", "))
	}
	var res upgradable
	select {
	case res = <-done:
	case <-ctx.Done():
		return
	}
	ups, err := res.ups, res.err
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.Info("upgradable", "", "no dpkg database to compare with the package lists: %v", err)
		return
	case err != nil:
		s.Warn("upgradable", "", "cannot compute upgradable packages: %v", err)
		return
	}
	var security, pve []string
	for _, u := range ups {
		for _, a := range u.Archives {
			if strings.HasSuffix(a, "-security") {
				security = append(security, u.Name)
				break
			}
		}
		if u.Name == "pve-manager" || u.Name == "proxmox-ve" {
			pve = append(pve, u.Name+" "+u.Candidate)
		}
	}
	switch {
	case len(ups) == 0:
		s.OK("upgradable", "all installed packages are at their candidate version")
	case len(security) > 0:
		s.Warn("security-updates", "run apt-get update and apt-get dist-upgrade: regular updates are essential to get the latest security fixes",
			"%d of %d upgradable packages come from the security repository: %s", len(security), len(ups), abbreviate(security, 8))
	default:
		s.Info("upgradable", "run apt-get update and apt-get dist-upgrade (or Node → Updates in the GUI)",
			"%d packages can be upgraded", len(ups))
	}
	if len(pve) > 0 {
		s.Info("pve-update", "Proxmox provides updates on a regular basis; install them with apt-get dist-upgrade",
			"Proxmox VE update available: %s", strings.Join(pve, ", "))
	}
}

// checkAptSignatures verifies every repository's InRelease file against
// the keys APT uses for it, and notes lists that were never downloaded
// or are old.
func checkAptSignatures(c *apt.Client, now time.Time, s *Section) {
	checks, err := c.VerifyRepositories(now)
	if err != nil {
		return
	}
	var good, missing []string
	for _, rc := range checks {
		name := rc.URI + " " + rc.Suite
		switch {
		case rc.Path == "" && rc.Err == nil:
			missing = append(missing, name)
		case rc.Err != nil:
			s.Error("signature", "APT refuses unsigned or badly signed repositories: install the repository's key (SecureApt) and run apt-get update",
				"%s: %v", name, rc.Err).Where = rc.Path
		default:
			good = append(good, name)
		}
	}
	if len(good) > 0 {
		s.OK("signatures", "%d repositories signed by trusted keys", len(good))
	}
	if len(missing) > 0 {
		s.Info("no-lists", "run apt-get update to download the package lists",
			"no package lists downloaded for %s", abbreviate(missing, 4))
	}
	lists, err := c.PackageLists()
	if err != nil {
		return
	}
	expired := map[string]bool{}
	for _, l := range lists {
		if l.Release == nil || l.Release.ValidUntil == "" || expired[l.URI+" "+l.Suite] {
			continue
		}
		t, err := time.Parse(time.RFC1123, strings.Replace(l.Release.ValidUntil, "UTC", "GMT", 1))
		if err == nil && now.After(t) {
			expired[l.URI+" "+l.Suite] = true
			s.Warn("lists-expired", "run apt-get update: the index is too old for APT to trust (Valid-Until)",
				"the index of %s %s expired on %s", l.URI, l.Suite, t.Format("2006-01-02"))
		}
	}
}

// checkDpkgState reports an interrupted dpkg run, which blocks every
// later apt-get run.
func checkDpkgState(e *env, s *Section) {
	ents, err := e.fs.ReadDir("/var/lib/dpkg/updates")
	if err != nil {
		return
	}
	for _, de := range ents {
		if !strings.HasPrefix(de.Name(), ".") {
			s.Error("dpkg-interrupted", "run dpkg --configure -a to finish the interrupted installation",
				"dpkg was interrupted: pending journal entries in /var/lib/dpkg/updates")
			return
		}
	}
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func abbreviate(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}
