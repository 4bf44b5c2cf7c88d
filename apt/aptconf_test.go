package apt

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/testenv"
)

func TestParseAptConf(t *testing.T) {
	in := `// comment
APT
{
  Default-Release "bookworm"; # trailing
  NeverAutoRemove { "^firmware-linux.*"; "^linux-image-[a-z0-9]*$"; };
};
/* block
   comment */
Acquire::Languages "none";
Acquire::GzipIndexes true;
DPkg::Pre-Install-Pkgs {"/usr/sbin/dpkg-preconfigure --apt || true";};
Dir::Cache::pkgcache "";
Old::Value "x";
#clear Old;
`
	got, err := ParseAptConf("t.conf", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"apt::default-release":     "bookworm",
		"apt::neverautoremove::":   "^firmware-linux.* ^linux-image-[a-z0-9]*$",
		"acquire::languages":       "none",
		"acquire::gzipindexes":     "true",
		"dpkg::pre-install-pkgs::": "/usr/sbin/dpkg-preconfigure --apt || true",
		"dir::cache::pkgcache":     "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"A { B \"c\";", "A }", "/* open", "A \"open"} {
		if _, err := ParseAptConf("bad.conf", []byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestAptConfAgainstAptConfig reads this machine's APT configuration and
// compares every scalar setting with what apt-config dump says.
func TestAptConfAgainstAptConfig(t *testing.T) {
	testenv.RequireTool(t, "apt-config")
	fsys, err := rootfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ours, err := readAptConf(fsys)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("apt-config", "dump")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSuffix(sc.Text(), ";"), " ")
		if ok {
			theirs[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	n := 0
	for k, v := range ours {
		if strings.HasSuffix(k, "::") {
			continue // lists
		}
		n++
		// APT keeps some settings as lists ("Acquire::Languages:: ...").
		if got, ok := theirs[k]; (!ok || got != v) && theirs[k+"::"] != v {
			t.Errorf("%s = %q, apt-config says %q (present %v)", k, v, got, ok)
		}
	}
	t.Logf("%d settings agree with apt-config dump", n)
}

func FuzzParseAptConf(f *testing.F) {
	f.Add([]byte("APT { Default-Release \"bookworm\"; };\nA::B \"c\";\n#clear A;\n"))
	f.Add([]byte("/* x */ DPkg::Post-Invoke { \"rm -f /x || true\"; };"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseAptConf("fuzz.conf", data)
	})
}
