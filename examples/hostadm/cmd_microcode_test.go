package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMicrocodeCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "--root", fixtureRoot, "--json", "microcode", "status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st struct {
		Vendor    string   `json:"vendor"`
		Package   string   `json:"package"`
		Revisions []uint32 `json:"revisions"`
		Early     struct {
			Updated bool   `json:"updated"`
			From    uint32 `json:"from"`
		} `json:"early"`
		PackageState struct {
			Installed bool   `json:"installed"`
			Held      bool   `json:"held"`
			Version   string `json:"version"`
		} `json:"package_state"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Vendor != "GenuineIntel" || st.Package != "intel-microcode" || len(st.Revisions) != 1 || st.Revisions[0] != 0x2007006 ||
		!st.Early.Updated || st.Early.From != 0x2006e05 || !st.PackageState.Installed || !st.PackageState.Held {
		t.Errorf("status = %+v", st)
	}
	out, _, code = runAdm(t, "--root", fixtureRoot, "microcode", "vulnerabilities")
	if code != 0 || !strings.Contains(out, "Vulnerability Spectre v2:") || !strings.Contains(out, "Mitigation: IBRS") {
		t.Errorf("vulnerabilities: %d\n%s", code, out)
	}
	out, _, code = runAdm(t, "--root", fixtureRoot, "microcode", "versions")
	if code != 0 || !strings.Contains(out, "3.20230808.1~deb12u1") || !strings.Contains(out, "[installed]") {
		t.Errorf("versions: %d\n%s", code, out)
	}
	root := copyFixture(t)
	os.WriteFile(filepath.Join(root, "sys/devices/system/cpu/vulnerabilities/mds"), []byte("Vulnerable; SMT vulnerable\n"), 0o644)
	if _, _, code := runAdm(t, "--root", root, "microcode", "vulnerabilities"); code != 1 {
		t.Errorf("vulnerable CPU: exit %d, want 1", code)
	}
	if _, _, code := runAdm(t, "--root", root, "microcode", "downgrade"); code != 2 {
		t.Errorf("downgrade without version: exit %d", code)
	}
	if _, stderr, code := runAdm(t, "--root", root, "microcode", "downgrade", "1.0"); code != 1 || !strings.Contains(stderr, "no such version") {
		t.Errorf("downgrade to an unknown version: %d %s", code, stderr)
	}
}
