package apt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownHandle is returned for a standard repository handle the
// release does not have.
var ErrUnknownHandle = errors.New("unknown repository handle")

// standardRepo describes a standard Proxmox VE repository.
type standardRepo struct {
	handle, name string
	uri          string
	component    string
	path         string // file it goes into
	comment      string
}

// proxmoxKeyring is the keyring deb822 entries of Proxmox repositories
// name (Debian 13 and later).
const proxmoxKeyring = "/usr/share/keyrings/proxmox-archive-keyring.gpg"

// standardRepos returns the standard repositories of a Debian release
// with the lines and files the admin guide uses: one-line files up to
// Debian 12, deb822 files from Debian 13 on.
func standardRepos(codename string) []standardRepo {
	deb822 := codenameIndex(codename) >= codenameIndex("trixie")
	test := "pvetest"
	files := map[string]string{"enterprise": "/etc/apt/sources.list.d/pve-enterprise.list", "main": SourcesList, "ceph": "/etc/apt/sources.list.d/ceph.list"}
	if deb822 {
		test = "pve-test"
		files = map[string]string{"enterprise": "/etc/apt/sources.list.d/pve-enterprise.sources", "main": "/etc/apt/sources.list.d/proxmox.sources", "ceph": "/etc/apt/sources.list.d/ceph.sources"}
	}
	out := []standardRepo{
		{handle: "enterprise", name: "Enterprise", uri: "https://enterprise.proxmox.com/debian/pve", component: "pve-enterprise", path: files["enterprise"]},
		{handle: "no-subscription", name: "No-Subscription", uri: "http://download.proxmox.com/debian/pve", component: "pve-no-subscription", path: files["main"],
			comment: "Proxmox VE pve-no-subscription repository provided by proxmox.com,\nNOT recommended for production use"},
		{handle: "test", name: "Test", uri: "http://download.proxmox.com/debian/pve", component: test, path: files["main"]},
	}
	for _, ceph := range cephReleases[codename] {
		if ceph == "octopus" || ceph == "pacific" {
			continue // no longer offered for new setups
		}
		name := "Ceph " + upperFirst(ceph)
		out = append(out,
			standardRepo{handle: "ceph-" + ceph + "-enterprise", name: name + " Enterprise", uri: "https://enterprise.proxmox.com/debian/ceph-" + ceph, component: "enterprise", path: files["ceph"]},
			standardRepo{handle: "ceph-" + ceph + "-no-subscription", name: name + " No-Subscription", uri: "http://download.proxmox.com/debian/ceph-" + ceph, component: "no-subscription", path: files["ceph"]},
			standardRepo{handle: "ceph-" + ceph + "-test", name: name + " Test", uri: "http://download.proxmox.com/debian/ceph-" + ceph, component: "test", path: files["ceph"]},
		)
	}
	return out
}

// StandardHandles returns the handles of the standard repositories of a
// Debian release, in the panel's order.
func StandardHandles(codename string) []string {
	var out []string
	for _, r := range standardRepos(codename) {
		out = append(out, r.handle)
	}
	return out
}

// matchesStandard reports whether an entry configures the standard
// repository for the release's suite.
func matchesStandard(e *Entry, r standardRepo, codename string) bool {
	if !slices.Contains(e.Types, "deb") || !slices.Contains(e.Suites, codename) || !e.HasComponent(r.component) {
		return false
	}
	for _, u := range e.URIs {
		u = strings.TrimSuffix(u, "/")
		// Proxmox VE repositories also answer below /debian, the old URI.
		if u == r.uri || strings.HasSuffix(r.uri, "/pve") && u == strings.TrimSuffix(r.uri, "/pve") {
			return true
		}
	}
	return false
}

// StandardStatus returns the state of every standard repository of the
// release in src.
func StandardStatus(src *Sources, codename string) []Standard {
	var out []Standard
	for _, r := range standardRepos(codename) {
		s := Standard{Handle: r.handle, Name: r.name, Status: "absent"}
		for _, e := range src.Entries() {
			if matchesStandard(e, r, codename) {
				if e.Enabled {
					s.Status = "enabled"
					break
				}
				s.Status = "disabled"
			}
		}
		out = append(out, s)
	}
	return out
}

// StandardEntry returns the entry and file of a standard repository, as
// the admin guide writes them.
func StandardEntry(handle, codename string) (Entry, string, error) {
	for _, r := range standardRepos(codename) {
		if r.handle != handle {
			continue
		}
		e := Entry{Enabled: true, Types: []string{"deb"}, URIs: []string{r.uri}, Suites: []string{codename},
			Components: []string{r.component}, Comment: r.comment}
		if SyntaxOf(r.path) == Deb822 {
			e.Options = []Option{{Key: "Signed-By", Name: "Signed-By", Value: proxmoxKeyring}}
		}
		return e, r.path, nil
	}
	return Entry{}, "", fmt.Errorf("%w %q for %s (have %s)", ErrUnknownHandle, handle, codename, strings.Join(StandardHandles(codename), ", "))
}

// AddStandardRepository enables a standard repository by handle
// ("no-subscription", "ceph-reef-enterprise", ...): a disabled entry for
// it is enabled; otherwise its line (or stanza) is appended to its
// standard file. It returns the file it changed, or "" when the
// repository was already enabled.
func (c *Client) AddStandardRepository(ctx context.Context, handle string) (string, error) {
	code, err := c.Codename()
	if err != nil {
		return "", err
	}
	var r standardRepo
	found := false
	for _, s := range standardRepos(code) {
		if s.handle == handle {
			r, found = s, true
		}
	}
	if !found {
		_, _, err := StandardEntry(handle, code)
		return "", err
	}
	changed := ""
	err = c.EditSources(ctx, func(src *Sources) ([]*SourceFile, error) {
		var disabled *Entry
		for _, e := range src.Entries() {
			if matchesStandard(e, r, code) {
				if e.Enabled {
					return nil, nil
				}
				if disabled == nil {
					disabled = e
				}
			}
		}
		if disabled != nil {
			f := disabled.File()
			if err := f.SetEnabled(disabled, true); err != nil {
				return nil, err
			}
			changed = f.Path
			return []*SourceFile{f}, nil
		}
		e, path, _ := StandardEntry(handle, code)
		f := src.File(path)
		if f == nil {
			f = NewSourceFile(path)
		}
		if _, err := f.Add(e); err != nil {
			return nil, err
		}
		changed = path
		return []*SourceFile{f}, nil
	})
	return changed, err
}
