package acme

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
	"github.com/hostadm/hostadm/node"
)

// newRoot makes a minimal node tree: /etc/hostname, /etc/hosts and
// /etc/pve/local -> nodes/pve1 with the given node config.
func newRoot(t testing.TB, nodeConfig string) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(root+"/etc/pve/nodes/pve1", 0o755))
	must(os.MkdirAll(root+"/etc/pve/priv", 0o700))
	must(os.MkdirAll(root+"/var/lock", 0o755))
	must(os.Symlink("nodes/pve1", root+"/etc/pve/local"))
	must(os.WriteFile(root+"/etc/hostname", []byte("pve1\n"), 0o644))
	must(os.WriteFile(root+"/etc/hosts", []byte("127.0.0.1 localhost\n192.0.2.10 pve1.example.test pve1\n"), 0o644))
	if nodeConfig != "" {
		must(os.WriteFile(root+"/etc/pve/nodes/pve1/config", []byte(nodeConfig), 0o640))
	}
	return root
}

// progressLog collects progress lines.
type progressLog struct {
	mu    sync.Mutex
	lines []string
}

func (p *progressLog) add(line string) {
	p.mu.Lock()
	p.lines = append(p.lines, line)
	p.mu.Unlock()
}

func (p *progressLog) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// wantInOrder checks that each line appears, in this order.
func (p *progressLog) wantInOrder(t testing.TB, want ...string) {
	t.Helper()
	p.mu.Lock()
	lines := slices.Clone(p.lines)
	p.mu.Unlock()
	i := 0
	for _, w := range want {
		j := slices.IndexFunc(lines[i:], func(l string) bool { return strings.HasPrefix(l, w) })
		if j < 0 {
			t.Errorf("progress lacks %q after line %d:\n%s", w, i, strings.Join(lines, "\n"))
			return
		}
		i += j + 1
	}
}

// testClient returns a client for root that talks to ca, with the
// standalone server on the port Pebble validates, a fake runner that
// expects restarts and runs hooks for real.
func testClient(t testing.TB, root string, ca *testCA) (*Client, *progressLog, *runnertest.Fake) {
	t.Helper()
	log := &progressLog{}
	cfg := &Config{Root: root, Progress: log.add, RestartCommand: []string{"systemctl", "reload-or-restart", "pveproxy"}, HookUser: "root"}
	if ca != nil {
		cfg.HTTPClient = ca.Client
		cfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", ca.HTTPPort)
		cfg.Hook = []string{os.Args[0], hookArg}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fake := runnertest.New(t)
	fake.Handle(func(cmd runner.Cmd) (runner.Result, error) {
		return runner.Default.Run(context.Background(), cmd)
	}, os.Args[0])
	c.run = fake
	return c, log, fake
}

func register(t testing.TB, c *Client, ca *testCA, name string) *Account {
	t.Helper()
	a, err := c.Register(context.Background(), name, RegisterOptions{
		Directory: ca.Directory, Contact: []string{"admin@example.test"},
		AgreeTOS: func(string) bool { return true }, KeyBits: 2048,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLifecycleHTTP01(t *testing.T) {
	ca := startCA(t, caOptions{})
	root := newRoot(t, "#test node\nacme: domains=PVE1.example.test;www.example.test\n")
	c, log, fake := testClient(t, root, ca)
	ctx := context.Background()

	a := register(t, c, ca, "default")
	if !strings.HasPrefix(a.Location, "https://127.0.0.1:") || a.Status != "valid" || a.TOS == "" {
		t.Errorf("account = %+v", a)
	}
	st, err := os.Stat(root + AccountDir + "/default")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("account file: %v %v", st, err)
	}
	if _, err := c.Register(ctx, "default", RegisterOptions{Directory: ca.Directory}); !errors.Is(err, ErrExists) {
		t.Errorf("second register: %v, want ErrExists", err)
	}
	if _, err := c.Register(ctx, "other", RegisterOptions{Directory: ca.Directory, KeyBits: 2048}); !errors.Is(err, ErrTOS) {
		t.Errorf("register without ToS: %v, want ErrTOS", err)
	}
	if names, _ := c.Accounts(); !slices.Equal(names, []string{"default"}) {
		t.Errorf("Accounts = %v", names)
	}
	if a2, err := c.UpdateAccount(ctx, "default", []string{"ops@example.test"}); err != nil || !slices.Equal(a2.Contact, []string{"mailto:ops@example.test"}) {
		t.Errorf("UpdateAccount = %+v, %v", a2, err)
	}

	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	res, err := c.Order(ctx, OrderOptions{KeyType: ECDSAP256})
	if err != nil {
		t.Fatalf("Order: %v\n%s", err, log.text())
	}
	log.wantInOrder(t,
		"Loading ACME account details",
		"Placing ACME order",
		"Order URL: https://127.0.0.1:",
		"Getting authorization details from '",
		"The validation for ",
		"Setting up webserver",
		"Triggering validation",
		"Status is 'valid', domain '",
		"All domains validated!",
		"Creating CSR",
		"Checking order status",
		"Order is ready, finalizing order",
		"valid!",
		"Downloading certificate",
		"Setting pveproxy certificate and key",
		"Restarting pveproxy",
	)
	if !slices.Equal(res.Domains, []string{"pve1.example.test", "www.example.test"}) {
		t.Errorf("domains = %v", res.Domains)
	}
	chain, err := os.ReadFile(root + "/etc/pve/local/pveproxy-ssl.pem")
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.verifyChain(t, chain, "pve1.example.test", "www.example.test")
	if st, err := os.Stat(root + "/etc/pve/nodes/pve1/pveproxy-ssl.key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}
	keyPEM, _ := os.ReadFile(root + "/etc/pve/nodes/pve1/pveproxy-ssl.key")
	if _, _, err := CheckCertificate(chain, keyPEM, CheckOptions{Names: []string{"www.example.test"}}); err != nil {
		t.Errorf("installed pair does not check: %v", err)
	}

	// The standalone listener is gone after the order.
	if web, err := startHTTP(fmt.Sprintf("127.0.0.1:%d", ca.HTTPPort)); err != nil {
		t.Errorf("standalone port still taken after the order: %v", err)
	} else {
		web.close()
	}

	// Ordering again without Force refuses to replace the certificate.
	if _, err := c.Order(ctx, OrderOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("second order: %v, want ErrExists", err)
	}

	// Renewal: not due with a 90-day certificate and a 30-day window.
	if _, err := c.Renew(ctx, RenewOptions{}); !errors.Is(err, ErrNotDue) {
		t.Errorf("early renew: %v, want ErrNotDue", err)
	}
	if res, err := c.RenewIfDue(ctx, RenewOptions{}); res != nil || err != nil {
		t.Errorf("RenewIfDue early = %v, %v", res, err)
	}
	// A window longer than the certificate's life makes it due.
	c.cfg.RenewWithin = 365 * 24 * time.Hour
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	res, err = c.RenewIfDue(ctx, RenewOptions{Revoke: true, OrderOptions: OrderOptions{KeyType: RSA2048}})
	if err != nil || res == nil {
		t.Fatalf("RenewIfDue = %v, %v\n%s", res, err, log.text())
	}
	if !res.Revoked {
		t.Errorf("old certificate not revoked: %s", res.RevokeError)
	}
	if got := ca.certStatus(t, leaf); got != "Revoked" {
		t.Errorf("old certificate status %q, want Revoked", got)
	}
	chain2, _ := os.ReadFile(root + "/etc/pve/local/pveproxy-ssl.pem")
	leaf2 := ca.verifyChain(t, chain2, "pve1.example.test")
	if leaf2.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("renewal kept the old certificate")
	}
	if ci, err := c.ActiveCertificate(); err != nil || ci.PublicKeyType != "rsaEncryption" || ci.PublicKeyBits != 2048 {
		t.Errorf("ActiveCertificate = %+v, %v", ci, err)
	}

	// Revoke and delete: pveproxy goes back to the default certificate.
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	if err := c.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ca.certStatus(t, leaf2); got != "Revoked" {
		t.Errorf("revoked certificate status %q", got)
	}
	if _, err := os.Stat(root + "/etc/pve/local/pveproxy-ssl.pem"); !os.IsNotExist(err) {
		t.Errorf("custom certificate left: %v", err)
	}

	// Deactivation renames the file as Proxmox VE does.
	os.WriteFile(root+AccountDir+"/_deactivated_default_0", []byte("{}"), 0o600)
	newName, err := c.DeactivateAccount(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if newName != AccountDir+"/_deactivated_default_1" {
		t.Errorf("renamed to %s", newName)
	}
	if names, _ := c.Accounts(); len(names) != 0 {
		t.Errorf("Accounts after deactivation = %v", names)
	}
	log.wantInOrder(t, "Renaming account file from '/etc/pve/priv/acme/default' to '/etc/pve/priv/acme/_deactivated_default_1'")
	dead, err := os.ReadFile(root + newName)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := ParseAccount("x", dead)
	if err != nil {
		t.Fatal(err)
	}
	cl := c.accountClient(acct)
	if got, err := cl.GetReg(ctx, acct.Location); err == nil && got.Status != "deactivated" {
		t.Errorf("account status at the CA = %q", got.Status)
	}
}

// TestLifecycleDNS01 orders one certificate for three domains: one by
// http-01, one by dns-01 through the exec hook, and one by dns-01 in
// CNAME alias mode, and checks that the hook got whole values on stdin and
// nothing secret in argv, and that every record was removed.
func TestLifecycleDNS01(t *testing.T) {
	ca := startCA(t, caOptions{})
	waitHTTP(t, ca.chall+"/set-cname", `{"host":"_acme-challenge.alias.example.test.","target":"_acme-challenge.delegated.example.net."}`)
	root := newRoot(t, "acme: domains=web.example.test\n"+
		"acmedomain0: dns.example.test,plugin=testdns\n"+
		"acmedomain1: alias.example.test,plugin=testdns,alias=delegated.example.net\n")
	c, log, fake := testClient(t, root, ca)
	ctx := context.Background()
	register(t, c, ca, "default")

	hookLog := filepath.Join(t.TempDir(), "hook.jsonl")
	secret := "s3cr3t value with spaces"
	delay := time.Duration(0)
	if err := c.AddPlugin(ctx, Plugin{ID: "testdns", Type: DNS, API: "challtest", ValidationDelay: &delay,
		Data: FormatData([]Var{{"CHALLTESTSRV", ca.chall}, {"HOOK_LOG", hookLog}, {"SECRET", secret}})}); err != nil {
		t.Fatal(err)
	}
	fake.Expect("systemctl", "reload-or-restart", "pveproxy")
	if _, err := c.Order(ctx, OrderOptions{KeyType: ECDSAP384}); err != nil {
		t.Fatalf("Order: %v\n%s", err, log.text())
	}
	chain, _ := os.ReadFile(root + "/etc/pve/local/pveproxy-ssl.pem")
	ca.verifyChain(t, chain, "web.example.test", "dns.example.test", "alias.example.test")
	log.wantInOrder(t, "Add TXT record: _acme-challenge.", "Status is 'valid'", "Remove TXT record: _acme-challenge.")
	if !strings.Contains(log.text(), "Add TXT record: _acme-challenge.delegated.example.net") {
		t.Errorf("alias record not set:\n%s", log.text())
	}

	calls := readHookLog(t, hookLog)
	var setups, teardowns []string
	for _, call := range calls {
		if call.Vars["SECRET"] != secret {
			t.Errorf("hook got SECRET %q, want the whole value %q", call.Vars["SECRET"], secret)
		}
		if len(call.TXT) != 43 {
			t.Errorf("hook got TXT value %q", call.TXT)
		}
		for _, a := range call.Argv {
			if strings.Contains(a, "s3cr3t") {
				t.Errorf("secret in argv %q", call.Argv)
			}
		}
		switch call.Argv[0] {
		case "setup":
			setups = append(setups, call.Argv[2])
		case "teardown":
			teardowns = append(teardowns, call.Argv[2])
		}
		if call.Argv[1] != "challtest" {
			t.Errorf("api argument %q", call.Argv[1])
		}
	}
	slices.Sort(setups)
	slices.Sort(teardowns)
	want := []string{"delegated.example.net", "dns.example.test"}
	if !slices.Equal(setups, want) || !slices.Equal(teardowns, want) {
		t.Errorf("setups %v teardowns %v, want %v each", setups, teardowns, want)
	}

	// A failing hook: the order fails, the secret is redacted from the
	// error and progress, and what was set up is torn down.
	if err := c.UpdatePlugin(ctx, "testdns", func(p *Plugin) error {
		p.Data += "FAIL=setup\n"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	os.Remove(hookLog)
	_, err := c.Order(ctx, OrderOptions{Force: true, KeyType: ECDSAP256})
	if err == nil {
		t.Fatal("order with a failing hook succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(log.text(), "s3cr3t") {
		t.Errorf("secret leaked:\nerr: %v\nprogress:\n%s", err, log.text())
	}
	if !strings.Contains(err.Error(), runner.Redacted) {
		t.Errorf("error does not show the redacted failure: %v", err)
	}
	calls = readHookLog(t, hookLog)
	if n := len(calls); n != 2 || calls[1].Argv[0] != "teardown" {
		t.Errorf("after a failed setup want setup then teardown, got %d calls: %+v", n, calls)
	}
}

func readHookLog(t testing.TB, name string) []hookCall {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hookCall
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c hookCall
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestExternalAccountBinding(t *testing.T) {
	ca := startCA(t, caOptions{eab: map[string]string{"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}})
	c, _, _ := testClient(t, newRoot(t, ""), ca)
	ctx := context.Background()
	meta, err := c.Meta(ctx, ca.Directory)
	if err != nil || !meta.ExternalAccountRequired || meta.TermsOfService == "" {
		t.Fatalf("Meta = %+v, %v", meta, err)
	}
	agree := func(string) bool { return true }
	if _, err := c.Register(ctx, "eab", RegisterOptions{Directory: ca.Directory, AgreeTOS: agree, KeyBits: 2048}); !errors.Is(err, ErrInvalid) {
		t.Errorf("register without EAB: %v", err)
	}
	if _, err := c.Register(ctx, "eab", RegisterOptions{Directory: ca.Directory, AgreeTOS: agree, KeyBits: 2048,
		EAB: &EAB{KID: "kid-1", HMACKey: "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}}); err != nil {
		t.Errorf("register with EAB: %v", err)
	}
}

func TestStandalonePortInUse(t *testing.T) {
	web, err := startHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer web.close()
	_, err = startHTTP(web.Addr().String())
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("err = %v, want ErrPortInUse", err)
	}
	// This process holds the port; /proc tells its name.
	if !strings.Contains(err.Error(), "(pid ") {
		t.Errorf("error does not name the holder: %v", err)
	}
}

var _ = node.ConfigPath
