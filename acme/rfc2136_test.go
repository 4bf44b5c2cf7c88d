package acme

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostadm/hostadm/internal/testenv"
)

// testDNS is BIND 9 serving two dynamic zones on loopback.
type testDNS struct {
	Addr    string // 127.0.0.1:port
	KeyFile string // BIND key file
	Key     TSIGKey
}

const zoneTemplate = `$TTL 60
@	IN SOA ns.%[1]s. hostmaster.%[1]s. 1 3600 600 86400 60
@	IN NS ns.%[1]s.
ns	IN A 127.0.0.1
*	IN A 127.0.0.1
%[2]s
`

// startBIND writes a configuration, two zones (example.test, whose
// _acme-challenge.alias is a permanent CNAME to
// _acme-challenge.validation, and example.net) and a TSIG key to a temporary directory and starts named on a free
// loopback port.
func startBIND(t testing.TB) *testDNS {
	t.Helper()
	testenv.RequireTool(t, "named", "dig")
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	secret := make([]byte, 32)
	rand.Read(secret)
	d := &testDNS{Key: TSIGKey{Name: "acme-update", Algorithm: "hmac-sha256", Secret: base64.StdEncoding.EncodeToString(secret)}}
	keyConf := fmt.Sprintf("key \"acme-update\" {\n\talgorithm hmac-sha256;\n\tsecret \"%s\";\n};\n", d.Key.Secret)
	d.KeyFile = filepath.Join(dir, "acme-update.key")
	port := freePort(t, "tcp")
	d.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	listen-on port %[2]d { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	recursion no;
	dnssec-validation no;
	notify no;
	allow-query { any; };
};
controls { };
include "%[3]s";
zone "example.test" { type primary; file "%[1]s/example.test.zone"; allow-update { key "acme-update"; }; };
zone "example.net" { type primary; file "%[1]s/example.net.zone"; allow-update { key "acme-update"; }; };
`, dir, port, d.KeyFile)
	files := map[string]string{
		"named.conf":        conf,
		"acme-update.key":   keyConf,
		"example.test.zone": fmt.Sprintf(zoneTemplate, "example.test", "_acme-challenge.alias IN CNAME _acme-challenge.validation.example.test."),
		"example.net.zone":  fmt.Sprintf(zoneTemplate, "example.net", ""),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startProcess(t, "named", nil, "-g", "-c", filepath.Join(dir, "named.conf"))
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := new(dns.Msg)
		m.SetQuestion("example.net.", dns.TypeSOA)
		r, _, err := (&dns.Client{Net: "tcp", Timeout: time.Second}).Exchange(m, d.Addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("named did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// dig asks the server with BIND's own dig, an independent oracle.
func (d *testDNS) dig(t testing.TB, name, typ string) []string {
	t.Helper()
	host, port, _ := strings.Cut(d.Addr, ":")
	out, err := exec.Command("dig", "@"+host, "-p", port, "+short", "+tcp", "+norecurse", name, typ).Output()
	if err != nil {
		t.Fatalf("dig: %v", err)
	}
	var res []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			res = append(res, strings.Trim(l, `"`))
		}
	}
	return res
}

func TestRFC2136AgainstBIND(t *testing.T) {
	d := startBIND(t)
	ctx := context.Background()
	host, port, _ := strings.Cut(d.Addr, ":")
	vars := []Var{{"NSUPDATE_SERVER", host}, {"NSUPDATE_SERVER_PORT", port}, {"NSUPDATE_KEY", d.KeyFile}}
	r, err := NewRFC2136(vars, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	name := "_acme-challenge.pve.example.test"
	for _, v := range []string{"first-value", "second-value"} {
		if err := r.Present(ctx, name, v); err != nil {
			t.Fatal(err)
		}
	}
	got := d.dig(t, name, "TXT")
	slices.Sort(got)
	if !slices.Equal(got, []string{"first-value", "second-value"}) {
		t.Errorf("dig after Present = %q", got)
	}
	// CleanUp removes only its own value.
	if err := r.CleanUp(ctx, name, "first-value"); err != nil {
		t.Fatal(err)
	}
	if got := d.dig(t, name, "TXT"); !slices.Equal(got, []string{"second-value"}) {
		t.Errorf("dig after CleanUp = %q", got)
	}
	if err := r.CleanUp(ctx, name, "second-value"); err != nil {
		t.Fatal(err)
	}
	if got := d.dig(t, name, "TXT"); len(got) != 0 {
		t.Errorf("records left: %q", got)
	}

	// Inline key variables and an explicit zone work the same.
	r2, err := NewRFC2136([]Var{{"NSUPDATE_SERVER", host}, {"NSUPDATE_SERVER_PORT", port}, {"NSUPDATE_ZONE", "example.net"},
		{"NSUPDATE_KEY_NAME", d.Key.Name}, {"NSUPDATE_KEY_SECRET", d.Key.Secret}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Present(ctx, "_acme-challenge.x.example.net", "inline"); err != nil {
		t.Fatal(err)
	}
	if got := d.dig(t, "_acme-challenge.x.example.net", "TXT"); !slices.Equal(got, []string{"inline"}) {
		t.Errorf("dig = %q", got)
	}

	// A wrong key is refused by the server, and the secret is not in
	// the error.
	bad := *r
	bad.Key = &TSIGKey{Name: d.Key.Name, Secret: base64.StdEncoding.EncodeToString([]byte("wrong key wrong key wrong key 32"))}
	err = bad.Present(ctx, name, "nope")
	if err == nil {
		t.Fatal("update with a wrong key succeeded")
	}
	if strings.Contains(err.Error(), bad.Key.Secret) || strings.Contains(err.Error(), d.Key.Secret) {
		t.Errorf("secret in error: %v", err)
	}
	if got := d.dig(t, name, "TXT"); len(got) != 0 {
		t.Errorf("unauthorized update applied: %q", got)
	}
	// No key at all: the zone allows only signed updates.
	unsigned := *r
	unsigned.Key = nil
	if err := unsigned.Present(ctx, name, "nope"); err == nil || !strings.Contains(err.Error(), "REFUSED") {
		t.Errorf("unsigned update: %v, want REFUSED", err)
	}
	// A name in no zone of the server.
	if err := r.Present(ctx, "_acme-challenge.other.invalid", "x"); err == nil {
		t.Error("update outside the server's zones succeeded")
	}
}

// TestLifecycleRFC2136 orders a certificate from Pebble, which resolves
// through BIND: one domain by http-01, one by dns-01 with native RFC 2136
// updates, one by dns-01 in CNAME alias mode. (The alias target is in the
// same zone: an authoritative-only BIND does not chase a CNAME into
// another zone, which a recursive resolver would.)
func TestLifecycleRFC2136(t *testing.T) {
	d := startBIND(t)
	ca := startCA(t, caOptions{dnsServer: d.Addr})
	root := newRoot(t, "acme: domains=web.example.test\n"+
		"acmedomain0: dns.example.test,plugin=bind\n"+
		"acmedomain3: alias.example.test,plugin=bind,alias=validation.example.test\n")
	// The key file lives in the host tree, as NSUPDATE_KEY names it.
	keyData, _ := os.ReadFile(d.KeyFile)
	if err := os.WriteFile(root+"/etc/pve/priv/acme-update.key", keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	c, log, fake := testClient(t, root, ca)
	c.cfg.Hook = nil // nsupdate runs natively
	ctx := context.Background()
	register(t, c, ca, "default")
	host, port, _ := strings.Cut(d.Addr, ":")
	delay := time.Duration(0)
	if err := c.AddPlugin(ctx, Plugin{ID: "bind", Type: DNS, API: "nsupdate", ValidationDelay: &delay,
		Data: FormatData([]Var{{"NSUPDATE_SERVER", host}, {"NSUPDATE_SERVER_PORT", port}, {"NSUPDATE_KEY", "/etc/pve/priv/acme-update.key"}})}); err != nil {
		t.Fatal(err)
	}
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	res, err := c.Order(ctx, OrderOptions{KeyType: ECDSAP256})
	if err != nil {
		t.Fatalf("Order: %v\n%s", err, log.text())
	}
	chain, _ := os.ReadFile(root + "/etc/pve/local/pveproxy-ssl.pem")
	ca.verifyChain(t, chain, res.Domains...)
	for _, n := range []string{"_acme-challenge.dns.example.test", "_acme-challenge.validation.example.test"} {
		log.wantInOrder(t, "Add TXT record: "+n, "Triggering validation", "Remove TXT record: "+n)
	}
	for _, n := range []string{"_acme-challenge.dns.example.test", "_acme-challenge.validation.example.test"} {
		if got := d.dig(t, n, "TXT"); len(got) != 0 {
			t.Errorf("%s: records left after the order: %q", n, got)
		}
	}
}

func TestParseTSIGKeyFile(t *testing.T) {
	k, err := ParseTSIGKeyFile([]byte("key \"ddns-key.example.org\" {\n\talgorithm hmac-sha512;\n\tsecret \"c2VjcmV0c2VjcmV0\";\n};\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "ddns-key.example.org" || k.alg() != "hmac-sha512" || k.Secret != "c2VjcmV0c2VjcmV0" {
		t.Errorf("key = %+v", k)
	}
	for _, bad := range []string{"", "key x { algorithm hmac-sha256; };", "key x { algorithm hmac-md4; secret \"c2Vj\"; };"} {
		if _, err := ParseTSIGKeyFile([]byte(bad)); !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseTSIGKeyFile(%q) = %v", bad, err)
		}
	}
	if _, err := NewRFC2136([]Var{{"NSUPDATE_SERVER_PORT", "99999"}}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad port accepted: %v", err)
	}
}
