package apt

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/testenv"
)

const fixture = "../testdata/pve8"

func fixtureClient(tb testing.TB) *Client {
	tb.Helper()
	c, err := New(&Config{Root: fixture})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// aptList runs "apt list ARGS" against root (the host for "/"), the way
// the tests use it as an oracle, and returns its lines.
func aptList(tb testing.TB, root string, args ...string) []string {
	tb.Helper()
	testenv.RequireTool(tb, "apt")
	argv := []string{"list"}
	if root != "/" {
		abs, err := filepath.Abs(root)
		if err != nil {
			tb.Fatal(err)
		}
		cache := tb.TempDir()
		argv = append(argv,
			"-o", "Dir="+abs, "-o", "Dir::State::status="+abs+"/var/lib/dpkg/status",
			"-o", "Dir::Cache="+cache, "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
			"-o", "Dir::Log="+cache, "-o", "APT::Architecture=amd64", "-o", "APT::Architectures::=amd64",
			"-o", "Dir::Etc::trusted="+abs+"/etc/apt/trusted.gpg", "-o", "Dir::Etc::trustedparts="+abs+"/etc/apt/trusted.gpg.d")
	}
	cmd := exec.Command("apt", append(argv, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("apt %s: %v", strings.Join(args, " "), err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if l := sc.Text(); l != "" && l != "Listing..." {
			lines = append(lines, l)
		}
	}
	return lines
}

func upgradableLines(ups []Upgrade) []string {
	var out []string
	for _, u := range ups {
		out = append(out, u.Name+"/"+strings.Join(u.Archives, ",")+" "+u.Candidate+" "+u.Arch+" [upgradable from: "+u.Installed+"]")
	}
	slices.Sort(out)
	return out
}

func TestUpgradableFixtureGolden(t *testing.T) {
	c := fixtureClient(t)
	ups, err := c.Upgradable()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"intel-microcode/oldstable-security 3.20250512.1~deb12u1 amd64 [upgradable from: 3.20230808.1~deb12u1]",
		"libpve-common-perl/stable 8.2.9 all [upgradable from: 8.2.2]",
		"libssl3/oldstable-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.20-1~deb12u2]",
		"openssl/oldstable-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.20-1~deb12u2]",
		"perl-base/oldstable-security 5.36.0-7+deb12u4 amd64 [upgradable from: 5.36.0-7+deb12u3]",
		"proxmox-kernel-6.8/stable 6.8.12-5 all [upgradable from: 6.8.12-4]",
		"proxmox-ve/stable 8.3.0 all [upgradable from: 8.2.0]",
		"pve-firmware/stable 3.14-1 all [upgradable from: 3.13-2]",
		"pve-manager/stable 8.3.1 amd64 [upgradable from: 8.2.4]",
	}
	if diff := cmp.Diff(want, upgradableLines(ups)); diff != "" {
		t.Errorf("upgradable mismatch (-want +got):\n%s", diff)
	}
	for _, u := range ups {
		if u.Held != (u.Name == "intel-microcode") {
			t.Errorf("%s: held = %v", u.Name, u.Held)
		}
	}
}

// TestUpgradableFixtureAgainstAPT runs apt itself on the fixture tree.
func TestUpgradableFixtureAgainstAPT(t *testing.T) {
	want := aptList(t, fixture, "--upgradable")
	slices.Sort(want)
	ups, err := fixtureClient(t).Upgradable()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, upgradableLines(ups)); diff != "" {
		t.Errorf("apt list --upgradable mismatch (-apt +hostadm):\n%s", diff)
	}
}

// TestUpgradableHostAgainstAPT is the differential test on this machine's
// own status and lists: the same set as "apt list --upgradable".
func TestUpgradableHostAgainstAPT(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*")
	if len(files) == 0 {
		testenv.Skip(t, "no package lists in /var/lib/apt/lists: run apt-get update")
	}
	want := aptList(t, "/", "--upgradable")
	slices.Sort(want)
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ups, err := c.Upgradable()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, upgradableLines(ups)); diff != "" {
		t.Errorf("apt list --upgradable mismatch (-apt +hostadm):\n%s", diff)
	}
	t.Logf("%d upgradable packages agree with apt", len(ups))
}

// aptListLine formats a version the way "apt list -a" prints it.
func aptListLine(v PackageVersion, all []PackageVersion) string {
	archives := v.Archives()
	var inst, cand *PackageVersion
	for i := range all {
		if all[i].Installed {
			inst = &all[i]
		}
		if all[i].Candidate {
			cand = &all[i]
		}
	}
	var flags []string
	switch {
	case v.Installed && cand != nil && compareVersionsLax(cand.Version, v.Version) > 0:
		flags = append(flags, "installed", "upgradable to: "+cand.Version)
	case v.Installed && len(v.Origins) == 1:
		flags = append(flags, "installed", "local")
	case v.Installed && v.Automatic:
		flags = append(flags, "installed", "automatic")
	case v.Installed:
		flags = append(flags, "installed")
	case v.Candidate && inst != nil && v.Version != inst.Version:
		if c, _ := CompareVersions(v.Version, inst.Version); c > 0 {
			flags = append(flags, "upgradable from: "+inst.Version)
		}
	}
	line := v.Name + "/" + archives + " " + v.Version + " " + v.Arch
	if len(flags) > 0 {
		line += " [" + strings.Join(flags, ",") + "]"
	}
	return line
}

func TestVersionsFixtureAgainstAPT(t *testing.T) {
	c := fixtureClient(t)
	for _, name := range []string{"intel-microcode", "pve-qemu-kvm", "pve-manager", "openssl", "bash", "amd64-microcode"} {
		t.Run(name, func(t *testing.T) {
			want := aptList(t, fixture, "-a", name)
			vs, err := c.Versions(name)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, aptListLine(v, vs))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("apt list -a mismatch (-apt +hostadm):\n%s", diff)
			}
		})
	}
}

func TestVersionsPolicy(t *testing.T) {
	c := fixtureClient(t)
	vs, err := c.Versions("pve-qemu-kvm")
	if err != nil {
		t.Fatal(err)
	}
	// The preferences pin 8.1.5-* at 1001: the installed version stays
	// the candidate although 9.0.2-4 is newer.
	type row struct {
		Version              string
		Priority             int
		Installed, Candidate bool
	}
	var got []row
	for _, v := range vs {
		got = append(got, row{v.Version, v.Priority, v.Installed, v.Candidate})
	}
	want := []row{{"9.0.2-4", 500, false, false}, {"8.1.5-6", 1001, true, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policy mismatch (-want +got):\n%s", diff)
	}
	if _, err := c.Versions("no-such-package"); err == nil {
		t.Error("no error for an unknown package")
	}
}

var aptLineRE = regexp.MustCompile(`^\S+/\S+ \S+ \S+`)

func TestAptListLineShape(t *testing.T) {
	c := fixtureClient(t)
	vs, _ := c.Versions("intel-microcode")
	for _, v := range vs {
		if l := aptListLine(v, vs); !aptLineRE.MatchString(l) {
			t.Errorf("bad line %q", l)
		}
	}
}

// TestVersionsHostAgainstAPT compares "apt list -a" for a sample of this
// machine's installed packages. APT's "auto-removable" needs its
// dependency solver; those lines count as "automatic".
func TestVersionsHostAgainstAPT(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*")
	if len(files) == 0 {
		testenv.Skip(t, "no package lists in /var/lib/apt/lists: run apt-get update")
	}
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, p := range st.Packages {
		if p.Installed() && i%12 == 0 {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var want []string
	for _, l := range aptList(t, "/", append([]string{"-a"}, names...)...) {
		want = append(want, strings.Replace(l, ",auto-removable]", ",automatic]", 1))
	}
	cache, err := c.Cache(func(n string) bool { _, ok := slices.BinarySearch(names, n); return ok })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		vs := cache.Versions(n)
		for _, v := range vs {
			got = append(got, aptListLine(v, vs))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apt list -a mismatch (-apt +hostadm):\n%s", diff)
	}
	t.Logf("%d versions of %d packages agree with apt list -a", len(got), len(names))
}
