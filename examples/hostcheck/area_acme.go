package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hostadm/hostadm/acme"
	"github.com/hostadm/hostadm/node"
)

func init() {
	register(area{name: "acme", title: "certificates for the API and web GUI", order: 95, check: checkACME})
}

func checkACME(ctx context.Context, e *env, s *Section) {
	if !e.fs.Exists("/etc/pve") {
		s.Info("no-pve", "", "no /etc/pve: not a Proxmox VE node (or pmxcfs is not mounted)")
		return
	}
	c, err := acme.New(&acme.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("node", "", "%v", err)
		return
	}
	defer c.Close()
	now := time.Now()

	custom := false
	active, err := c.ActiveCertificate()
	switch {
	case errors.Is(err, fs.ErrPermission):
		s.Info("certificate", "run hostcheck as root to inspect the certificates", "cannot read the certificate files: %v", err)
	case err != nil:
		s.Error("certificate", "regenerate the node certificate with pvecm updatecerts --force", "%v", err)
	default:
		custom = strings.HasSuffix(active.Filename, "/pveproxy-ssl.pem")
		kind := "the default node certificate signed by the cluster CA"
		if custom {
			kind = "a custom certificate"
		}
		left := active.NotAfter.Sub(now)
		summary := fmt.Sprintf("pveproxy uses %s for %s, issued by %s, expires %s", kind, strings.Join(active.SANs, ", "), active.Issuer, active.NotAfter.Format("2006-01-02"))
		var f *Finding
		switch {
		case left <= 0:
			f = s.Error("certificate", renewAdvice(custom), "%s: expired %s", summary, active.NotAfter.Format("2006-01-02"))
		case left < 30*24*time.Hour:
			f = s.Warn("certificate", renewAdvice(custom), "%s: %d days left", summary, int(left.Hours()/24))
		default:
			f = s.OK("certificate", "%s (%d days left)", summary, int(left.Hours()/24))
		}
		f.Where = active.Filename
	}

	cf, err := c.NodeConfig()
	if err == nil {
		_, err = cf.ACMEDomains()
	}
	if err != nil {
		s.Error("node-config", "fix the acme and acmedomainN lines: pvenode config set --acme domains=...", "%v", err).Where = whereOf(err)
		return
	}
	settings, err := c.Settings()
	if errors.Is(err, fs.ErrPermission) {
		s.Info("plugins", "run hostcheck as root to inspect the ACME plugins and accounts", "cannot read %s: %v", acme.PluginsFile, err)
		return
	}
	if err != nil {
		s.Error("domains", "add the plugin with pvenode acme plugin add, or change the domain's plugin", "%v", err).Where = whereOf(err)
		return
	}
	if len(settings.Domains) == 0 {
		if custom {
			s.OK("domains", "no ACME domains: the custom certificate is managed by hand")
		} else {
			s.Info("domains", "for a trusted certificate set the node's domains (pvenode config set --acme domains=NAME) and order one (pvenode acme cert order)",
				"no ACME domains configured for node %s", c.Node())
		}
		return
	}
	var names []string
	for _, d := range settings.Domains {
		n := d.Domain + " (" + d.Plugin
		if d.Alias != "" {
			n += ", alias " + d.Alias
		}
		names = append(names, n+")")
	}
	s.OK("domains", "ACME domains: %s", strings.Join(names, ", ")).Where = cf.Name()

	if _, err := c.Account(settings.Account); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			s.Info("account", "run hostcheck as root to inspect the ACME accounts", "cannot read account %s", settings.Account)
		} else {
			s.Error("account", "register it: pvenode acme account register "+settings.Account+" MAIL (or hostadm acme account register)",
				"ACME account %q: %v", settings.Account, err).Where = acme.AccountDir + "/" + settings.Account
		}
	} else {
		s.OK("account", "ACME account %q is registered", settings.Account).Where = acme.AccountDir + "/" + settings.Account
	}

	if !custom {
		s.Warn("not-ordered", "order the certificate: pvenode acme cert order (or hostadm acme order)",
			"ACME domains are configured, but no certificate was ordered; pveproxy still uses the self-signed node certificate")
		return
	}
	if active != nil {
		for _, d := range settings.Domains {
			covered := false
			for _, san := range active.SANs {
				if strings.EqualFold(san, d.Domain) || strings.HasPrefix(san, "*.") && strings.HasSuffix(d.Domain, san[1:]) {
					covered = true
				}
			}
			if !covered {
				s.Warn("coverage", "order a new certificate after changing the domains: pvenode acme cert order --force",
					"the certificate does not cover the configured domain %s", d.Domain).Where = active.Filename
			}
		}
		due, _, err := c.RenewalDue()
		if err == nil && due {
			s.Warn("renewal-due", "pve-daily-update renews it; run pvenode acme cert renew (hostadm acme renew) now if it keeps failing",
				"the certificate is due for renewal (expires within 30 days)")
		} else if err == nil {
			s.OK("renewal", "renewal due from %s", active.NotAfter.Add(-30*24*time.Hour).Format("2006-01-02"))
		}
	}
}

func renewAdvice(custom bool) string {
	if custom {
		return "renew it: pvenode acme cert renew for ACME certificates, or upload a new one"
	}
	return "regenerate it with pvecm updatecerts --force"
}

// whereOf returns "file:line[:col]" of a node config error, or extracts
// it from a message that starts with one after the package prefix.
func whereOf(err error) string {
	var pe *node.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		if pe.Col > 0 {
			return fmt.Sprintf("%s:%d:%d", pe.File, pe.Line, pe.Col)
		}
		return fmt.Sprintf("%s:%d", pe.File, pe.Line)
	}
	msg := strings.TrimPrefix(err.Error(), "acme: ")
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "/") {
		return msg[:i]
	}
	return ""
}
