package acme

// A test ACME CA: Pebble and its challenge test server, built from the
// module's tool dependencies and started on loopback for each test.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostadm/hostadm/internal/testenv"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	pebbleMod string
)

// The ACME test server the tests run against.
const (
	pebbleModule  = "github.com/letsencrypt/pebble/v2"
	pebbleVersion = "v2.10.1"
)

// pebbleBinaries builds pebble and pebble-challtestsrv once per test run.
func pebbleBinaries(t testing.TB) (string, string) {
	t.Helper()
	testenv.RequireTool(t, "go")
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "hostadm-pebble-")
		if buildErr != nil {
			return
		}
		// Built from its own module, so that the library's go.mod does not
		// carry a test server's dependencies.
		cmd := exec.Command("go", "install", pebbleModule+"/cmd/pebble@"+pebbleVersion,
			pebbleModule+"/cmd/pebble-challtestsrv@"+pebbleVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+buildDir, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building pebble: %v\n%s", err, out)
			return
		}
		var mod struct{ Dir string }
		out, err := exec.Command("go", "mod", "download", "-json", pebbleModule+"@"+pebbleVersion).Output()
		if err == nil {
			err = json.Unmarshal(out, &mod)
		}
		if err != nil || mod.Dir == "" {
			buildErr = fmt.Errorf("locating pebble: %v", err)
			return
		}
		pebbleMod = mod.Dir
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "pebble"), filepath.Join(buildDir, "pebble-challtestsrv")
}

func freePort(t testing.TB, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type testCA struct {
	Directory string       // ACME directory URL
	Client    *http.Client // trusts Pebble's TLS certificate
	HTTPPort  int          // where Pebble validates http-01
	mgmt      string       // Pebble's management URL
	chall     string       // challtestsrv's management URL ("" without)
}

type caOptions struct {
	// dnsServer is the resolver Pebble uses; "" starts challtestsrv and
	// uses it.
	dnsServer string
	// eab, when set, makes Pebble require External Account Binding with
	// these key ids and base64url HMAC keys.
	eab map[string]string
}

func startProcess(t testing.TB, name string, env []string, args ...string) *bytes.Buffer {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), out.String())
		}
	})
	return &out
}

func startCA(t testing.TB, opt caOptions) *testCA {
	t.Helper()
	pebble, challsrv := pebbleBinaries(t)
	dir := t.TempDir()
	ca := &testCA{HTTPPort: freePort(t, "tcp")}
	if opt.dnsServer == "" {
		dnsPort := freePort(t, "udp")
		mgmt := freePort(t, "tcp")
		startProcess(t, challsrv, nil,
			"-http01=", "-https01=", "-doh=", "-tlsalpn01=",
			fmt.Sprintf("-dnsserver=127.0.0.1:%d", dnsPort),
			fmt.Sprintf("-management=127.0.0.1:%d", mgmt),
			"-defaultIPv4=127.0.0.1", "-defaultIPv6=")
		opt.dnsServer = fmt.Sprintf("127.0.0.1:%d", dnsPort)
		ca.chall = fmt.Sprintf("http://127.0.0.1:%d", mgmt)
	}
	listen, mgmt := freePort(t, "tcp"), freePort(t, "tcp")
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", listen),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmt),
		"certificate":                    filepath.Join(pebbleMod, "test/certs/localhost/cert.pem"),
		"privateKey":                     filepath.Join(pebbleMod, "test/certs/localhost/key.pem"),
		"httpPort":                       ca.HTTPPort,
		"tlsPort":                        freePort(t, "tcp"),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": opt.eab != nil,
		"externalAccountMACKeys":         opt.eab,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
	}}
	data, _ := json.Marshal(conf)
	if err := os.WriteFile(filepath.Join(dir, "pebble.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, pebble, []string{
		"PEBBLE_VA_NOSLEEP=1",      // validate at once
		"PEBBLE_WFE_NONCEREJECT=0", // no random bad-nonce errors
		"PEBBLE_AUTHZREUSE=0",      // every order validates again
		"PEBBLE_CHAIN_LENGTH=2",    // leaf and intermediate
	}, "-config", filepath.Join(dir, "pebble.json"), "-dnsserver", opt.dnsServer)

	roots := x509.NewCertPool()
	pemCA, err := os.ReadFile(filepath.Join(pebbleMod, "test/certs/pebble.minica.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots.AppendCertsFromPEM(pemCA)
	ca.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	ca.Directory = fmt.Sprintf("https://127.0.0.1:%d/dir", listen)
	ca.mgmt = fmt.Sprintf("https://127.0.0.1:%d", mgmt)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := ca.Client.Get(ca.Directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ca.chall != "" {
		waitHTTP(t, ca.chall+"/set-default-ipv4", `{"ip":"127.0.0.1"}`)
	}
	return ca
}

func waitHTTP(t testing.TB, url, body string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Roots returns Pebble's current root certificate, for verifying issued
// chains.
func (ca *testCA) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := ca.Client.Get(ca.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.Bytes()) {
		t.Fatalf("no root from pebble: %q", b.String())
	}
	return pool
}

// revoked asks Pebble for a certificate's status: "Revoked" or "Valid".
func (ca *testCA) certStatus(t testing.TB, cert *x509.Certificate) string {
	t.Helper()
	resp, err := ca.Client.Get(fmt.Sprintf("%s/cert-status-by-serial/%x", ca.mgmt, cert.SerialNumber))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&st)
	return st.Status
}

// verifyChain checks that a chain file verifies against Pebble's root for
// every name.
func (ca *testCA) verifyChain(t testing.TB, chainPEM []byte, names ...string) *x509.Certificate {
	t.Helper()
	chain, err := ParseChain(chainPEM)
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	for _, n := range names {
		if _, err := chain[0].Verify(x509.VerifyOptions{DNSName: n, Roots: ca.Roots(t), Intermediates: inter}); err != nil {
			t.Errorf("chain does not verify for %s: %v", n, err)
		}
	}
	return chain[0]
}

var _ = context.Background
