package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
)

// packagesRecipe changes whenever the make-up of a package layer
// changes, so that cached layers are rebuilt.
const packagesRecipe = "packages-1"

// PackageImage returns the layer of a spec's extra Debian packages
// (Spec.Packages): a cpio archive that a run appends to the base image,
// holding the packages' files and the shared libraries they need that the
// base image lacks. It is cached by the base image and the versions of
// the packages.
//
// The packages come with what they depend on (Depends and Pre-Depends,
// the first alternative APT has), except the base image's packages,
// Essential ones (busybox stands in for their tools) and shared library
// packages (Section libs) that this machine has installed: the libraries
// that the ELF files need are found as for the base image, in the
// unpacked packages first and on this Debian 12 machine second. A package named in the spec is always unpacked. Each
// package is unpacked with scripts/debroot into a directory of its own,
// .cache/vm/packages/<name>, once per version.
func (e *Env) PackageImage(ctx context.Context, a *Assets, base *Image, names []string) (*Image, error) {
	if len(names) == 0 {
		return nil, nil
	}
	memo := base.Path + "\x00" + strings.Join(slices.Sorted(slices.Values(names)), " ")
	e.pkgMu.Lock()
	defer e.pkgMu.Unlock()
	if img := e.pkgImages[memo]; img != nil {
		return img, nil
	}
	img, err := e.packageImage(ctx, a, base, names)
	if err != nil {
		return nil, err
	}
	if e.pkgImages == nil {
		e.pkgImages = map[string]*Image{}
	}
	e.pkgImages[memo] = img
	return img, nil
}

func (e *Env) packageImage(ctx context.Context, a *Assets, base *Image, names []string) (*Image, error) {
	pkgs, vers, err := e.packageClosure(ctx, names)
	if err != nil {
		return nil, err
	}
	unlock, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	start := time.Now()
	var roots []string
	unpacked := 0
	for _, p := range pkgs {
		dir := filepath.Join(e.cache(), "packages", p)
		n, err := e.unpack(ctx, dir, vers, p)
		if err != nil {
			return nil, err
		}
		unpacked += n
		roots = append(roots, dir)
	}
	if unpacked > 0 {
		e.logf("stage unpack: %d Debian packages in %.1fs", unpacked, time.Since(start).Seconds())
	}

	h := sha256.New()
	fmt.Fprintln(h, packagesRecipe, filepath.Base(base.Path))
	for _, p := range pkgs {
		fmt.Fprintln(h, p, vers[p])
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	dir := filepath.Join(e.cache(), "image")
	cpio := filepath.Join(dir, "packages-"+key+".cpio")
	man := filepath.Join(dir, "packages-"+key+".json")
	if img, ok := loadImage(cpio, man); ok {
		return img, nil
	}
	start = time.Now()
	stage, err := newStageDir(dir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	s := newStager(stage, a)
	s.roots = append(roots, a.GuestRoot)
	s.added = maps(base.Files)
	for _, r := range roots {
		if err := s.addTree(r); err != nil {
			return nil, fmt.Errorf("packages %s: %w", strings.Join(pkgs, " "), err)
		}
	}
	if len(s.missing) > 0 {
		return nil, fmt.Errorf("packages %s need libraries that neither they nor this machine have (name them in \"packages\"): %s",
			strings.Join(names, " "), strings.Join(s.missing, ", "))
	}
	m := manifest{Host: s.host}
	for p := range s.added {
		if !base.Files[p] {
			m.Files = append(m.Files, p)
		}
	}
	img, err := saveImage(cpio, man, "packages-*", m, func(c *cpioWriter) error { return c.Tree(stage, "") })
	if err != nil {
		return nil, err
	}
	e.logf("stage image: packages layer %s (%s; %d MiB, %d files) built in %.1fs",
		filepath.Base(cpio), strings.Join(pkgs, " "), img.size>>20, len(m.Files), time.Since(start).Seconds())
	return img, nil
}

// debRecord is what the dependency closure needs of a package's APT
// record.
type debRecord struct {
	Version   string
	Section   string
	Essential bool
	// Depends are Pre-Depends and Depends: groups of alternatives, by
	// name.
	Depends [][]string
}

// packageClosure returns the packages to unpack for names, sorted, with
// their candidate versions.
func (e *Env) packageClosure(ctx context.Context, names []string) ([]string, map[string]string, error) {
	inBase := map[string]bool{}
	for _, p := range guestPackages {
		inBase[p] = true
	}
	records := map[string]*debRecord{}
	asked := map[string]bool{}
	chosen := map[string]bool{}
	groups := make([][]string, 0, len(names))
	for _, n := range names {
		groups = append(groups, []string{n})
	}
	named := func(g []string) bool { return len(g) == 1 && slices.Contains(names, g[0]) }
	for len(groups) > 0 {
		var need []string
		for _, g := range groups {
			for _, p := range g {
				if !asked[p] {
					asked[p] = true
					need = append(need, p)
				}
			}
		}
		if len(need) > 0 {
			res, err := e.runner().Run(ctx, runner.Cmd{Args: append([]string{"apt-cache", "show", "--no-all-versions", "--"}, need...), Timeout: time.Minute})
			if err != nil {
				return nil, nil, fmt.Errorf("packages: %w", err)
			}
			for p, r := range parseDebRecords(res.Stdout) {
				records[p] = r
			}
		}
		// Shared library packages this machine has stay out: the image
		// takes the libraries from here, as the base image does.
		var libs []string
		for _, g := range groups {
			if p := firstKnown(g, records); p != "" && !named(g) && isLibSection(records[p].Section) {
				libs = append(libs, p)
			}
		}
		onHost, err := e.installed(ctx, libs)
		if err != nil {
			return nil, nil, err
		}
		var next [][]string
		for _, g := range groups {
			p := firstKnown(g, records)
			switch {
			case p == "" && named(g):
				return nil, nil, fmt.Errorf("packages: APT has no package %s (is scripts/setup done?)", g[0])
			case p == "", chosen[p]:
				continue // a virtual package, or one already in
			case !named(g) && (inBase[p] || records[p].Essential || onHost[p] != ""):
				continue
			}
			chosen[p] = true
			next = append(next, records[p].Depends...)
		}
		groups = next
	}
	vers := map[string]string{}
	var out []string
	for p := range chosen {
		out = append(out, p)
		vers[p] = records[p].Version
	}
	sort.Strings(out)
	return out, vers, nil
}

func firstKnown(alts []string, records map[string]*debRecord) string {
	for _, p := range alts {
		if records[p] != nil {
			return p
		}
	}
	return ""
}

// isLibSection reports whether a Section ("libs", "contrib/libs") holds
// shared library packages.
func isLibSection(s string) bool {
	s = s[strings.LastIndexByte(s, '/')+1:]
	return s == "libs" || s == "oldlibs"
}

// installed returns the versions of the packages installed on this
// machine.
func (e *Env) installed(ctx context.Context, pkgs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(pkgs) == 0 {
		return out, nil
	}
	res, err := e.runner().Run(ctx, runner.Cmd{
		Args:    append([]string{"dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", "--"}, pkgs...),
		Timeout: time.Minute,
	})
	// dpkg-query exits 1 when some package is unknown, having listed the
	// others.
	var ee *runner.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode == 1) {
		return nil, fmt.Errorf("packages: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 3 && strings.HasPrefix(f[2], "ii") {
			out[f[0]] = f[1]
		}
	}
	return out, nil
}

// parseDebRecords reads `apt-cache show` output: RFC 822 style records
// separated by blank lines, with continuation lines indented.
func parseDebRecords(out []byte) map[string]*debRecord {
	recs := map[string]*debRecord{}
	var name string
	var r *debRecord
	field := func(k, v string) {
		switch k {
		case "Package":
			name, r = v, &debRecord{}
			if recs[name] == nil {
				recs[name] = r
			}
		case "Version":
			r.Version = v
		case "Section":
			r.Section = v
		case "Essential":
			r.Essential = v == "yes"
		case "Pre-Depends", "Depends":
			r.Depends = append(r.Depends, parseDepends(v)...)
		}
	}
	var key, val string
	flush := func() {
		if key != "" && (r != nil || key == "Package") {
			field(key, strings.TrimSpace(val))
		}
		key, val = "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
			name, r = "", nil
		case line[0] == ' ' || line[0] == '\t':
			val += " " + strings.TrimSpace(line)
		default:
			flush()
			k, v, ok := strings.Cut(line, ":")
			if ok {
				key, val = k, v
			}
		}
	}
	flush()
	return recs
}

// parseDepends reads a Depends field: "a (>= 1), b:any | c, d [amd64]".
func parseDepends(v string) [][]string {
	var out [][]string
	for _, group := range strings.Split(v, ",") {
		var alts []string
		for _, alt := range strings.Split(group, "|") {
			alt = strings.TrimSpace(alt)
			if i := strings.IndexAny(alt, " ([<"); i >= 0 {
				alt = alt[:i]
			}
			alt, _, _ = strings.Cut(alt, ":")
			if alt != "" {
				alts = append(alts, alt)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}
