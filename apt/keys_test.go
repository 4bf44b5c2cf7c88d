package apt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func testKey(t *testing.T, name string, lifetime uint32) (*openpgp.Entity, []byte) {
	t.Helper()
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := openpgp.NewEntity(name, "", "repo@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }, KeyLifetimeSecs: lifetime,
	})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	return e, pub.Bytes()
}

// TestReleaseGPG checks a repository that publishes Release and a
// detached Release.gpg instead of InRelease, signed by a key named with
// Signed-By, and the expiry of keys.
func TestReleaseGPG(t *testing.T) {
	e, pub := testKey(t, "Example Archive Key", 365*24*3600)
	root := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	release := []byte("Origin: Example\nSuite: stable\nCodename: bookworm\n")
	var sig bytes.Buffer
	signTime := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(release), &packet.Config{Time: func() time.Time { return signTime }}); err != nil {
		t.Fatal(err)
	}
	write("etc/apt/sources.list", []byte("deb [signed-by=/usr/share/keyrings/example.gpg] http://repo.example.org/debian bookworm main\n"))
	write("usr/share/keyrings/example.gpg", pub)
	write("var/lib/apt/lists/repo.example.org_debian_dists_bookworm_Release", release)
	write("var/lib/apt/lists/repo.example.org_debian_dists_bookworm_Release.gpg", sig.Bytes())
	c, err := New(&Config{Root: root, Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checks, err := c.VerifyRepositories(signTime)
	if err != nil || len(checks) != 1 || checks[0].Signature == nil || checks[0].Signature.Keyring != "/usr/share/keyrings/example.gpg" {
		t.Fatalf("checks %+v, %v", checks, err)
	}
	// 365 days after its creation (2024 is a leap year) the key has expired.
	later := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	if checks, _ := c.VerifyRepositories(later); checks[0].Err == nil {
		t.Error("verified with an expired key")
	}
	kr, _ := ParseKeyring("k", pub)
	if k := kr.Keys[0]; k.Expires != time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC) || !k.Expired(later) || k.Algorithm != "Ed25519" {
		t.Errorf("key %+v", k)
	}
	// A modified Release fails; a missing Release.gpg is an error too.
	write("var/lib/apt/lists/repo.example.org_debian_dists_bookworm_Release", append(release, "X: y\n"...))
	if checks, _ := c.VerifyRepositories(signTime); !errors.Is(checks[0].Err, ErrSignature) {
		t.Errorf("modified Release: %v", checks[0].Err)
	}
	os.Remove(filepath.Join(root, "var/lib/apt/lists/repo.example.org_debian_dists_bookworm_Release.gpg"))
	if checks, _ := c.VerifyRepositories(signTime); !errors.Is(checks[0].Err, ErrSignature) {
		t.Errorf("no Release.gpg: %v", checks[0].Err)
	}
}

// TestSignedByFingerprint selects one trusted key by fingerprint and an
// inline key block.
func TestSignedByFingerprint(t *testing.T) {
	e, pub := testKey(t, "Fingerprint Key", 0)
	_, otherPub := testKey(t, "Other Key", 0)
	root := t.TempDir()
	os.MkdirAll(root+"/etc/apt/trusted.gpg.d", 0o755)
	os.WriteFile(root+"/etc/apt/trusted.gpg.d/a.gpg", pub, 0o644)
	os.WriteFile(root+"/etc/apt/trusted.gpg.d/b.gpg", otherPub, 0o644)
	c, err := New(&Config{Root: root, Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fp := fingerprint(e.PrimaryKey.Fingerprint)
	f := mustParse(t, "/etc/apt/sources.list", "deb [signed-by="+fp+"] http://x/ bookworm main\n")
	krs, err := c.EntryKeyrings(f.Entries[0])
	if err != nil || len(krs) != 1 || len(krs[0].Keys) != 1 || krs[0].Keys[0].Fingerprint != fp {
		t.Fatalf("keyrings %+v, %v", krs, err)
	}
	f = mustParse(t, "/etc/apt/sources.list", "deb [signed-by=0000000000000000000000000000000000000000] http://x/ bookworm main\n")
	if _, err := c.EntryKeyrings(f.Entries[0]); err == nil {
		t.Error("unknown fingerprint accepted")
	}
	trusted, _ := c.EntryKeyrings(mustParse(t, "/etc/apt/sources.list", "deb http://x/ bookworm main\n").Entries[0])
	if len(trusted) != 2 {
		t.Errorf("%d trusted keyrings, want 2", len(trusted))
	}
}
