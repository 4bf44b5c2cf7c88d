package apt

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Origin is where a package version comes from: a package list, or the
// dpkg status file for an installed version (Archive "now").
type Origin struct {
	Archive   string `json:"archive"`            // the Release's Suite: "oldstable-security"
	Codename  string `json:"codename,omitempty"` // "bookworm-security"
	Origin    string `json:"origin,omitempty"`   // "Debian"
	Label     string `json:"label,omitempty"`
	Component string `json:"component,omitempty"`
	Site      string `json:"site,omitempty"` // host name of the URI
	URI       string `json:"uri,omitempty"`
	Priority  int    `json:"priority"` // the list's pin priority
	Path      string `json:"path"`     // list file or status file
}

// PackageVersion is one version of a package, as "apt list -a" and
// "apt-cache policy" show it.
type PackageVersion struct {
	Name    string `json:"name"`
	Arch    string `json:"arch"` // the version's Architecture: "amd64", "all"
	Version string `json:"version"`
	// Origins are the lists carrying the version, in APT's order; the
	// status file comes last for the installed version.
	Origins []Origin `json:"origins"`
	// Priority is the version's pin priority ("apt-cache policy").
	Priority  int  `json:"priority"`
	Installed bool `json:"installed,omitempty"`
	Candidate bool `json:"candidate,omitempty"`
	// Automatic is set on the installed version of a package APT
	// installed as a dependency (apt-mark showauto).
	Automatic bool `json:"automatic,omitempty"`
}

// Archives returns the archive names of the version's origins, joined as
// "apt list" prints them ("oldstable,oldstable-security" or "now").
func (v *PackageVersion) Archives() string {
	var names []string
	for _, o := range v.Origins {
		names = append(names, o.Archive)
	}
	return strings.Join(names, ",")
}

// Upgrade is an installed package whose candidate is newer: one line of
// "apt list --upgradable".
type Upgrade struct {
	Name      string `json:"name"`
	Arch      string `json:"arch"`
	Installed string `json:"installed"`
	Candidate string `json:"candidate"`
	// Archives of the candidate, as "apt list" prints them.
	Archives []string `json:"archives"`
	Held     bool     `json:"held,omitempty"`
	// Origins of the candidate.
	Origins []Origin `json:"origins"`
}

// pkgKey identifies a package the way APT's cache does: arch "all" lives
// in the native architecture's package.
type pkgKey struct{ name, arch string }

type verInfo struct {
	version string
	arch    string // as in the stanza
	source  string
	lists   []int // indexes into Cache.Lists
	status  bool  // the installed version
}

type pkgInfo struct {
	key      pkgKey
	versions []*verInfo
	status   *PackageStatus
}

// Cache is the part of APT's package cache hostadm needs: the enabled
// lists, the dpkg status, the pins, and the versions of the packages
// asked for. Build one with [Client.Cache].
type Cache struct {
	Lists      []*PackageList
	Status     *Status
	Pins       []Pin
	NativeArch string

	statusPrio int
	pkgs       map[pkgKey]*pkgInfo
	auto       map[pkgKey]bool
}

// record is one wanted stanza of a list.
type record struct{ name, arch, version, source string }

// scanList streams one list and returns the stanzas of wanted packages.
func scanList(fsys *rootfs.FS, l *PackageList, want func(name []byte) bool) ([]record, error) {
	f, err := fsys.Open(l.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Decompress(f, l.Compression)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Path, err)
	}
	defer r.Close()
	var out []record
	pr := newParagraphReader(r)
	pr.noLines = true
	for {
		par, _, err := pr.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Path, err)
		}
		name, ok := packageName(par)
		if !ok || !want(name) {
			continue
		}
		rec := record{name: string(name), arch: fieldString(par, "Architecture"), version: fieldString(par, "Version")}
		if src, ok := field(par, "Source"); ok {
			w, _, _ := strings.Cut(string(src), " ")
			rec.source = w
		}
		out = append(out, rec)
	}
}

// packageName returns the Package field, which leads every stanza of a
// Packages list (looked up anywhere otherwise).
func packageName(par []byte) ([]byte, bool) {
	const key = "Package:"
	if len(par) > len(key) && string(par[:len(key)]) == key {
		v := par[len(key):]
		if nl := indexNL(v); nl >= 0 {
			v = v[:nl]
		}
		return trimBlank(v), true
	}
	return field(par, "Package")
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// loadCache reads the lists, status and pins below fsys's root and keeps
// the versions of the packages for which want returns true (nil: the
// installed packages). archs are the architectures APT handles, native
// first.
func loadCache(fsys *rootfs.FS, src *Sources, archs []string, want func(name string) bool) (*Cache, error) {
	st, err := readStatus(fsys)
	if err != nil {
		return nil, err
	}
	pins, err := readPreferences(fsys)
	if err != nil {
		return nil, err
	}
	conf, err := readAptConf(fsys)
	if err != nil {
		return nil, err
	}
	if rel := conf["apt::default-release"]; rel != "" {
		// APT turns the setting into a release pin at 990 that comes
		// before every preferences record.
		pins = append([]Pin{{Type: "release", Data: rel, Priority: 990, Path: "APT::Default-Release", match: newPinMatch("release", rel)}}, pins...)
	}
	c := &Cache{
		Lists:      packageLists(fsys, src, archs),
		Status:     st,
		Pins:       pins,
		NativeArch: archs[0],
		pkgs:       map[pkgKey]*pkgInfo{},
	}
	c.auto = readExtendedStates(fsys, c.NativeArch)
	applyFilePins(c.Lists, pins)
	c.statusPrio = statusPriority(pins)

	var wantBytes func([]byte) bool
	if want == nil {
		installed := map[string]bool{}
		for i := range st.Packages {
			if st.Packages[i].Installed() {
				installed[st.Packages[i].Name] = true
			}
		}
		wantBytes = func(b []byte) bool { return installed[string(b)] }
		want = func(s string) bool { return installed[s] }
	} else {
		wantBytes = func(b []byte) bool { return want(string(b)) }
	}

	// Lists are read in parallel; results are merged in list order,
	// which is the order APT records a version's files in.
	results := make([][]record, len(c.Lists))
	errs := make([]error, len(c.Lists))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	// Start the big lists first so that they overlap with the rest.
	order := make([]int, len(c.Lists))
	sizes := make([]int64, len(c.Lists))
	for i, l := range c.Lists {
		order[i] = i
		if fi, err := fsys.Stat(l.Path); err == nil {
			sizes[i] = fi.Size()
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	for _, i := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = scanList(fsys, c.Lists[i], wantBytes)
		}()
	}
	wg.Wait()
	for i, recs := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, r := range recs {
			c.addVersion(r, i)
		}
	}
	for i := range st.Packages {
		p := &st.Packages[i]
		if !want(p.Name) {
			continue
		}
		pi := c.pkg(p.Name, p.Arch)
		pi.status = p
		if !p.Installed() || p.Version == "" {
			continue
		}
		v := pi.find(p.Version, p.Arch)
		if v == nil {
			v = &verInfo{version: p.Version, arch: p.Arch, source: p.Source}
			pi.versions = append(pi.versions, v)
		}
		v.status = true
	}
	for _, pi := range c.pkgs {
		// Highest version first, as in APT's version list.
		slices.SortStableFunc(pi.versions, func(a, b *verInfo) int { return compareVersionsLax(b.version, a.version) })
	}
	return c, nil
}

// ExtendedStates is where APT records which packages it installed
// automatically, below the root.
const ExtendedStates = "/var/lib/apt/extended_states"

// readExtendedStates returns the packages marked Auto-Installed.
func readExtendedStates(fsys *rootfs.FS, native string) map[pkgKey]bool {
	out := map[pkgKey]bool{}
	f, err := fsys.Open(ExtendedStates)
	if err != nil {
		return out
	}
	defer f.Close()
	pr := newParagraphReader(f)
	for {
		par, _, err := pr.next()
		if err != nil {
			return out
		}
		if fieldString(par, "Auto-Installed") != "1" {
			continue
		}
		arch := fieldString(par, "Architecture")
		if arch == "" || arch == "all" {
			arch = native
		}
		out[pkgKey{fieldString(par, "Package"), arch}] = true
	}
}

func readStatus(fsys *rootfs.FS) (*Status, error) {
	f, err := fsys.Open(DpkgStatus)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseStatus(DpkgStatus, f)
}

func (c *Cache) pkg(name, arch string) *pkgInfo {
	if arch == "all" || arch == "" {
		arch = c.NativeArch
	}
	k := pkgKey{name, arch}
	pi := c.pkgs[k]
	if pi == nil {
		pi = &pkgInfo{key: k}
		c.pkgs[k] = pi
	}
	return pi
}

func (pi *pkgInfo) find(version, arch string) *verInfo {
	for _, v := range pi.versions {
		if v.version == version && (v.arch == arch || v.arch == "all" || arch == "all") {
			return v
		}
	}
	return nil
}

func (c *Cache) addVersion(r record, list int) {
	pi := c.pkg(r.name, r.arch)
	v := pi.find(r.version, r.arch)
	if v == nil {
		v = &verInfo{version: r.version, arch: r.arch, source: r.source}
		pi.versions = append(pi.versions, v)
	}
	if !slices.Contains(v.lists, list) {
		v.lists = append(v.lists, list)
	}
}

// priority is APT's pkgPolicy::GetPriority for a version.
func (c *Cache) priority(pi *pkgInfo, v *verInfo) int {
	if p, ok := c.versionPin(pi, v); ok {
		if p == NeverPin {
			return NeverPin
		}
		for _, li := range v.lists {
			if c.Lists[li].Priority != NeverPin {
				return p
			}
		}
		if v.status && c.statusPrio != NeverPin {
			return p
		}
	}
	prio := math32Min
	for _, li := range v.lists {
		prio = max(prio, c.Lists[li].Priority)
	}
	if v.status {
		prio = max(prio, c.statusPrio)
	}
	if prio == math32Min {
		return 0
	}
	return prio
}

const math32Min = -1 << 31

// versionPin returns the priority of the first package pin that names the
// package and matches the version.
func (c *Cache) versionPin(pi *pkgInfo, v *verInfo) (int, bool) {
	src := v.source
	if src == "" {
		src = pi.key.name
	}
	for _, p := range c.Pins {
		if p.Packages == nil {
			continue
		}
		applies := false
		for _, pat := range p.Packages {
			if pinAppliesTo(pat, pi.key.name, v.arch, src, c.NativeArch) {
				applies = true
				break
			}
		}
		if !applies {
			continue
		}
		switch p.Type {
		case "version":
			if matchVer(v.version, p.match.ver, p.match.verPrefix) || exprMatches(p.Data, v.version) {
				return p.Priority, true
			}
		default:
			for _, li := range v.lists {
				if p.match.fileMatch(c.Lists[li]) {
					return p.Priority, true
				}
			}
			if v.status && p.match.fileMatch(nil) {
				return p.Priority, true
			}
		}
	}
	return 0, false
}

// candidate is APT's pkgPolicy::GetCandidateVer: the version with the
// highest priority (the newest among equals), never older than the
// installed one unless its priority is 1000 or more.
func (c *Cache) candidate(pi *pkgInfo) *verInfo {
	var cur *verInfo
	for _, v := range pi.versions {
		if v.status {
			cur = v
		}
	}
	var cand *verInfo
	candPrio := -1
	for _, v := range pi.versions {
		prio := c.priority(pi, v)
		if prio == 0 || prio <= candPrio {
			continue
		}
		if cur != nil && prio < 1000 && compareVersionsLax(v.version, cur.version) < 0 {
			continue
		}
		cand, candPrio = v, prio
	}
	return cand
}

func (c *Cache) origins(v *verInfo) []Origin {
	var out []Origin
	for _, li := range v.lists {
		l := c.Lists[li]
		o := Origin{Archive: l.Archive(), Component: l.Component, Site: l.Site, URI: l.URI, Priority: l.Priority, Path: l.Path}
		if l.Release != nil {
			o.Codename, o.Origin, o.Label = l.Release.Codename, l.Release.Origin, l.Release.Label
		}
		out = append(out, o)
	}
	if v.status {
		out = append(out, Origin{Archive: "now", Priority: c.statusPrio, Path: DpkgStatus})
	}
	return out
}

// Versions returns every version of a package the cache holds, newest
// first, for all architectures (native first): what "apt list -a NAME"
// and "apt-cache policy NAME" show. name may be "name:arch".
func (c *Cache) Versions(name string) []PackageVersion {
	arch := ""
	if n, a, ok := strings.Cut(name, ":"); ok {
		name, arch = n, a
	}
	var keys []pkgKey
	for k := range c.pkgs {
		if k.name == name && (arch == "" || k.arch == arch) && len(c.pkgs[k].versions) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b pkgKey) int {
		return cmp.Or(-cmp.Compare(boolInt(a.arch == c.NativeArch), boolInt(b.arch == c.NativeArch)), cmp.Compare(a.arch, b.arch))
	})
	var out []PackageVersion
	for _, k := range keys {
		pi := c.pkgs[k]
		cand := c.candidate(pi)
		for _, v := range pi.versions {
			out = append(out, PackageVersion{
				Name: pi.key.name, Arch: v.arch, Version: v.version,
				Origins: c.origins(v), Priority: c.priority(pi, v),
				Installed: v.status, Candidate: v == cand,
				Automatic: v.status && c.auto[pi.key],
			})
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Upgradable returns the installed packages whose candidate is newer
// than the installed version, sorted by name and architecture: the set
// "apt list --upgradable" prints. Held packages are included (and marked):
// "apt list" shows them too, while "apt-get dist-upgrade" keeps them.
func (c *Cache) Upgradable() []Upgrade {
	var out []Upgrade
	for _, pi := range c.pkgs {
		if pi.status == nil || !pi.status.Installed() {
			continue
		}
		var cur *verInfo
		for _, v := range pi.versions {
			if v.status {
				cur = v
			}
		}
		cand := c.candidate(pi)
		if cur == nil || cand == nil || compareVersionsLax(cand.version, cur.version) <= 0 {
			continue
		}
		u := Upgrade{
			Name: pi.key.name, Arch: cand.arch, Installed: cur.version, Candidate: cand.version,
			Held: pi.status.Held(), Origins: c.origins(cand),
		}
		for _, o := range u.Origins {
			u.Archives = append(u.Archives, o.Archive)
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b Upgrade) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch)) })
	return out
}
