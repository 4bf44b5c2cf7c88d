package apt

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
	"github.com/hostadm/hostadm/internal/testenv"
)

// fixtureCopy copies the fixture tree into a temporary directory for
// tests that write.
func fixtureCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", fixture+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	return dir
}

func TestMicrocodeAPI(t *testing.T) {
	c := fixtureClient(t)
	v, err := c.InstalledVersion("intel-microcode")
	if err != nil || v != "3.20230808.1~deb12u1" {
		t.Errorf("InstalledVersion = %q, %v", v, err)
	}
	if _, err := c.InstalledVersion("amd64-microcode"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("amd64-microcode: err = %v, want ErrNotInstalled", err)
	}
	if _, err := c.InstalledVersion("pve-kernel-6.5.13-5-pve"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("config-files only: err = %v, want ErrNotInstalled", err)
	}
	if held, err := c.Held("intel-microcode"); err != nil || !held {
		t.Errorf("Held(intel-microcode) = %v, %v", held, err)
	}
	if held, _ := c.Held("pve-manager"); held {
		t.Error("pve-manager is not held")
	}
	vs, err := c.Versions("amd64-microcode")
	if err != nil || len(vs) != 1 || vs[0].Origins[0].Component != "non-free-firmware" || vs[0].Origins[0].Origin != "Debian" {
		t.Errorf("Versions(amd64-microcode) = %+v, %v", vs, err)
	}
	on, err := c.NonFreeFirmwareEnabled()
	if err != nil || on {
		t.Errorf("NonFreeFirmwareEnabled = %v, %v; bookworm-updates lacks it", on, err)
	}
	if got, _ := c.HeldPackages(); !cmp.Equal(got, []string{"intel-microcode"}) {
		t.Errorf("HeldPackages = %q", got)
	}
	if a, err := c.Architectures(); err != nil || !cmp.Equal(a, []string{"amd64"}) {
		t.Errorf("Architectures = %q, %v", a, err)
	}
}

func TestEnableNonFreeFirmware(t *testing.T) {
	root := fixtureCopy(t)
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, _ := os.ReadFile(root + "/etc/apt/sources.list")
	changed, err := c.EnableNonFreeFirmware(context.Background())
	if err != nil || !cmp.Equal(changed, []string{SourcesList}) {
		t.Fatalf("changed %q, %v", changed, err)
	}
	after, _ := os.ReadFile(root + "/etc/apt/sources.list")
	want := strings.Replace(string(before), "bookworm-updates main contrib\n", "bookworm-updates main contrib non-free-firmware\n", 1)
	if diff := cmp.Diff(want, string(after)); diff != "" {
		t.Errorf("sources.list mismatch (-want +got):\n%s", diff)
	}
	if on, _ := c.NonFreeFirmwareEnabled(); !on {
		t.Error("still not enabled")
	}
	if changed, err := c.EnableNonFreeFirmware(context.Background()); err != nil || len(changed) != 0 {
		t.Errorf("second run: %q, %v", changed, err)
	}
}

func TestEditSourcesConflict(t *testing.T) {
	root := fixtureCopy(t)
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.EditSources(context.Background(), func(src *Sources) ([]*SourceFile, error) {
		f := src.File(SourcesList)
		if err := f.AddComponent(f.Entries[1], NonFreeFirmware); err != nil {
			return nil, err
		}
		// Someone edits the file meanwhile.
		os.WriteFile(root+SourcesList, []byte("deb http://deb.debian.org/debian bookworm main\n"), 0o644)
		return []*SourceFile{f}, nil
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Fatalf("err = %v, want a conflict", err)
	}
	if b, _ := os.ReadFile(root + SourcesList); string(b) != "deb http://deb.debian.org/debian bookworm main\n" {
		t.Errorf("the concurrent edit was overwritten: %q", b)
	}
	// A malformed file stops every edit.
	os.WriteFile(root+"/etc/apt/sources.list.d/bad.list", []byte("deb http://x\n"), 0o644)
	if _, err := c.EnableNonFreeFirmware(context.Background()); !errors.Is(err, ErrMalformed) {
		t.Errorf("edit with a malformed file: %v", err)
	}
}

func TestAddStandardRepositoryTrixie(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(root+"/etc/apt/sources.list.d", 0o755)
	c, err := New(&Config{Root: root, Codename: "trixie"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	path, err := c.AddStandardRepository(context.Background(), "no-subscription")
	if err != nil || path != "/etc/apt/sources.list.d/proxmox.sources" {
		t.Fatalf("path %q, %v", path, err)
	}
	b, _ := os.ReadFile(root + path)
	want := "# Proxmox VE pve-no-subscription repository provided by proxmox.com,\n# NOT recommended for production use\nTypes: deb\nURIs: http://download.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-no-subscription\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("proxmox.sources mismatch (-want +got):\n%s", diff)
	}
	if _, err := c.AddStandardRepository(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(root + path)
	if !strings.HasSuffix(string(b), "\n\nTypes: deb\nURIs: http://download.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-test\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\n") {
		t.Errorf("test stanza not appended:\n%s", b)
	}
	if _, err := c.AddStandardRepository(context.Background(), "ceph-reef-enterprise"); !errors.Is(err, ErrUnknownHandle) {
		t.Errorf("reef on trixie: %v", err)
	}
	src, _ := c.Sources()
	st := StandardStatus(src, "trixie")
	if st[1].Status != "enabled" || st[2].Status != "enabled" || st[0].Status != "absent" {
		t.Errorf("status %+v", st)
	}
}

func fakeClient(t *testing.T, root string) (*Client, *runnertest.Fake) {
	t.Helper()
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := runnertest.New(t)
	c.run = f
	return c, f
}

func TestHoldThroughDpkg(t *testing.T) {
	root := fixtureCopy(t)
	c, f := fakeClient(t, root)
	// A fake dpkg that applies selections to the status file.
	f.Handle(func(cmd runner.Cmd) (runner.Result, error) {
		if !cmp.Equal(cmd.Args, []string{"dpkg", "--root=" + root, "--set-selections"}) {
			t.Errorf("argv %q", cmd.Args)
		}
		st, _ := os.ReadFile(root + DpkgStatus)
		s := string(st)
		for _, line := range strings.Split(strings.TrimSpace(string(cmd.Stdin)), "\n") {
			name, sel, _ := strings.Cut(line, " ")
			i := strings.Index(s, "Package: "+name+"\nStatus: ")
			if i < 0 {
				continue
			}
			j := i + len("Package: "+name+"\nStatus: ")
			k := strings.IndexByte(s[j:], ' ')
			s = s[:j] + sel + s[j+k:]
		}
		os.WriteFile(root+DpkgStatus, []byte(s), 0o644)
		return runner.Result{}, nil
	}, "dpkg")
	ctx := context.Background()
	if err := c.Hold(ctx, "pve-manager", "openssl"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.HeldPackages(); !cmp.Equal(got, []string{"intel-microcode", "openssl", "pve-manager"}) {
		t.Errorf("held %q", got)
	}
	if err := c.Unhold(ctx, "intel-microcode"); err != nil {
		t.Fatal(err)
	}
	if held, _ := c.Held("intel-microcode"); held {
		t.Error("still held")
	}
	if err := c.Hold(ctx, "not-a-package"); err == nil || !strings.Contains(err.Error(), "did not record") {
		t.Errorf("unknown package: %v", err)
	}
	if err := c.Hold(ctx, "--force-all"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("option as a name: %v", err)
	}
}

func TestInstallAndUpgradeCommands(t *testing.T) {
	c, f := fakeClient(t, fixture)
	chroot := []string{"chroot", c.fs.Dir(), "apt-get"}
	opts := []string{"-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "-o", "APT::Status-Fd=1"}
	f.Expect(append(append(append(chroot, "install"), opts...), "--allow-downgrades", "--allow-change-held-packages", "--", "intel-microcode=3.20240910.1~deb12u1")...).
		Stdout("Reading package lists...\npmstatus:dpkg-exec:0.0000:Running dpkg\npmstatus:intel-microcode:50.0000:Installing intel-microcode (amd64)\npmerror:/var/cache/apt/archives/x.deb:60.0000:trying to overwrite\ndlstatus:1:12.5000:Retrieving file 1 of 1\n")
	f.Expect(append(chroot, "update", "-q", "-o", "APT::Status-Fd=1")...)
	f.Expect(append(append(chroot, "dist-upgrade"), opts...)...).Exit(100).Stderr("E: Sub-process /usr/bin/dpkg returned an error code (1)\n")

	var got []Progress
	err := c.Install(context.Background(), "intel-microcode", "3.20240910.1~deb12u1", &InstallOptions{
		AllowDowngrade: true, AllowHeld: true, Progress: func(p Progress) { got = append(got, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Progress{
		{Stage: "output", Message: "Reading package lists..."},
		{Stage: "install", Package: "dpkg-exec", Message: "Running dpkg"},
		{Stage: "install", Package: "intel-microcode", Percent: 50, Message: "Installing intel-microcode (amd64)"},
		{Stage: "error", Package: "/var/cache/apt/archives/x.deb", Percent: 60, Message: "trying to overwrite"},
		{Stage: "download", Percent: 12.5, Message: "Retrieving file 1 of 1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress mismatch (-want +got):\n%s", diff)
	}
	if err := c.Update(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	err = c.DistUpgrade(context.Background(), nil)
	var ee *runner.ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 100 || !strings.Contains(ee.Stderr, "dpkg returned") {
		t.Errorf("dist-upgrade failure: %v", err)
	}
	f.Expect(append(append(append(chroot, "install"), opts...), "--", "intel-microcode=3.202305*")...)
	if err := c.Install(context.Background(), "intel-microcode", "3.202305*", nil); err != nil {
		t.Errorf("version glob: %v", err)
	}
	for _, bad := range []struct{ name, version string }{{"-o", ""}, {"intel-microcode", "3.2023 05"}, {"intel-microcode", "--reinstall"}, {"intel-microcode", "*"}, {"intel-microcode", " 3*"}} {
		if err := c.Install(context.Background(), bad.name, bad.version, nil); err == nil {
			t.Errorf("Install(%q, %q) accepted", bad.name, bad.version)
		}
	}
	for _, call := range f.Calls() {
		if !slices.Contains(call.Env, "DEBIAN_FRONTEND=noninteractive") {
			t.Errorf("%q runs without DEBIAN_FRONTEND=noninteractive", call.Args)
		}
	}
}

func TestKeysAndSignaturesFixture(t *testing.T) {
	c := fixtureClient(t)
	krs, errs := c.TrustedKeyrings()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names []string
	for _, kr := range krs {
		names = append(names, filepath.Base(kr.Path))
	}
	wantNames := []string{"debian-archive-bookworm-automatic.asc", "debian-archive-bookworm-security-automatic.asc", "debian-archive-bookworm-stable.asc", "proxmox-archive-keyring.gpg"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("keyrings mismatch (-want +got):\n%s", diff)
	}
	px := krs[3]
	if px.Armored || len(px.Keys) != 1 || px.Keys[0].UserIDs[0] != "Proxmox Bookworm Release Key <proxmox-release@proxmox.com>" || px.Keys[0].Algorithm != "RSA 4096" {
		t.Errorf("proxmox key %+v", px.Keys)
	}
	if !krs[0].Armored || krs[0].Keys[0].Expires.IsZero() {
		t.Errorf("Debian automatic key: %+v", krs[0].Keys)
	}
	when := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	checks, err := c.VerifyRepositories(when)
	if err != nil {
		t.Fatal(err)
	}
	signed := map[string]string{}
	for _, rc := range checks {
		if rc.Signature != nil {
			signed[rc.URI+" "+rc.Suite] = filepath.Base(rc.Signature.Keyring)
		} else if rc.Path != "" {
			t.Errorf("%s %s: %v", rc.URI, rc.Suite, rc.Err)
		}
	}
	wantSigned := map[string]string{
		"http://ftp.debian.org/debian bookworm":                        "debian-archive-bookworm-automatic.asc",
		"http://ftp.debian.org/debian bookworm-updates":                "debian-archive-bookworm-automatic.asc",
		"http://download.proxmox.com/debian/pve bookworm":              "proxmox-archive-keyring.gpg",
		"http://security.debian.org/debian-security bookworm-security": "debian-archive-bookworm-security-automatic.asc",
	}
	if diff := cmp.Diff(wantSigned, signed); diff != "" {
		t.Errorf("signers mismatch (-want +got):\n%s", diff)
	}
}

func TestVerifyWrongKey(t *testing.T) {
	in, err := os.ReadFile(fixture + "/var/lib/apt/lists/download.proxmox.com_debian_pve_dists_bookworm_InRelease")
	if err != nil {
		t.Fatal(err)
	}
	deb, _ := os.ReadFile(fixture + "/usr/share/keyrings/debian-archive-keyring.gpg")
	kr, err := ParseKeyring("debian", deb)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyInRelease(in, time.Time{}, kr); !errors.Is(err, ErrSignature) {
		t.Errorf("signed by an unknown key: %v", err)
	}
	if _, _, err := VerifyInRelease([]byte("Origin: x\n"), time.Time{}, kr); !errors.Is(err, ErrNotClearsigned) {
		t.Errorf("unsigned: %v", err)
	}
	// With the right key the Proxmox Release verifies and parses.
	px, _ := os.ReadFile(fixture + "/usr/share/keyrings/proxmox-archive-keyring.gpg")
	pk, _ := ParseKeyring("px", px)
	text, sig, err := VerifyInRelease(in, time.Time{}, kr, pk)
	if err != nil || sig.Keyring != "px" {
		t.Fatalf("%v %+v", err, sig)
	}
	rel, _ := ParseRelease(text)
	if rel.Origin != "Proxmox" || rel.Codename != "bookworm" {
		t.Errorf("release %+v", rel)
	}
}

func TestVerifyChecksums(t *testing.T) {
	data := []byte("a release key\n")
	sums := Checksums{
		SHA512: "08e8ee5a4b5d6e4ab94cd40ec0b1cc2d0b1ab9ab8bbaa1c5e5dd2d0dd8c03cfc2d5d58c8e0e2ed1f05a9e9d4c3f1e1f6fe4a3a6c1f3e6b7a2bd15b0d3e8f9a0b",
		MD5:    "",
	}
	if err := VerifyChecksums(data, sums); !errors.Is(err, ErrChecksum) {
		t.Errorf("mismatch: %v", err)
	}
	if err := VerifyChecksums(data, Checksums{MD5: "a6b8b1bb2e9d1ad9b1b2f0ee6b0d4b9f"}); !errors.Is(err, ErrChecksum) {
		t.Errorf("md5 mismatch: %v", err)
	}
	// The published checksums are well-formed digests.
	for name, s := range ReleaseKeys {
		if len(s.SHA512) != 128 || len(s.MD5) != 32 {
			t.Errorf("%s: malformed checksums", name)
		}
	}
}

func TestSubscription(t *testing.T) {
	// The file format of Proxmox VE: key, checksum, base64 JSON.
	active := "pve4c-1234567890\nNx5qaBSAwkhF/o39/zPAeA\neyJzdGF0dXMiOiJBY3RpdmUiLCJwcm9kdWN0bmFtZSI6IlByb3htb3ggVkUgQ29tbXVuaXR5IiwibmV4dGR1ZWRhdGUiOiIyMDI3LTAxLTAxIn0=\n"
	tests := []struct {
		in   string
		want Subscription
	}{
		{"", Subscription{Status: "notfound"}},
		{"garbage\n", Subscription{Status: "invalid"}},
		{"pve2s-0123456789\n", Subscription{Status: "new", Level: "s"}},
		{active, Subscription{Status: "active", Level: "c", ProductName: "Proxmox VE Community", NextDueDate: "2027-01-01"}},
	}
	for _, tt := range tests {
		if got := parseSubscription([]byte(tt.in)); !cmp.Equal(tt.want, got) {
			t.Errorf("parseSubscription(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestHoldRealDpkg runs the real dpkg --root on a copy of the fixture.
func TestHoldRealDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		testenv.Skip(t, "dpkg not installed")
	}
	root := fixtureCopy(t)
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Unhold(ctx, "intel-microcode"); err != nil {
		t.Fatal(err)
	}
	if err := c.Hold(ctx, "pve-manager"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.HeldPackages(); !cmp.Equal(got, []string{"pve-manager"}) {
		t.Errorf("held %q", got)
	}
	// dpkg rewrote the status file; its content still parses the same.
	if v, err := c.InstalledVersion("pve-manager"); err != nil || v != "8.2.4" {
		t.Errorf("pve-manager %q, %v", v, err)
	}
}
