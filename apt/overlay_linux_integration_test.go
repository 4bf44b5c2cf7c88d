//go:build integration && linux

package apt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostadm/hostadm/internal/testenv"
)

const overlayEnv = "HOSTADM_APT_OVERLAY"

// TestAptGetInOverlay runs the real apt-get and dpkg through the client:
// update, install of a given version, hold, dist-upgrade, unhold and a
// downgrade, against a local repository. It works on a copy-on-write
// overlay of this machine's root in a private mount namespace, so the
// machine's own packages, lists and configuration never change, and no
// network is used.
func TestAptGetInOverlay(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "unshare", "chroot", "dpkg-deb", "apt-get", "dpkg")
	base := os.Getenv(overlayEnv)
	if base == "" {
		// Run this test again in a mount namespace of its own: every
		// mount it makes disappears with that process.
		dir := t.TempDir()
		cmd := exec.Command("unshare", "--mount", "--propagation", "private",
			os.Args[0], "-test.run=^TestAptGetInOverlay$", "-test.v", "-test.timeout=10m")
		cmd.Env = append(os.Environ(), overlayEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestAptGetInOverlay") {
			t.Fatalf("overlay run failed: %v", err)
		}
		return
	}
	root := overlayRoot(t, base)
	writeProbeRepo(t, root)

	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var progress []Progress
	record := func(p Progress) { progress = append(progress, p) }
	if err := c.Update(ctx, record); err != nil {
		t.Fatal(err)
	}
	vs, err := c.Versions("hostadm-probe")
	if err != nil || len(vs) != 2 || vs[0].Version != "2.0-1" || !vs[0].Candidate {
		t.Fatalf("versions after update: %+v, %v", vs, err)
	}
	if err := c.Install(ctx, "hostadm-probe", "1.0-1", &InstallOptions{Progress: record}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.InstalledVersion("hostadm-probe"); err != nil || v != "1.0-1" {
		t.Fatalf("installed %q, %v", v, err)
	}
	if !slices.ContainsFunc(progress, func(p Progress) bool { return p.Stage == "install" && p.Package == "hostadm-probe" }) {
		t.Errorf("no install progress for the package in %+v", progress)
	}
	if ups, _ := c.Upgradable(); !slices.ContainsFunc(ups, func(u Upgrade) bool { return u.Name == "hostadm-probe" && u.Candidate == "2.0-1" }) {
		t.Errorf("2.0-1 not upgradable: %+v", ups)
	}

	// A held package stays where it is through dist-upgrade.
	if err := c.Hold(ctx, "hostadm-probe"); err != nil {
		t.Fatal(err)
	}
	if err := c.DistUpgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.InstalledVersion("hostadm-probe"); v != "1.0-1" {
		t.Errorf("held package moved to %q", v)
	}
	if err := c.Unhold(ctx, "hostadm-probe"); err != nil {
		t.Fatal(err)
	}
	if err := c.DistUpgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.InstalledVersion("hostadm-probe"); v != "2.0-1" {
		t.Errorf("after dist-upgrade: %q, want 2.0-1", v)
	}
	// The admin guide's downgrade, with a version glob.
	if err := c.Install(ctx, "hostadm-probe", "1.0*", &InstallOptions{AllowDowngrade: true}); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.InstalledVersion("hostadm-probe"); v != "1.0-1" {
		t.Errorf("after downgrade: %q, want 1.0-1", v)
	}
	if b, err := os.ReadFile(filepath.Join(root, "usr/share/hostadm-probe/version")); err != nil || string(b) != "1.0-1\n" {
		t.Errorf("installed file: %q, %v", b, err)
	}
}

// overlayRoot mounts a copy-on-write view of "/" below base (on a tmpfs
// of its own) with /dev and /proc, and leaves it with no repository but
// the test's.
func overlayRoot(t *testing.T, base string) string {
	t.Helper()
	mount := func(src, dst, fstype string, flags uintptr, data string) {
		t.Helper()
		if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
			t.Fatalf("mount %s on %s: %v", fstype, dst, err)
		}
	}
	mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	mount("tmpfs", base, "tmpfs", 0, "mode=0755")
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(base, "merged")
	mount("overlay", root, "overlay", 0, fmt.Sprintf("lowerdir=/,upperdir=%s/upper,workdir=%s/work", base, base))
	mount("/dev", filepath.Join(root, "dev"), "", unix.MS_BIND|unix.MS_REC, "")
	mount("proc", filepath.Join(root, "proc"), "proc", 0, "")
	// Only the test repository: the copy's own sources go (as whiteouts
	// in the upper layer).
	os.Remove(filepath.Join(root, SourcesList))
	ents, _ := os.ReadDir(filepath.Join(root, SourcesListDir))
	for _, e := range ents {
		os.Remove(filepath.Join(root, SourcesListDir, e.Name()))
	}
	return root
}

// writeProbeRepo builds two versions of a small package and a flat
// repository with them at /srv/hostadm-repo of root.
func writeProbeRepo(t *testing.T, root string) {
	t.Helper()
	repo := filepath.Join(root, "srv/hostadm-repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	var packages strings.Builder
	for _, v := range []string{"1.0-1", "2.0-1"} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "DEBIAN"), 0o755)
		os.MkdirAll(filepath.Join(dir, "usr/share/hostadm-probe"), 0o755)
		control := fmt.Sprintf("Package: hostadm-probe\nVersion: %s\nArchitecture: all\nMaintainer: hostadm tests <root@localhost>\nDescription: hostadm apt-get test package\n", v)
		os.WriteFile(filepath.Join(dir, "DEBIAN/control"), []byte(control), 0o644)
		os.WriteFile(filepath.Join(dir, "usr/share/hostadm-probe/version"), []byte(v+"\n"), 0o644)
		deb := filepath.Join(repo, "hostadm-probe_"+v+"_all.deb")
		if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", dir, deb).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v: %s", err, out)
		}
		data, err := os.ReadFile(deb)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&packages, "%sFilename: ./%s\nSize: %d\nSHA256: %s\n\n", control, filepath.Base(deb), len(data), hex.EncodeToString(sum[:]))
	}
	if err := os.WriteFile(filepath.Join(repo, "Packages"), []byte(packages.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "deb [trusted=yes] file:/srv/hostadm-repo ./\n"
	if err := os.WriteFile(filepath.Join(root, SourcesListDir, "hostadm-test.list"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}
