//go:build integration

package btrfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"
)

// The unprivileged listing runs in a copy of the test binary started as
// nobody (uid and gid 65534, no capabilities), which prints what
// Subvolumes returns for each path after this marker.
const (
	asUserEnv    = "HOSTADM_BTRFS_LIST_AS_USER"
	asUserMarker = "SUBVOLUMES-JSON: "
)

// TestUnprivilegedListHelper is the child side: it does nothing unless
// started by listAsNobody.
func TestUnprivilegedListHelper(t *testing.T) {
	paths := os.Getenv(asUserEnv)
	if paths == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nCapEff:\t0000000000000000\n") || os.Geteuid() == 0 {
		t.Fatalf("the helper still has privileges:\n%s", status)
	}
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]Subvolume{}
	for _, p := range strings.Split(paths, "\n") {
		// The privileged search must be refused, so that Subvolumes
		// takes the unprivileged walk.
		fd, err := c.openPath(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = listSubvolumes(fd)
		unix.Close(fd)
		if !errors.Is(err, unix.EPERM) {
			t.Fatalf("tree search as nobody: %v, want EPERM", err)
		}
		subs, err := c.Subvolumes(p)
		if err != nil {
			t.Fatalf("Subvolumes(%s) as nobody: %v", p, err)
		}
		out[p] = subs
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\n%s%s\n", asUserMarker, b)
}

// listAsNobody lists the subvolumes of each path in a copy of the test
// binary running as nobody.
func listAsNobody(t *testing.T, paths ...string) map[string][]Subvolume {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	openToAll(t, dir)
	bin := filepath.Join(dir, "btrfs.test")
	copyFile(t, self, bin)
	cmd := exec.Command(bin, "-test.run=^TestUnprivilegedListHelper$", "-test.count=1", "-test.v")
	cmd.Dir = "/"
	cmd.Env = []string{asUserEnv + "=" + strings.Join(paths, "\n"), "PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, out)
	}
	_, js, ok := strings.Cut(string(out), asUserMarker)
	if !ok {
		t.Fatalf("helper printed no listing:\n%s", out)
	}
	js, _, _ = strings.Cut(js, "\n")
	got := map[string][]Subvolume{}
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	return got
}

// openToAll lets every user search dir and its parent (a test's
// temporary directories are private).
func openToAll(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestIntegrationSubvolumesUnprivileged(t *testing.T) {
	mnt, devs, _ := newFS(t, 1, 1<<30, MkfsPlan{}, "")
	openToAll(t, filepath.Dir(mnt))
	c := newClient(t)
	p := func(s string) string { return filepath.Join(mnt, s) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sub := func(s string) { t.Helper(); must(c.CreateSubvolume(p(s))) }
	mkdir := func(s string, mode os.FileMode) {
		t.Helper()
		must(os.MkdirAll(p(s), 0o755))
		must(os.Chmod(p(s), mode))
	}

	// Reachable: nested three deep, inside plain directories, a
	// read-only snapshot, and more children of one subvolume than one
	// GET_SUBVOL_ROOTREF returns (255).
	sub("a")
	sub("a/nested")
	sub("a/nested/inner")
	mkdir("a/dir/sub", 0o755)
	sub("a/dir/sub/deep")
	must(c.Snapshot(p("a"), p("snap-ro"), &SnapshotOptions{ReadOnly: true}))
	mkdir("many", 0o755)
	for i := range 300 {
		sub(fmt.Sprintf("many/s%03d", i))
	}
	// Unreachable for nobody: below a directory it may not search, a
	// subvolume whose root it may not open (and what is inside), one
	// whose directory another mount hides, and one mounted over.
	mkdir("private", 0o700)
	sub("private/hidden")
	sub("private/hidden/below")
	sub("locked")
	must(os.Chmod(p("locked"), 0o700))
	sub("locked/inner")
	mkdir("covered/dir", 0o755)
	sub("covered/dir/gone")
	mkdir("var/lib/pve", 0o755)
	sub("var/lib/pve/local-btrfs")
	for _, m := range []string{"covered/dir", "var/lib/pve/local-btrfs"} {
		must(unix.Mount("tmpfs", p(m), "tmpfs", 0, "size=1m"))
		t.Cleanup(func() { unix.Unmount(p(m), unix.MNT_DETACH) })
	}
	unreachable := func(path string) bool {
		for _, u := range []string{"private/", "locked", "covered/dir/gone", "var/lib/pve/local-btrfs"} {
			if path == u || strings.HasPrefix(path, strings.TrimSuffix(u, "/")+"/") {
				return true
			}
		}
		return false
	}

	// The same file system mounted with subvol=a: paths stay relative
	// to the top level, and a itself is listed.
	mnt2 := mountFS(t, devs, "subvol=a")
	openToAll(t, filepath.Dir(mnt2))

	all, err := parseSubvolumeList(oracle(t, "btrfs", "subvolume", "list", "-c", "-u", "-q", mnt))
	must(err)
	privileged, err := c.Subvolumes(mnt)
	must(err)
	if len(all) != 311 || len(privileged) != len(all) {
		t.Fatalf("btrfs subvolume list shows %d subvolumes, Subvolumes as root %d, want 311", len(all), len(privileged))
	}
	filter := func(subs []Subvolume, keep func(string) bool) []Subvolume {
		var out []Subvolume
		for _, s := range subs {
			if keep(s.Path) {
				out = append(out, s)
			}
		}
		return out
	}
	reachable := func(path string) bool { return !unreachable(path) }
	inA := func(path string) bool { return reachable(path) && (path == "a" || strings.HasPrefix(path, "a/")) }

	got := listAsNobody(t, mnt, p("a/dir"), mnt2, filepath.Join(mnt2, "nested"))
	noOracleFields := cmpopts.IgnoreFields(Subvolume{}, "ReadOnly", "ReceivedUUID", "Created")
	for _, tt := range []struct {
		name, path string
		keep       func(string) bool
	}{
		{"top level", mnt, reachable},
		{"plain directory in a", p("a/dir"), inA},
		{"subvol=a", mnt2, inA},
		{"subvolume in subvol=a", filepath.Join(mnt2, "nested"), func(s string) bool { return s == "a/nested" || strings.HasPrefix(s, "a/nested/") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := filter(all, tt.keep)
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("%d of %d expected: the test's filter is wrong", len(want), len(all))
			}
			if diff := cmp.Diff(want, got[tt.path], noOracleFields); diff != "" {
				t.Errorf("Subvolumes as nobody mismatch with btrfs subvolume list as root (-want +got):\n%s", diff)
			}
			// The fields the oracle lacks, against the privileged listing.
			if diff := cmp.Diff(filter(privileged, tt.keep), got[tt.path]); diff != "" {
				t.Errorf("Subvolumes as nobody mismatch with Subvolumes as root (-want +got):\n%s", diff)
			}
		})
	}
	for _, s := range got[mnt] {
		if s.Path == "snap-ro" && (!s.ReadOnly || s.ParentUUID.String() == "" || s.Created.IsZero()) {
			t.Errorf("snap-ro as nobody: %+v", s)
		}
	}
}
