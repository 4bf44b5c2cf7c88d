package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// areaFindings runs hostcheck on root for one area and returns its
// findings by check, with all findings of a check joined.
func storageFindings(t *testing.T, root, area string) map[string][]Finding {
	t.Helper()
	out, stderr, code := runCheck(t, "--root", root, "--json", "--only", area, "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := map[string][]Finding{}
	for _, f := range rep.Sections[0].Findings {
		found[f.Check] = append(found[f.Check], f)
	}
	return found
}

func wantStorageFinding(t *testing.T, found map[string][]Finding, check string, sev Severity, summary, where string) {
	t.Helper()
	for _, f := range found[check] {
		if f.Severity == sev && strings.Contains(f.Summary, summary) && strings.Contains(f.Where, where) {
			return
		}
	}
	t.Errorf("no %s %s finding with %q at %q in %+v", sev, check, summary, where, found[check])
}

func TestFstabArea(t *testing.T) {
	found := storageFindings(t, fixture, "fstab")
	wantStorageFinding(t, found, "fstab.device-path", Warning, "/mnt/backup is mounted from /dev/sdc1", "/etc/fstab:10")
	wantStorageFinding(t, found, "fstab.entries", Info, "6 entries, 1 named by kernel device name", "")
	if len(found["fstab.root"]) != 0 {
		t.Errorf("root finding on the fixture: %+v", found["fstab.root"])
	}

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/fstab"), []byte("/dev/pve/root / ext4 defaults 0 1\n/dev/sdb1 /x\n"), 0o644)
	found = storageFindings(t, dir, "fstab")
	wantStorageFinding(t, found, "fstab.syntax", Error, "/etc/fstab:2:11: want at least 3 fields", "/etc/fstab:2")
	os.WriteFile(filepath.Join(dir, "etc/fstab"), []byte("UUID=a /data ext4 defaults 0 2\nLABEL=b /data ext4 defaults 0 2\n"), 0o644)
	found = storageFindings(t, dir, "fstab")
	wantStorageFinding(t, found, "fstab.duplicate", Warning, "/data is listed twice (lines 1 and 2)", "/etc/fstab:2")
	wantStorageFinding(t, found, "fstab.root", Warning, "no entry for /", "")
}

func copyFixtureTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
