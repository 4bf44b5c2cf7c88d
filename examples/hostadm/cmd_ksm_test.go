package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureRoot = "../../testdata/pve8"

// copyFixture returns a writable copy of the fixture tree.
func copyFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixtureRoot)); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestKSMCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "ksm", "status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st struct {
		Mode     string `json:"mode"`
		Saved    int64  `json:"saved"`
		Counters []struct {
			Name  string `json:"name"`
			Unit  string `json:"unit"`
			Bytes int64  `json:"bytes"`
		} `json:"counters"`
		KSMTuned struct{ Enabled string } `json:"ksmtuned"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != "running" || st.Saved == 0 || len(st.Counters) != 19 || st.KSMTuned.Enabled != "enabled" {
		t.Errorf("status = %+v", st)
	}

	root := copyFixture(t)
	if _, stderr, code := runAdm(t, "--root", root, "ksm", "run", "stop"); code != 0 {
		t.Fatalf("run stop: %d %s", code, stderr)
	}
	if _, stderr, code := runAdm(t, "--root", root, "ksm", "set", "pages_to_scan", "500"); code != 0 {
		t.Fatalf("set: %d %s", code, stderr)
	}
	for name, want := range map[string]string{"run": "0\n", "pages_to_scan": "500\n"} {
		if b, _ := os.ReadFile(filepath.Join(root, "sys/kernel/mm/ksm", name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if _, _, code := runAdm(t, "--root", root, "ksm", "set", "pages_shared", "1"); code != 1 {
		t.Errorf("set read-only counter: exit %d", code)
	}
	if _, _, code := runAdm(t, "--root", root, "ksm", "run", "fast"); code != 2 {
		t.Errorf("bad mode: exit %d", code)
	}
	if _, stderr, code := runAdm(t, "--root", root, "ksm", "tuned", "set", "KSM_THRES_COEF", "30"); code != 0 {
		t.Fatalf("tuned set: %d %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/ksmtuned.conf"))
	if !strings.Contains(string(b), "# KSM_THRES_COEF=20\nKSM_THRES_COEF=30\n") {
		t.Errorf("ksmtuned.conf:\n%s", b)
	}
	out, _, _ = runAdm(t, "--root", root, "ksm", "tuned", "show")
	if !strings.Contains(out, "KSM_THRES_COEF        30") {
		t.Errorf("tuned show:\n%s", out)
	}
	runAdm(t, "--root", root, "ksm", "tuned", "unset", "KSM_THRES_COEF")
	orig, _ := os.ReadFile(filepath.Join(fixtureRoot, "etc/ksmtuned.conf"))
	if b2, _ := os.ReadFile(filepath.Join(root, "etc/ksmtuned.conf")); string(b2) != string(orig) {
		t.Errorf("set then unset did not restore the file:\n%s", b2)
	}
	if _, stderr, code := runAdm(t, "--root", root, "ksm", "disable"); code != 1 || !strings.Contains(stderr, "running system") {
		t.Errorf("disable on a fixture: %d %s", code, stderr)
	}
}
