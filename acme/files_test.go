package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/node"
)

const fixture = "../testdata/pve8"

func TestPluginsFixture(t *testing.T) {
	for _, name := range []string{fixture + PluginsFile, "../internal/sectioncfg/testdata/plugins.cfg"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := ParsePlugins(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(pc.Format()); got != string(data) {
			t.Errorf("%s: untouched file changed:\n%s", name, got)
		}
	}
	data, _ := os.ReadFile(fixture + PluginsFile)
	pc, _ := ParsePlugins("plugins.cfg", data)
	delay := 10 * time.Second
	want := []Plugin{
		{ID: "nsupdate", Type: DNS, API: "nsupdate", Data: "NSUPDATE_SERVER=ns1.example.org\nNSUPDATE_KEY=/etc/pve/priv/acme/nsupdate.key\nNSUPDATE_ZONE=example.org\n", ValidationDelay: &delay, Line: 1},
		{ID: "standalone", Type: Standalone, Line: 6},
	}
	if diff := cmp.Diff(want, pc.Plugins()); diff != "" {
		t.Errorf("Plugins mismatch (-want +got):\n%s", diff)
	}
}

func TestPluginsEdit(t *testing.T) {
	in := "# plugins\ndns: ovh\n\tapi ovh\n\tdata T1ZIX0FLPVhYWAo\n\tnodes pve1\n"
	pc, err := ParsePlugins("plugins.cfg", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := pc.Plugin(Standalone); p.Type != Standalone {
		t.Error("no implicit standalone plugin")
	}
	p, _ := pc.Plugin("ovh")
	if p.Data != "OVH_AK=XXX\n" || !p.AvailableOn("pve1") || p.AvailableOn("pve2") || p.Delay() != DefaultValidationDelay {
		t.Errorf("plugin = %+v", p)
	}
	// Changing only the nodes keeps the data line as it was.
	p.Nodes = []string{"pve1", "pve2"}
	if err := pc.Put(p); err != nil {
		t.Fatal(err)
	}
	want := "# plugins\ndns: ovh\n\tapi ovh\n\tdata T1ZIX0FLPVhYWAo\n\tnodes pve1,pve2\n"
	if diff := cmp.Diff(want, string(pc.Format())); diff != "" {
		t.Errorf("Format mismatch (-want +got):\n%s", diff)
	}
	// New data is written base64url; values with spaces survive whole.
	p.Data = "OVH_AK=XXX\nOVH_AS=a b  c\n"
	zero := time.Duration(0)
	p.ValidationDelay = &zero
	if err := pc.Put(p); err != nil {
		t.Fatal(err)
	}
	if err := pc.Put(Plugin{ID: "web", Type: Standalone, Disable: true}); err != nil {
		t.Fatal(err)
	}
	again, err := ParsePlugins("again", pc.Format())
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := again.Plugin("ovh")
	vars, _ := p2.Vars()
	if v, _ := lookupVar(vars, "OVH_AS"); v != "a b  c" || p2.Delay() != 0 {
		t.Errorf("after edit: %+v %q", p2, v)
	}
	if w, _ := again.Plugin("web"); !w.Disable || w.AvailableOn("pve1") {
		t.Errorf("web = %+v", w)
	}

	bad := []struct {
		name string
		in   string
	}{
		{"unknown type", "http: x1\n\tapi y\n"},
		{"dns without api", "dns: x1\n\tvalidation-delay 5\n"},
		{"delay", "dns: x1\n\tapi ovh\n\tvalidation-delay -1\n"},
		{"standalone api", "standalone: x1\n\tapi ovh\n"},
		{"unknown key", "dns: x1\n\tapi ovh\n\tcolor red\n"},
		{"bad data", "dns: x1\n\tapi ovh\n\tdata !!!\n"},
	}
	for _, b := range bad {
		if _, err := ParsePlugins("plugins.cfg", []byte(b.in)); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v", b.name, err)
		} else if err != nil && !strings.HasPrefix(err.Error(), "plugins.cfg:1: plugin x1: ") {
			t.Errorf("%s: error %q lacks file and line", b.name, err)
		}
	}
	for _, p := range []Plugin{
		{ID: "x", Type: DNS, API: "ovh"},
		{ID: "dd", Type: DNS, API: "OVH!"},
		{ID: "dd", Type: DNS, API: "ovh", Data: "no equals sign"},
		{ID: "dd", Type: Standalone, API: "ovh"},
	} {
		if err := pc.Put(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%+v) = %v", p, err)
		}
	}
}

func TestParseData(t *testing.T) {
	got, err := ParseData("# comment\nA=1\n\nB=x=y z\r\nC=\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Var{{"A", "1"}, {"B", "x=y z"}, {"C", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseData mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"secret-ish", "1A=secret-ish", "A=1\nA=secret-ish", "A B=secret-ish"} {
		_, err := ParseData(bad)
		if !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "secret-ish") {
			t.Errorf("ParseData(%q) = %v", bad, err)
		}
	}
}

func TestAccountFile(t *testing.T) {
	data, err := os.ReadFile(fixture + AccountDir + "/default")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAccount("default", data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Location != "https://acme-staging-v02.api.letsencrypt.org/acme/acct/123456789" || a.Directory != LetsEncryptStaging ||
		a.Status != "valid" || a.Contact[0] != "mailto:admin@example.com" || a.Key == nil {
		t.Errorf("account = %+v", a)
	}
	a.Contact = []string{"mailto:new@example.com"}
	out, err := a.Format()
	if err != nil {
		t.Fatal(err)
	}
	// Members this package does not model stay; the key stays PKCS #1.
	for _, want := range []string{`"createdAt": "2026-10-02T09:14:51.337Z"`, `"initialIp": "192.0.2.10"`, "BEGIN RSA PRIVATE KEY", "mailto:new@example.com"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("formatted account lacks %q:\n%s", want, out)
		}
	}
	b, err := ParseAccount("default", out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Location != a.Location || !b.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(a.Key.Public()) {
		t.Error("account changed in a round trip")
	}
	for _, bad := range []string{"", "[]", `{"key": 5}`, `{"location": "x"}`, `{"key": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}`} {
		if _, err := ParseAccount("bad", []byte(bad)); !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAccount(%q) = %v", bad, err)
		}
	}
}

func TestSettings(t *testing.T) {
	c, err := New(&Config{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Node() != "pve1" {
		t.Errorf("node = %q", c.Node())
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	want := &Settings{Account: "default", Domains: []Domain{
		{Domain: "pve1.example.com", Plugin: "standalone", Key: "acme", Type: Standalone},
		{Domain: "pve.example.net", Plugin: "nsupdate", Alias: "acme-challenge.example.org", Key: "acmedomain0", Type: DNS, API: "nsupdate"},
	}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Settings mismatch (-want +got):\n%s", diff)
	}
	if names, _ := c.Accounts(); len(names) != 1 || names[0] != "default" {
		t.Errorf("Accounts = %v", names)
	}

	root := newRoot(t, "acme: domains=a.example.test\nacmedomain2: b.example.test,plugin=missing\n")
	c2, _, _ := testClient(t, root, nil)
	if _, err := c2.Settings(); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "/etc/pve/nodes/pve1/config:2: acmedomain2: plugin 'missing'") {
		t.Errorf("missing plugin: %v", err)
	}
	// Editing the node config refuses to leave a dangling plugin.
	ctx := context.Background()
	err = c2.EditNodeConfig(ctx, func(cf *node.ConfigFile) error {
		return cf.SetACMEDomain(4, node.ACMEDomain{Domain: "c.example.test", Plugin: "nope"})
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("dangling plugin accepted: %v", err)
	}
	err = c2.EditNodeConfig(ctx, func(cf *node.ConfigFile) error {
		cf.DeleteACMEDomain(2)
		return cf.SetACMEDomain(0, node.ACMEDomain{Domain: "C.example.test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(root + "/etc/pve/nodes/pve1/config")
	if string(got) != "acme: domains=a.example.test\nacmedomain0: c.example.test\n" {
		t.Errorf("node config = %q", got)
	}
}

// testCert makes a certificate signed by parent (self-signed when nil).
func testCert(t testing.TB, cn string, names []string, isCA bool, parent *x509.Certificate, parentKey crypto.Signer, nb, na time.Time) (*x509.Certificate, crypto.Signer, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: names,
		NotBefore: nb, NotAfter: na, IsCA: isCA, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t testing.TB, k crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestCheckCertificate(t *testing.T) {
	now := time.Now()
	ca, caKey, caPEM := testCert(t, "Test CA", nil, true, nil, nil, now.Add(-time.Hour), now.Add(time.Hour*24*365))
	leaf, leafKey, leafPEM := testCert(t, "pve1.example.test", []string{"pve1.example.test", "*.lab.example.test"}, false, ca, caKey, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	_, otherKey, _ := testCert(t, "x", nil, false, nil, nil, now, now.Add(time.Hour))
	_, _, expiredPEM := testCert(t, "old", []string{"pve1.example.test"}, false, ca, caKey, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	good := append(append([]byte{}, leafPEM...), caPEM...)
	encrypted := []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")

	chain, key, err := CheckCertificate(good, keyPEM(t, leafKey), CheckOptions{Names: []string{"pve1.example.test", "pve2.lab.example.test"}})
	if err != nil || len(chain) != 2 || chain[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 || key == nil {
		t.Fatalf("good pair: %v", err)
	}
	// Key and chain in one file.
	if _, _, err := CheckCertificate(append(good, keyPEM(t, leafKey)...), nil, CheckOptions{}); err != nil {
		t.Errorf("combined file: %v", err)
	}
	bad := []struct {
		name       string
		chain, key []byte
		names      []string
		msg        string
	}{
		{"wrong key", good, keyPEM(t, otherKey), nil, "does not match"},
		{"encrypted key", good, encrypted, nil, "encrypted"},
		{"legacy encrypted key", good, []byte("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END EC PRIVATE KEY-----\n"), nil, "encrypted"},
		{"no key", good, nil, nil, "no private key"},
		{"chain out of order", append(append([]byte{}, caPEM...), leafPEM...), keyPEM(t, leafKey), nil, "does not match"},
		{"intermediate not the issuer", append(append([]byte{}, leafPEM...), leafPEM...), keyPEM(t, leafKey), nil, "chain out of order"},
		{"expired", expiredPEM, nil, nil, "no private key"},
		{"name not covered", good, keyPEM(t, leafKey), []string{"pve1.example.com"}, "does not cover pve1.example.com"},
		{"not PEM", []byte("hello"), nil, nil, "no PEM certificate"},
	}
	for _, b := range bad {
		_, _, err := CheckCertificate(b.chain, b.key, CheckOptions{Names: b.names})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("%s: err = %v, want %q", b.name, err, b.msg)
		}
	}
	_, expKey, exp := testCert(t, "old", []string{"pve1.example.test"}, false, nil, nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if _, _, err := CheckCertificate(exp, keyPEM(t, expKey), CheckOptions{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

func TestUploadAndProtectedTargets(t *testing.T) {
	now := time.Now()
	_, key, certPEM := testCert(t, "pve1.example.test", []string{"pve1.example.test"}, false, nil, nil, now.Add(-time.Hour), now.Add(30*24*time.Hour))
	root := newRoot(t, "")
	c, log, fake := testClient(t, root, nil)
	ctx := context.Background()
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	ci, err := c.Upload(ctx, certPEM, keyPEM(t, key), UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ci.Filename != "/etc/pve/nodes/pve1/pveproxy-ssl.pem" || ci.SANs[0] != "pve1.example.test" {
		t.Errorf("info = %+v", ci)
	}
	log.wantInOrder(t, "Setting pveproxy certificate and key", "Restarting pveproxy")
	if st, err := os.Stat(root + "/etc/pve/local/pveproxy-ssl.key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key: %v %v", st, err)
	}
	if _, err := c.Upload(ctx, certPEM, keyPEM(t, key), UploadOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("second upload without Force: %v", err)
	}
	// The node's name from /etc/hosts must be covered by default.
	_, key2, other := testCert(t, "x", []string{"other.example.test"}, false, nil, nil, now.Add(-time.Hour), now.Add(time.Hour))
	if _, err := c.Upload(ctx, other, keyPEM(t, key2), UploadOptions{Force: true}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "pve1.example.test") {
		t.Errorf("uncovered host name: %v", err)
	}
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	if err := c.DeleteCustom(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/etc/pve/local/pveproxy-ssl.pem"); !os.IsNotExist(err) {
		t.Errorf("custom certificate left: %v", err)
	}

	for _, target := range [][2]string{
		{"/etc/pve/local/pve-ssl.pem", "/etc/pve/local/x.key"},
		{"/etc/pve/nodes/pve1/x.pem", "/etc/pve/nodes/pve1/pve-ssl.key"},
		{ClusterCA, "/etc/x.key"},
		{"/etc/x.pem", ClusterCAKey},
	} {
		c2, err := New(&Config{Root: root, CertFile: target[0], KeyFile: target[1], NoRestart: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c2.Upload(ctx, certPEM, keyPEM(t, key), UploadOptions{Force: true}); !errors.Is(err, ErrProtected) {
			t.Errorf("target %v: %v, want ErrProtected", target, err)
		}
		c2.Close()
	}
	// A link that leads to a protected file is refused too.
	os.Symlink("nodes/pve1/pve-ssl.pem", root+"/etc/pve/sneaky.pem")
	c3, _ := New(&Config{Root: root, CertFile: "/etc/pve/sneaky.pem", NoRestart: true})
	defer c3.Close()
	if _, err := c3.Upload(ctx, certPEM, keyPEM(t, key), UploadOptions{Force: true}); !errors.Is(err, ErrProtected) {
		t.Errorf("link to the node certificate: %v, want ErrProtected", err)
	}
}

func TestCertificatesFixture(t *testing.T) {
	c, err := New(&Config{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	certs, err := c.Certificates()
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || certs[0].Filename != ClusterCA || certs[1].Filename != "/etc/pve/nodes/pve1/pve-ssl.pem" {
		t.Fatalf("Certificates = %+v", certs)
	}
	active, err := c.ActiveCertificate()
	if err != nil || active.Filename != "/etc/pve/nodes/pve1/pve-ssl.pem" || active.PublicKeyBits != 2048 {
		t.Errorf("ActiveCertificate = %+v, %v", active, err)
	}
	if _, _, err := c.RenewalDue(); !errors.Is(err, ErrNotFound) {
		t.Errorf("RenewalDue without a custom certificate: %v", err)
	}
}

func FuzzPluginsRoundTrip(f *testing.F) {
	for _, name := range []string{fixture + PluginsFile, "../internal/sectioncfg/testdata/plugins.cfg"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("dns: a1\n\tapi x\n\tdisable\n\tnodes a,b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pc, err := ParsePlugins("fuzz", data)
		if err != nil {
			return
		}
		if string(pc.Format()) != string(data) {
			t.Fatalf("untouched file changed")
		}
		before := pc.Plugins()
		d := 5 * time.Second
		if err := pc.Put(Plugin{ID: "fuzzplugin", Type: DNS, API: "nsupdate", Data: "K=v w\n", ValidationDelay: &d}); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		again, err := ParsePlugins("again", pc.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, pc.Format())
		}
		after := again.Plugins()
		for _, p := range before {
			q, ok := again.Plugin(p.ID)
			p.Line, q.Line = 0, 0
			if !ok || !cmp.Equal(p, q) {
				t.Fatalf("plugin %s changed: %+v -> %+v", p.ID, p, q)
			}
		}
		_ = after
	})
}

func FuzzParseData(f *testing.F) {
	f.Add("A=1\nB=two words\n")
	f.Add("# c\n\nX==\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := ParseData(s)
		if err != nil {
			return
		}
		again, err := ParseData(FormatData(vars))
		if err != nil {
			t.Fatalf("formatted data does not parse: %v", err)
		}
		if !cmp.Equal(vars, again) && !(len(vars) == 0 && len(again) == 0) {
			t.Fatalf("%q -> %q", vars, again)
		}
	})
}
