package apt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Severity grades a [Finding].
type Severity string

const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Finding is one result of the repository checks.
type Finding struct {
	// Check names the rule: "enterprise-without-subscription",
	// "no-security", "test-repository", "suite-old", "suite-stable",
	// "suite-unstable", "suite-next-release", "security-suite",
	// "ceph-unsupported", "non-free-firmware", "duplicate",
	// "no-proxmox-repository", "no-subscription", "parse-error",
	// "ignored-file", "no-lists".
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Advice is one line drawn from the admin guide.
	Advice string `json:"advice,omitempty"`
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Where returns "path:line" (or the path alone).
func (f Finding) Where() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	}
	return f.Path
}

// cephReleases lists, per Debian release, the Ceph releases Proxmox VE
// supports for hyper-converged setups.
var cephReleases = map[string][]string{
	"bullseye": {"octopus", "pacific", "quincy"},
	"bookworm": {"quincy", "reef", "squid"},
	"trixie":   {"squid"},
}

// pveRelease is the Proxmox VE major version of a Debian release.
var pveRelease = map[string]int{"buster": 6, "bullseye": 7, "bookworm": 8, "trixie": 9}

// CheckOptions describe the host the sources belong to.
type CheckOptions struct {
	// Codename is the installed Debian release ("bookworm").
	Codename string
	// Subscription reports whether a Proxmox VE subscription key is set.
	Subscription bool
	// Origin returns the Origin of a repository's downloaded Release file
	// ("" if unknown); nil means unknown for all.
	Origin func(uri, suite string) string
	// Microcode reports whether a CPU microcode package is installed,
	// which makes a missing non-free-firmware component a warning.
	Microcode bool
	// PVE reports whether Proxmox VE is installed: then no enabled
	// Proxmox VE repository is a warning.
	PVE bool
}

// Check applies the repository checks of the Proxmox VE repository panel
// and more to a set of sources files.
func Check(src *Sources, opt CheckOptions) []Finding {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	for _, err := range src.Errors {
		f := Finding{Check: "parse-error", Severity: Error, Message: err.Error(),
			Advice: "fix or remove the file: APT refuses to run while a sources file is malformed"}
		var pe *ParseError
		if errors.As(err, &pe) {
			f.Path, f.Line, f.Message = pe.Path, pe.Line, pe.Err.Error()
		}
		add(f)
	}
	for _, ig := range src.Ignored {
		if ig.Silent {
			continue
		}
		add(Finding{Check: "ignored-file", Severity: Info, Path: ig.Path,
			Message: fmt.Sprintf("APT ignores this file: %s", ig.Reason),
			Advice:  "APT only reads files named *.list or *.sources in sources.list.d"})
	}
	origin := opt.Origin
	if origin == nil {
		origin = func(string, string) string { return "" }
	}
	cur := codenameIndex(opt.Codename)
	var (
		security, pveRepo, noSub bool
		seen                     = map[string]string{} // target -> where
	)
	for _, e := range src.Entries() {
		if !e.Enabled {
			continue
		}
		at := func(f Finding) { f.Path, f.Line = e.File().Path, e.Line; add(f) }
		var nffSuites []string
		for _, c := range e.Classes(origin) {
			isDeb := slices.Contains(e.Types, "deb")
			switch c.Kind {
			case PVEEnterprise, PVENoSubscription, PVETest:
				if isDeb {
					pveRepo = true
				}
			case DebianSecurity:
				if isDeb {
					security = true
				}
			}
			switch c.Kind {
			case PVEEnterprise, CephEnterprise:
				if !opt.Subscription {
					at(Finding{Check: "enterprise-without-subscription", Severity: Warning,
						Message: fmt.Sprintf("the %s repository is enabled but no subscription key is set: apt-get update fails for it", c.Handle),
						Advice:  "comment out the enterprise repository with # and configure the no-subscription repository, or add a subscription key"})
				}
			case PVENoSubscription:
				noSub = true
			case PVETest, CephTest:
				at(Finding{Check: "test-repository", Severity: Warning,
					Message: fmt.Sprintf("the %s repository is enabled", c.Handle),
					Advice:  "the test repository should (as the name implies) only be used for testing new features or bug fixes"})
			}
			if c.Ceph != "" && cur >= 0 {
				if supported, ok := cephReleases[opt.Codename]; ok && !slices.Contains(supported, c.Ceph) {
					at(Finding{Check: "ceph-unsupported", Severity: Error,
						Message: fmt.Sprintf("Ceph %s is not supported on Proxmox VE %d (%s); supported: %s", upperFirst(c.Ceph), pveRelease[opt.Codename], opt.Codename, strings.Join(supported, ", ")),
						Advice:  "upgrade Ceph to a supported release first; see the respective upgrade guide"})
				}
			}
			if c.IsDebian() || c.IsProxmox() {
				for _, f := range suiteFindings(c, opt.Codename) {
					at(f)
				}
			}
			if c.IsDebian() && isDeb && len(e.Components) > 0 && !e.HasComponent(NonFreeFirmware) && hasFirmwareComponent(c.Codename, cur) {
				nffSuites = append(nffSuites, c.URI+" "+c.Suite)
			}
			for _, t := range e.Types {
				for _, comp := range append(e.Components, "") {
					if comp == "" && len(e.Components) > 0 {
						continue
					}
					k := t + " " + strings.TrimSuffix(c.URI, "/") + " " + c.Suite + " " + comp
					if first, dup := seen[k]; dup {
						at(Finding{Check: "duplicate", Severity: Warning,
							Message: fmt.Sprintf("%s %s %s %s is also configured at %s", t, c.URI, c.Suite, comp, first),
							Advice:  "remove one of the duplicate lines; APT warns about every duplicate target"})
					} else {
						seen[k] = e.Pos()
					}
				}
			}
		}
		if len(nffSuites) > 0 {
			sev := Info
			if opt.Microcode {
				sev = Warning
			}
			at(Finding{Check: "non-free-firmware", Severity: sev,
				Message: fmt.Sprintf("%s lacks the non-free-firmware component (CPU microcode and firmware)", strings.Join(nffSuites, ", ")),
				Advice:  "append non-free-firmware to each .debian.org repository line and run apt update"})
		}
	}
	if !security && cur >= 0 {
		add(Finding{Check: "no-security", Severity: Warning,
			Message: "no Debian security repository is enabled",
			Advice:  "add: deb http://security.debian.org/debian-security " + opt.Codename + "-security main contrib"})
	}
	if opt.PVE && !pveRepo {
		add(Finding{Check: "no-proxmox-repository", Severity: Warning,
			Message: "no Proxmox VE repository is enabled: Proxmox VE packages get no updates",
			Advice:  "enable the enterprise repository with a subscription, or the no-subscription repository"})
	}
	if noSub {
		add(Finding{Check: "no-subscription", Severity: Info,
			Message: "the no-subscription repository is enabled",
			Advice:  "it is the recommended repository for testing and non-production use; production hosts use the enterprise repository"})
	}
	return out
}

// hasFirmwareComponent reports whether a suite's release has the
// non-free-firmware component (Debian 12 and later); a suite that is not
// a code name is taken to be the installed release.
func hasFirmwareComponent(codename string, installed int) bool {
	i := codenameIndex(codename)
	if i < 0 {
		i = installed
	}
	return i >= codenameIndex("bookworm")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// suiteFindings checks a Debian or Proxmox suite against the installed
// release, as the repository panel does.
func suiteFindings(c Class, codename string) []Finding {
	var out []Finding
	base, variant := splitSuite(c.Suite)
	cur := codenameIndex(codename)
	switch base {
	case "oldstable", "oldoldstable":
		out = append(out, Finding{Check: "suite-old", Severity: Warning,
			Message: fmt.Sprintf("old suite %q configured", c.Suite), Advice: "use the code name of the installed release: " + codename})
	case "stable":
		out = append(out, Finding{Check: "suite-stable", Severity: Warning,
			Message: fmt.Sprintf("suite %q follows every new release", c.Suite), Advice: "use the name of the stable distribution (" + codename + ") instead of 'stable'"})
	case "testing", "unstable", "sid", "experimental":
		out = append(out, Finding{Check: "suite-unstable", Severity: Warning,
			Message: fmt.Sprintf("suite %q should not be used in production", c.Suite), Advice: "use the code name of the installed release: " + codename})
	}
	if i := codenameIndex(base); i >= 0 && cur >= 0 {
		switch {
		case i < cur:
			out = append(out, Finding{Check: "suite-old", Severity: Warning,
				Message: fmt.Sprintf("old suite %q configured on %s", c.Suite, codename), Advice: "use the code name of the installed release: " + codename})
		case i == cur+1:
			out = append(out, Finding{Check: "suite-next-release", Severity: Info,
				Message: fmt.Sprintf("suite %q of the next release configured", c.Suite), Advice: "fine during a major upgrade; otherwise it should not be used in production"})
		case i > cur+1:
			out = append(out, Finding{Check: "suite-unstable", Severity: Warning,
				Message: fmt.Sprintf("suite %q should not be used in production", c.Suite), Advice: "use the code name of the installed release: " + codename})
		}
	}
	if c.Kind == DebianSecurity && cur >= codenameIndex("bullseye") && variant != "-security" && base != "stable" {
		out = append(out, Finding{Check: "security-suite", Severity: Warning,
			Message: fmt.Sprintf("security repository with suite %q", c.Suite), Advice: "expected suite '" + codename + "-security'"})
	}
	return out
}

// subscriptionKeyRE is the Proxmox VE subscription key format.
var subscriptionKeyRE = regexp.MustCompile(`^pve[1248][cbsp]-[0-9a-f]{10}$`)

// Subscription is what /etc/subscription says, without the key itself.
type Subscription struct {
	// Status is "active", "new", "invalid", "expired", "suspended" or
	// "notfound" (no key).
	Status      string `json:"status"`
	Level       string `json:"level,omitempty"` // "c", "b", "s", "p"
	ProductName string `json:"productname,omitempty"`
	NextDueDate string `json:"nextduedate,omitempty"`
}

// Active reports whether the key gives access to the enterprise
// repository.
func (s Subscription) Active() bool { return s.Status == "active" || s.Status == "new" }

// parseSubscription reads the file Proxmox VE keeps the subscription in:
// the key on the first line, a checksum, then base64 JSON.
func parseSubscription(data []byte) Subscription {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	key := strings.TrimSpace(lines[0])
	if !subscriptionKeyRE.MatchString(key) {
		if key == "" {
			return Subscription{Status: "notfound"}
		}
		return Subscription{Status: "invalid"}
	}
	s := Subscription{Status: "new", Level: key[4:5]}
	if len(lines) < 3 {
		return s
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(lines[2:], ""))
	if err != nil {
		return Subscription{Status: "invalid", Level: s.Level}
	}
	var info struct {
		Status      string `json:"status"`
		ProductName string `json:"productname"`
		NextDueDate string `json:"nextduedate"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&info); err != nil {
		return Subscription{Status: "invalid", Level: s.Level}
	}
	s.Status = strings.ToLower(info.Status)
	s.ProductName, s.NextDueDate = info.ProductName, info.NextDueDate
	return s
}

// Subscription reads the host's Proxmox VE subscription state from
// /etc/subscription. The key itself is never returned.
func (c *Client) Subscription() Subscription {
	data, err := c.fs.ReadFile("/etc/subscription")
	if err != nil {
		return Subscription{Status: "notfound"}
	}
	return parseSubscription(data)
}

// Report is the repository panel's view of a host, and more.
type Report struct {
	Codename     string        `json:"codename"`
	Subscription Subscription  `json:"subscription"`
	Repositories []Repository  `json:"repositories"`
	Standard     []Standard    `json:"standard"`
	Ignored      []IgnoredFile `json:"ignored,omitempty"`
	Findings     []Finding     `json:"findings"`
}

// Repository is one entry with its classification, for reports.
type Repository struct {
	Path       string   `json:"path"`
	Line       int      `json:"line"`
	Enabled    bool     `json:"enabled"`
	Types      []string `json:"types"`
	URIs       []string `json:"uris"`
	Suites     []string `json:"suites"`
	Components []string `json:"components"`
	Comment    string   `json:"comment,omitempty"`
	Classes    []Class  `json:"classes"`
}

// Standard is the state of one standard repository: "enabled",
// "disabled" (configured but off) or "absent".
type Standard struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Check reads the sources, subscription and key state of the root and
// runs the repository checks (those about suites only when the release is
// known). now is used for key expiry (zero: the
// current time).
func (c *Client) Check(now time.Time) (*Report, error) {
	src, err := c.Sources()
	if err != nil {
		return nil, err
	}
	// Without a known release the suite checks are skipped.
	code, _ := c.Codename()
	r := &Report{Codename: code, Subscription: c.Subscription(), Ignored: src.Ignored}
	origin := c.originOf()
	opt := CheckOptions{Codename: code, Subscription: r.Subscription.Active(), Origin: origin,
		PVE: c.fs.Exists("/usr/share/pve-manager") || c.fs.Exists("/usr/bin/pveversion")}
	if st, err := c.Status(); err == nil {
		for _, m := range []string{"intel-microcode", "amd64-microcode"} {
			if p := st.Lookup(m, ""); p != nil && p.Installed() {
				opt.Microcode = true
			}
		}
	}
	r.Findings = Check(src, opt)
	r.Findings = append(r.Findings, c.keyFindings(now)...)
	for _, e := range src.Entries() {
		r.Repositories = append(r.Repositories, Repository{
			Path: e.File().Path, Line: e.Line, Enabled: e.Enabled, Types: e.Types, URIs: e.URIs,
			Suites: e.Suites, Components: e.Components, Comment: e.Comment, Classes: e.Classes(origin),
		})
	}
	r.Standard = StandardStatus(src, code)
	return r, nil
}

// keyFindings checks the trusted keys: published release key checksums,
// expired keys and the legacy trusted.gpg keyring.
func (c *Client) keyFindings(now time.Time) []Finding {
	if now.IsZero() {
		now = time.Now()
	}
	var out []Finding
	krs, errs := c.TrustedKeyrings()
	for _, err := range errs {
		out = append(out, Finding{Check: "keyring", Severity: Warning, Message: err.Error(),
			Advice: "remove or replace the unreadable keyring; APT cannot use it"})
	}
	for _, kc := range c.ReleaseKeyChecksums() {
		if !kc.OK {
			out = append(out, Finding{Check: "release-key", Severity: Error, Path: kc.Path, Message: kc.Error,
				Advice: "download the release key again and verify it with sha512sum as the admin guide shows"})
		}
	}
	for _, kr := range krs {
		if kr.Path == TrustedKeyring {
			out = append(out, Finding{Check: "legacy-keyring", Severity: Info, Path: kr.Path,
				Message: fmt.Sprintf("the deprecated keyring %s holds %d key(s)", kr.Path, len(kr.Keys)),
				Advice:  "move each key to its own file in /etc/apt/trusted.gpg.d or a Signed-By keyring"})
		}
		for _, k := range kr.Keys {
			if k.Expired(now) {
				out = append(out, Finding{Check: "key-expired", Severity: Warning, Path: kr.Path,
					Message: fmt.Sprintf("key %s (%s) expired on %s", k.Fingerprint, strings.Join(k.UserIDs, ", "), k.Expires.Format("2006-01-02")),
					Advice:  "remove the expired key; repositories signed only by it fail to update"})
			}
		}
	}
	return out
}
