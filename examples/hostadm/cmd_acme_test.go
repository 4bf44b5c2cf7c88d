package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const acmeFixture = "../../testdata/pve8"

// acmeCopyTree copies the fixture's /etc so that commands can write to it.
func acmeCopyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-a", acmeFixture+"/etc", dst+"/").CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	os.MkdirAll(dst+"/var/lock", 0o755)
	return dst
}

func TestACMEReadCommands(t *testing.T) {
	out, stderr, code := runAdm(t, "acme", "plugin", "list", "--root", acmeFixture)
	if code != 0 || !strings.Contains(out, "nsupdate    dns") || !strings.Contains(out, "standalone  standalone") {
		t.Errorf("plugin list: exit %d %s\n%s", code, stderr, out)
	}
	out, _, code = runAdm(t, "acme", "plugin", "config", "nsupdate", "--root", acmeFixture)
	if code != 0 || !strings.Contains(out, "NSUPDATE_SERVER=<hidden>") || strings.Contains(out, "ns1.example.org") {
		t.Errorf("plugin config hides data: exit %d\n%s", code, out)
	}
	out, _, _ = runAdm(t, "acme", "plugin", "config", "nsupdate", "--show-data", "--json", "--root", acmeFixture)
	var p struct {
		Plugin string
		API    string
		Data   []struct{ Key, Value string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Plugin != "nsupdate" || len(p.Data) != 3 || p.Data[0].Value != "ns1.example.org" {
		t.Errorf("plugin config --json: %v %+v\n%s", err, p, out)
	}
	out, _, code = runAdm(t, "acme", "account", "list", "--json", "--root", acmeFixture)
	var accts []struct{ Name, Status, Location string }
	if err := json.Unmarshal([]byte(out), &accts); err != nil || code != 0 || len(accts) != 1 || accts[0].Name != "default" || strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("account list: %v %+v\n%s", err, accts, out)
	}
	out, _, code = runAdm(t, "acme", "cert", "info", "--json", "--root", acmeFixture)
	var certs []struct {
		Filename string
		San      []string
	}
	if err := json.Unmarshal([]byte(out), &certs); err != nil || code != 0 || len(certs) != 2 || certs[1].Filename != "/etc/pve/nodes/pve1/pve-ssl.pem" {
		t.Errorf("cert info: %v %+v", err, certs)
	}
	if _, stderr, code := runAdm(t, "acme", "renew", "--root", acmeFixture); code != 1 || !strings.Contains(stderr, "no current (custom) certificate") {
		t.Errorf("renew without a certificate: exit %d %s", code, stderr)
	}
	if _, _, code := runAdm(t, "acme", "plugin", "config"); code != 2 {
		t.Errorf("missing argument: exit %d", code)
	}
}

func TestACMEWriteCommands(t *testing.T) {
	root := acmeCopyTree(t)
	data := filepath.Join(t.TempDir(), "creds")
	os.WriteFile(data, []byte("OVH_AK=key\nOVH_AS=secret with spaces\n"), 0o600)
	if _, stderr, code := runAdm(t, "acme", "plugin", "add", "dns", "ovh1", "--api", "ovh", "--data", data, "--validation-delay", "5", "--root", root); code != 0 {
		t.Fatalf("plugin add: exit %d %s", code, stderr)
	}
	cfg, _ := os.ReadFile(root + "/etc/pve/priv/acme/plugins.cfg")
	orig, _ := os.ReadFile(acmeFixture + "/etc/pve/priv/acme/plugins.cfg")
	if !strings.HasPrefix(string(cfg), string(orig)) || !strings.Contains(string(cfg), "\ndns: ovh1\n\tapi ovh\n\tdata ") {
		t.Errorf("plugins.cfg:\n%s", cfg)
	}
	if _, stderr, code := runAdm(t, "acme", "plugin", "add", "dns", "ovh1", "--api", "ovh", "--root", root); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate plugin: exit %d %s", code, stderr)
	}
	if _, _, code := runAdm(t, "acme", "plugin", "remove", "ovh1", "--root", root); code != 0 {
		t.Errorf("plugin remove: exit %d", code)
	}
	if cfg, _ := os.ReadFile(root + "/etc/pve/priv/acme/plugins.cfg"); string(cfg) != string(orig) {
		t.Errorf("add then remove changed the file:\n%s", cfg)
	}

	// Upload a certificate for the node's name; --root means no restart.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "pve1.example.com"}, DNSNames: []string{"pve1.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(60 * 24 * time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	os.WriteFile(dir+"/cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(dir+"/key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	out, stderr, code := runAdm(t, "acme", "cert", "upload", dir+"/cert.pem", dir+"/key.pem", "--root", root)
	if code != 0 || !strings.Contains(out, "installed /etc/pve/nodes/pve1/pveproxy-ssl.pem for pve1.example.com") {
		t.Fatalf("upload: exit %d %s\n%s", code, stderr, out)
	}
	if st, err := os.Stat(root + "/etc/pve/local/pveproxy-ssl.key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}
	if _, stderr, code := runAdm(t, "acme", "renew", "--root", root); code != 1 || !strings.Contains(stderr, "renewal window") {
		t.Errorf("renew of a fresh certificate: exit %d %s", code, stderr)
	}
	if out, _, code := runAdm(t, "acme", "renew", "--if-due", "--root", root); code != 0 || !strings.Contains(out, "not due") {
		t.Errorf("renew --if-due: exit %d %s", code, out)
	}
}
