package apt

import (
	"net/url"
	"strings"
)

// Kind is what a repository is, by the Proxmox VE admin guide's list.
type Kind string

const (
	PVEEnterprise      Kind = "pve-enterprise"
	PVENoSubscription  Kind = "pve-no-subscription"
	PVETest            Kind = "pvetest"
	CephEnterprise     Kind = "ceph-enterprise"
	CephNoSubscription Kind = "ceph-no-subscription"
	CephTest           Kind = "ceph-test"
	DebianMain         Kind = "debian"
	DebianUpdates      Kind = "debian-updates"
	DebianSecurity     Kind = "debian-security"
	DebianBackports    Kind = "debian-backports"
	// ProxmoxOther is another Proxmox repository (Backup Server, Mail
	// Gateway, an unknown component).
	ProxmoxOther Kind = "proxmox-other"
	Other        Kind = "other"
)

// Class is the classification of one URI and suite of an entry.
type Class struct {
	Kind Kind   `json:"kind"`
	URI  string `json:"uri"`
	// Suite as configured, and its base codename ("bookworm" for
	// "bookworm-security"; "" when the suite is not a codename).
	Suite    string `json:"suite"`
	Codename string `json:"codename,omitempty"`
	// Ceph is the Ceph release of a Ceph repository ("reef").
	Ceph string `json:"ceph,omitempty"`
	// Handle is the standard repository's handle ("no-subscription",
	// "ceph-reef-enterprise"), "" for others.
	Handle string `json:"handle,omitempty"`
	// Origin is the Origin of the repository's downloaded Release file
	// ("Debian", "Proxmox"), the badge the repository panel shows.
	Origin string `json:"origin,omitempty"`
}

// IsDebian reports whether the class is one of Debian's own archives.
func (c Class) IsDebian() bool {
	switch c.Kind {
	case DebianMain, DebianUpdates, DebianSecurity, DebianBackports:
		return true
	}
	return false
}

// IsProxmox reports whether the class is a Proxmox VE or Ceph repository.
func (c Class) IsProxmox() bool {
	switch c.Kind {
	case PVEEnterprise, PVENoSubscription, PVETest, CephEnterprise, CephNoSubscription, CephTest, ProxmoxOther:
		return true
	}
	return false
}

// debianCodenames in release order.
var debianCodenames = []string{"jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke"}

func codenameIndex(s string) int {
	for i, c := range debianCodenames {
		if c == s {
			return i
		}
	}
	return -1
}

// splitSuite splits "bookworm-security" into "bookworm" and "-security"
// (and "buster/updates" into "buster", "/updates").
func splitSuite(suite string) (base, variant string) {
	if i := strings.IndexAny(suite, "-/"); i >= 0 {
		return suite[:i], suite[i:]
	}
	return suite, ""
}

// isDebianHost reports whether a URI points at Debian's own servers.
func isDebianHost(host string) bool {
	return host == "debian.org" || strings.HasSuffix(host, ".debian.org")
}

// Classify classifies one URI and suite of an entry with its components.
// origin is the Origin field of the repository's downloaded Release file
// ("" if unknown); it recognizes mirrors of Debian under other names.
func Classify(uri, suite string, components []string, origin string) Class {
	c := Class{Kind: Other, URI: uri, Suite: suite, Origin: origin}
	base, variant := splitSuite(suite)
	if codenameIndex(base) >= 0 {
		c.Codename = base
	}
	u, err := url.Parse(uri)
	if err != nil {
		return c
	}
	host := strings.ToLower(u.Hostname())
	p := strings.TrimSuffix(u.Path, "/")
	has := func(comp string) bool { return containsString(components, comp) }
	switch {
	case host == "enterprise.proxmox.com" || host == "download.proxmox.com" || origin == "Proxmox":
		c.Kind = ProxmoxOther
		last := p[strings.LastIndexByte(p, '/')+1:]
		switch {
		case strings.HasPrefix(last, "ceph-"):
			c.Ceph = strings.TrimPrefix(last, "ceph-")
			switch {
			case has("enterprise"):
				c.Kind = CephEnterprise
				c.Handle = "ceph-" + c.Ceph + "-enterprise"
			case has("no-subscription") || (has("main") && host == "download.proxmox.com"):
				c.Kind = CephNoSubscription
				c.Handle = "ceph-" + c.Ceph + "-no-subscription"
			case has("test"):
				c.Kind = CephTest
				c.Handle = "ceph-" + c.Ceph + "-test"
			}
		case last == "pve" || last == "debian":
			switch {
			case has("pve-enterprise"):
				c.Kind, c.Handle = PVEEnterprise, "enterprise"
			case has("pve-no-subscription"):
				c.Kind, c.Handle = PVENoSubscription, "no-subscription"
			case has("pvetest") || has("pve-test"):
				c.Kind, c.Handle = PVETest, "test"
			}
		}
	case isDebianHost(host) || origin == "Debian" || origin == "Debian Backports":
		switch {
		case strings.Contains(p, "debian-security") || variant == "-security" || variant == "/updates":
			c.Kind = DebianSecurity
		case variant == "-updates" || variant == "-proposed-updates":
			c.Kind = DebianUpdates
		case variant == "-backports" || variant == "-backports-sloppy":
			c.Kind = DebianBackports
		case strings.HasSuffix(p, "/debian") || p == "/debian" || origin == "Debian":
			c.Kind = DebianMain
		}
	}
	return c
}

// Classes classifies every URI and suite of an entry.
func (e *Entry) Classes(origin func(uri, suite string) string) []Class {
	var out []Class
	for _, uri := range e.URIs {
		for _, suite := range e.Suites {
			o := ""
			if origin != nil {
				o = origin(uri, suite)
			}
			out = append(out, Classify(uri, suite, e.Components, o))
		}
	}
	return out
}
