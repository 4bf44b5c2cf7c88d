package apt

import (
	"os/exec"
	"testing"

	debversion "pault.ag/go/debian/version"

	"github.com/hostadm/hostadm/internal/testenv"
)

// benchPairs are typical comparisons: security updates, epochs, tildes.
var benchPairs = [][2]string{
	{"1:2.36.1-8+deb12u1", "1:2.36.1-8+deb12u2"},
	{"3.20230808.1~deb12u1", "3.20230512.1"},
	{"8.2.4", "8.2.10"},
	{"6.8.12-4", "6.8.12-10"},
	{"252.30-1~deb12u2", "252.33-1~deb12u1"},
	{"2:9.0.1378-2+deb12u2", "2:9.0.1378-2"},
	{"1.0~rc1-1", "1.0-1"},
	{"20230311+deb12u1", "20250419~deb12u2"},
}

// BenchmarkCompareVersions compares version strings, parsing included, the
// way a caller holding two strings does.
func BenchmarkCompareVersions(b *testing.B) {
	b.Run("hostadm", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := benchPairs[i%len(benchPairs)]
			if _, err := CompareVersions(p[0], p[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vs=pault.ag-debian-version", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := benchPairs[i%len(benchPairs)]
			va, err := debversion.Parse(p[0])
			if err != nil {
				b.Fatal(err)
			}
			vb, err := debversion.Parse(p[1])
			if err != nil {
				b.Fatal(err)
			}
			debversion.Compare(va, vb)
		}
	})
	b.Run("vs=dpkg--compare-versions", func(b *testing.B) {
		if _, err := exec.LookPath("dpkg"); err != nil {
			testenv.Skip(b, "dpkg not installed")
		}
		for i := 0; b.Loop(); i++ {
			p := benchPairs[i%len(benchPairs)]
			// Exit status 0 or 1 both answer the question.
			cmd := exec.Command("dpkg", "--compare-versions", "--", p[0], "lt", p[1])
			if err := cmd.Run(); err != nil {
				if _, ok := err.(*exec.ExitError); !ok {
					b.Fatal(err)
				}
			}
		}
	})
}
