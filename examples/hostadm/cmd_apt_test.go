package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
)

const pve8 = "../../testdata/pve8"

func runAdmIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// fixtureCopy copies the fixture tree for commands that write.
func fixtureCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", pve8+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	return dir
}

func TestAptList(t *testing.T) {
	out, stderr, code := runAdm(t, "apt", "list", "--root", pve8, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Codename     string
		Repositories []struct {
			Path    string
			Line    int
			Enabled bool
			Classes []struct{ Kind, Handle string }
		}
		Standard []struct{ Handle, Status string }
		Findings []struct{ Check, Severity, Path string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, s := range rep.Standard {
		status[s.Handle] = s.Status
	}
	for h, want := range map[string]string{"enterprise": "disabled", "no-subscription": "enabled", "test": "absent", "ceph-quincy-enterprise": "enabled", "ceph-reef-enterprise": "absent"} {
		if status[h] != want {
			t.Errorf("standard %s = %q, want %q", h, status[h], want)
		}
	}
	if len(rep.Repositories) != 6 || rep.Repositories[2].Classes[0].Kind != "pve-no-subscription" {
		t.Errorf("repositories: %+v", rep.Repositories)
	}
	text, _, code := runAdm(t, "apt", "list", "--root", pve8)
	if code != 0 || !strings.Contains(text, "/etc/apt/sources.list.d/ceph.list:1 ") || !strings.Contains(text, " on   ceph-enterprise ") ||
		!strings.Contains(text, "lacks the non-free-firmware component") {
		t.Errorf("text output (exit %d):\n%s", code, text)
	}
}

func TestAptFmt(t *testing.T) {
	for _, f := range []string{"/etc/apt/sources.list", "/etc/apt/sources.list.d/pve-enterprise.list", "/etc/apt/sources.list.d/ceph.list"} {
		out, stderr, code := runAdm(t, "apt", "fmt", f, "--root", pve8)
		want, _ := os.ReadFile(pve8 + f)
		if code != 0 || out != string(want) {
			t.Errorf("fmt %s: exit %d %s\n%s", f, code, stderr, out)
		}
	}
	dir := t.TempDir()
	os.MkdirAll(dir+"/etc/apt", 0o755)
	os.WriteFile(dir+"/etc/apt/bad.sources", []byte("Types: deb\nURIs: http://x\nSuites: a\nComponents main\n"), 0o644)
	_, stderr, code := runAdm(t, "apt", "fmt", "/etc/apt/bad.sources", "--root", dir)
	if code != 1 || !strings.Contains(stderr, "/etc/apt/bad.sources:4:1: malformed entry") {
		t.Errorf("bad file: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := runAdm(t, "apt", "fmt"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}

func TestAptVersions(t *testing.T) {
	in := "1.0 1.1\n1:0.1 9.9\n8.2.10 8.2.4\n1.0~rc1 1.0\n2.0 2.0-0\na1 1\njust-one\n"
	out, _, code := runAdmIn(t, in, "apt", "versions")
	want := "-1\n1\n1\n-1\n0\nerror: version \"a1\": version number does not start with digit\nerror: want two versions, got 1 fields\n"
	if out != want || code != 1 {
		t.Errorf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	if out, _, code := runAdmIn(t, "1 2\n", "apt", "versions"); out != "-1\n" || code != 0 {
		t.Errorf("clean input: exit %d, %q", code, out)
	}
}

func TestAptUpgradableAndPolicy(t *testing.T) {
	out, stderr, code := runAdm(t, "apt", "upgradable", "--root", pve8)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 9 || lines[0] != "intel-microcode/oldstable-security 3.20250512.1~deb12u1 amd64 [upgradable from: 3.20230808.1~deb12u1,held]" {
		t.Errorf("upgradable:\n%s", out)
	}
	out, _, code = runAdm(t, "apt", "policy", "intel-microcode", "--root", pve8)
	want := []string{
		"intel-microcode/oldstable-security  3.20250512.1~deb12u1  amd64  500  [candidate]",
		"intel-microcode/oldstable           3.20240910.1~deb12u1  amd64  500",
		"intel-microcode/now                 3.20230808.1~deb12u1  amd64  100  [installed]",
	}
	if code != 0 || strings.TrimRight(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("policy (exit %d):\n%s", code, out)
	}
	var vs []struct {
		Version   string
		Installed bool
		Origins   []struct{ Archive, Path string }
	}
	out, _, _ = runAdm(t, "apt", "policy", "pve-qemu-kvm", "--root", pve8, "--json")
	if err := json.Unmarshal([]byte(out), &vs); err != nil || len(vs) != 2 || !vs[1].Installed || len(vs[1].Origins) != 2 {
		t.Errorf("policy --json: %v\n%s", err, out)
	}
	if _, _, code := runAdm(t, "apt", "policy", "no-such-package", "--root", pve8); code != 1 {
		t.Errorf("unknown package: exit %d, want 1", code)
	}
}

func TestAptHoldUnhold(t *testing.T) {
	testenv.RequireTool(t, "dpkg")
	root := fixtureCopy(t)
	held := func() string {
		out, _, _ := runAdm(t, "apt", "upgradable", "--root", root)
		return out
	}
	if out, stderr, code := runAdm(t, "apt", "unhold", "intel-microcode", "--root", root); code != 0 || out != "Canceled hold on intel-microcode.\n" {
		t.Fatalf("unhold: exit %d %s %s", code, out, stderr)
	}
	if strings.Contains(held(), ",held]") {
		t.Error("intel-microcode still held after unhold")
	}
	if _, stderr, code := runAdm(t, "apt", "hold", "intel-microcode", "pve-manager", "--root", root); code != 0 {
		t.Fatalf("hold: exit %d %s", code, stderr)
	}
	if got := strings.Count(held(), ",held]"); got != 2 {
		t.Errorf("%d held upgradable packages, want 2:\n%s", got, held())
	}
	if _, stderr, code := runAdm(t, "apt", "hold", "no-such-package", "--root", root); code != 1 || !strings.Contains(stderr, "did not record") {
		t.Errorf("unknown package: exit %d %s", code, stderr)
	}
	if _, _, code := runAdm(t, "apt", "hold", "-rf", "--root", root); code != 2 {
		t.Errorf("option-like name: exit %d, want 2 (bad usage)", code)
	}
}

func TestAptAddAndFirmware(t *testing.T) {
	root := fixtureCopy(t)
	read := func(p string) string {
		b, _ := os.ReadFile(filepath.Join(root, p))
		return string(b)
	}
	before := read("/etc/apt/sources.list")
	if out, _, code := runAdm(t, "apt", "add", "no-subscription", "--root", root); code != 0 || out != "" {
		t.Errorf("already enabled: exit %d, %q", code, out)
	}
	if out, _, code := runAdm(t, "apt", "add", "enterprise", "--root", root); code != 0 || out != "/etc/apt/sources.list.d/pve-enterprise.list\n" {
		t.Errorf("enterprise: exit %d, %q", code, out)
	}
	if got := read("/etc/apt/sources.list.d/pve-enterprise.list"); got != "deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\n" {
		t.Errorf("pve-enterprise.list = %q", got)
	}
	if _, _, code := runAdm(t, "apt", "add", "ceph-reef-no-subscription", "--root", root); code != 0 {
		t.Errorf("ceph reef: exit %d", code)
	}
	if got := read("/etc/apt/sources.list.d/ceph.list"); got != "deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise\ndeb http://download.proxmox.com/debian/ceph-reef bookworm no-subscription\n" {
		t.Errorf("ceph.list = %q", got)
	}
	if _, stderr, code := runAdm(t, "apt", "add", "ceph-pacific-enterprise", "--root", root); code != 2 || !strings.Contains(stderr, "unknown repository handle") {
		t.Errorf("unknown handle: exit %d %s", code, stderr)
	}
	out, _, code := runAdm(t, "apt", "firmware", "--root", root, "--json")
	if code != 0 || !strings.Contains(out, `"/etc/apt/sources.list"`) {
		t.Errorf("firmware: exit %d %s", code, out)
	}
	want := strings.Replace(before, "bookworm-updates main contrib\n", "bookworm-updates main contrib non-free-firmware\n", 1)
	if got := read("/etc/apt/sources.list"); got != want {
		t.Errorf("sources.list after firmware:\n%s\nwant:\n%s", got, want)
	}
	if out, _, _ := runAdm(t, "apt", "firmware", "--root", root); out != "" {
		t.Errorf("second run changed %q", out)
	}
}

func TestAptKeys(t *testing.T) {
	out, stderr, code := runAdm(t, "apt", "keys", "--root", pve8)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	for _, want := range []string{
		"/etc/apt/trusted.gpg.d/proxmox-archive-keyring.gpg",
		"Proxmox Bookworm Release Key <proxmox-release@proxmox.com>",
		"Debian Stable Release Key (12/bookworm)",
		"http://download.proxmox.com/debian/pve bookworm",
		"https://enterprise.proxmox.com/debian/ceph-quincy bookworm ",
		"  Ed25519  ",
		"no lists downloaded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	root := fixtureCopy(t)
	in := filepath.Join(root, "var/lib/apt/lists/download.proxmox.com_debian_pve_dists_bookworm_InRelease")
	b, _ := os.ReadFile(in)
	os.WriteFile(in, []byte(strings.Replace(string(b), "Suite: stable", "Suite: stablE", 1)), 0o644)
	os.WriteFile(filepath.Join(root, "etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg"), []byte("tampered"), 0o644)
	out, _, code = runAdm(t, "apt", "keys", "--root", root, "--json")
	if code != 1 || !strings.Contains(out, `"error": "signature verification failed`) || !strings.Contains(out, `"error": "checksum mismatch: sha512`) {
		t.Errorf("tampered InRelease and release key: exit %d\n%s", code, out)
	}
}
