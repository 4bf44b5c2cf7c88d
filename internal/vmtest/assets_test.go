package vmtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePolicy(t *testing.T) {
	out := `zfs-dkms:
  Installed: (none)
  Candidate: 2.1.11-1+deb12u1
  Version table:
     2.3.2-2~bpo12+1 100
        100 http://deb.debian.org/debian bookworm-backports/contrib amd64 Packages
 *** 2.1.11-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm/contrib amd64 Packages
linux-image-6.1.0-56-amd64:
  Installed: (none)
  Candidate: 6.1.192-2
nosuch:
  Installed: (none)
  Candidate: (none)
`
	want := map[string]string{"zfs-dkms": "2.1.11-1+deb12u1", "linux-image-6.1.0-56-amd64": "6.1.192-2", "nosuch": "(none)"}
	if diff := cmp.Diff(want, parsePolicy([]byte(out))); diff != "" {
		t.Errorf("parsePolicy mismatch (-want +got):\n%s", diff)
	}
}

func TestVersions(t *testing.T) {
	for in, want := range map[string]string{"2.1.11-1+deb12u1": "2.1.11", "1:1.35.0-4": "1.35.0", "6.1": "6.1"} {
		if got := upstreamVersion(in); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
	if got, err := kernelSeries("6.1.0-56-amd64"); err != nil || got != "6.1" {
		t.Errorf("kernelSeries = %q, %v", got, err)
	}
	if _, err := kernelSeries("6"); err == nil {
		t.Error("kernelSeries(6): no error")
	}
}

func TestUsrMerged(t *testing.T) {
	for in, want := range map[string]string{
		"/lib/x86_64-linux-gnu/libc.so.6": "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"sbin/lvm":                        "/usr/sbin/lvm",
		"/bin":                            "/usr/bin",
		"/lib64/ld-linux-x86-64.so.2":     "/usr/lib64/ld-linux-x86-64.so.2",
		"/etc/lvm/lvm.conf":               "/etc/lvm/lvm.conf",
		"/library/x":                      "/library/x",
		"/usr/bin/ip":                     "/usr/bin/ip",
	} {
		if got := usrMerged(in); got != want {
			t.Errorf("usrMerged(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModules(t *testing.T) {
	dir := t.TempDir()
	dep := "kernel/drivers/md/dm-thin-pool.ko: kernel/drivers/md/persistent-data/dm-persistent-data.ko kernel/drivers/md/dm-bio-prison.ko\n" +
		"kernel/net/8021q/8021q.ko: kernel/net/802/garp.ko\n" +
		"kernel/net/802/garp.ko:\n"
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	deps, err := readModulesDep(filepath.Join(dir, "modules.dep"))
	if err != nil {
		t.Fatal(err)
	}
	idx := &moduleIndex{deps: deps, byName: map[string]string{}}
	for m := range deps {
		idx.byName[moduleName(m)] = m
	}
	got, err := idx.resolve([]string{"dm-thin-pool", "8021q"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kernel/drivers/md/dm-thin-pool.ko", "kernel/net/8021q/8021q.ko"}, got); diff != "" {
		t.Errorf("resolve mismatch (-want +got):\n%s", diff)
	}
	if _, err := idx.resolve([]string{"nosuch"}); err == nil {
		t.Error("resolve(nosuch): no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.dep"), []byte("no colon here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readModulesDep(filepath.Join(dir, "bad.dep")); err == nil {
		t.Error("readModulesDep: no error for a line without a colon")
	}
	for m, want := range map[string]bool{
		"kernel/drivers/net/bonding/bonding.ko":       true,
		"kernel/net/8021q/8021q.ko":                   true,
		"kernel/fs/vfat/vfat.ko":                      false, // fs/fat/ holds vfat
		"kernel/fs/fat/vfat.ko":                       true,
		"kernel/net/wireless/cfg80211.ko":             false,
		"kernel/net/ipv4/netfilter/iptable_filter.ko": false,
		"updates/dkms/zfs.ko":                         true,
		"kernel/drivers/gpu/drm/drm.ko":               false,
	} {
		if got := moduleSelected(m); got != want {
			t.Errorf("moduleSelected(%q) = %v, want %v", m, got, want)
		}
	}
}
