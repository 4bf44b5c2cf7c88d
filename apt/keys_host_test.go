package apt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestVerifyHostInRelease verifies the real InRelease files of this
// machine's lists against Debian's archive keyring, as APT did when it
// downloaded them.
func TestVerifyHostInRelease(t *testing.T) {
	const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	testenv.RequireFile(t, keyring)
	files, _ := filepath.Glob("/var/lib/apt/lists/*debian.org*_InRelease")
	if len(files) == 0 {
		testenv.Skip(t, "no Debian InRelease files in /var/lib/apt/lists: run apt-get update")
	}
	data, err := os.ReadFile(keyring)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := ParseKeyring(keyring, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Keys) < 3 {
		t.Fatalf("only %d keys in %s", len(kr.Keys), keyring)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			in, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(name)
			text, sig, err := VerifyInRelease(in, fi.ModTime(), kr)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sig.UserID, "Debian") || sig.Keyring != keyring {
				t.Errorf("signer %+v", sig)
			}
			rel, err := ParseRelease(text)
			if err != nil || rel.Origin == "" || !strings.HasPrefix(rel.Codename, "bookworm") {
				t.Errorf("signed text is not a bookworm Release: %+v, %v", rel, err)
			}
			// One flipped byte in the signed text must fail.
			i := strings.Index(string(in), "\nSuite: ") + 3
			bad := append([]byte(nil), in...)
			bad[i] ^= 0x20
			if _, _, err := VerifyInRelease(bad, fi.ModTime(), kr); err == nil {
				t.Error("a modified InRelease verified")
			}
			t.Logf("%s signed by %s (%s) at %s", filepath.Base(name), sig.Fingerprint, sig.UserID, sig.Created.Format(time.RFC3339))
		})
	}
}
