package acme

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// CertInfo describes a certificate file as pvenode cert info shows it.
type CertInfo struct {
	Filename      string    `json:"filename"`
	Fingerprint   string    `json:"fingerprint"` // SHA-256, colon-separated hex
	Subject       string    `json:"subject"`
	Issuer        string    `json:"issuer"`
	NotBefore     time.Time `json:"notbefore"`
	NotAfter      time.Time `json:"notafter"`
	SANs          []string  `json:"san,omitempty"`
	PublicKeyType string    `json:"public-key-type"`
	PublicKeyBits int       `json:"public-key-bits"`
	// ChainLength is the number of certificates in the file.
	ChainLength int    `json:"chain-length"`
	PEM         string `json:"pem,omitempty"`
}

// ParseChain parses the PEM certificates of a file, leaf first. Other
// PEM blocks (a key in the same file) are skipped.
func ParseChain(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrInvalid, len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no PEM certificate", ErrInvalid)
	}
	return out, nil
}

// Info describes a certificate.
func Info(filename string, chain []*x509.Certificate) CertInfo {
	c := chain[0]
	sum := sha256.Sum256(c.Raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	ci := CertInfo{
		Filename: filename, Fingerprint: strings.Join(hexes, ":"),
		Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		SANs: append([]string(nil), c.DNSNames...), ChainLength: len(chain),
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
	}
	for _, ip := range c.IPAddresses {
		ci.SANs = append(ci.SANs, ip.String())
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		ci.PublicKeyType, ci.PublicKeyBits = "rsaEncryption", k.N.BitLen()
	case *ecdsa.PublicKey:
		ci.PublicKeyType, ci.PublicKeyBits = "id-ecPublicKey", k.Curve.Params().BitSize
	default:
		ci.PublicKeyType = c.PublicKeyAlgorithm.String()
	}
	return ci
}

// Certificates describes the certificate files of the node that exist:
// the cluster CA, the default node certificate and the custom pveproxy
// certificate.
func (c *Client) Certificates() ([]CertInfo, error) {
	var out []CertInfo
	for _, name := range []string{ClusterCA, c.defaultCertFile(), c.certFile()} {
		ci, err := c.certInfo(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *ci)
	}
	return out, nil
}

// certInfo describes a certificate file; a missing file is an error
// wrapping fs.ErrNotExist.
func (c *Client) certInfo(name string) (*CertInfo, error) {
	data, err := c.fs.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	chain, err := ParseChain(data)
	if err != nil {
		return nil, fmt.Errorf("acme: %s: %w", name, err)
	}
	ci := Info(name, chain)
	return &ci, nil
}

// ActiveCertificate describes the certificate pveproxy uses: the custom
// pveproxy-ssl.pem when it exists, else the default pve-ssl.pem.
func (c *Client) ActiveCertificate() (*CertInfo, error) {
	for _, name := range []string{c.certFile(), c.defaultCertFile()} {
		ci, err := c.certInfo(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return ci, err
	}
	return nil, fmt.Errorf("acme: neither %s nor %s exists: %w", c.certFile(), c.defaultCertFile(), ErrNotFound)
}

// protected are the files the admin guide says never to replace.
func (c *Client) protected() []string {
	n := "/etc/pve/nodes/" + c.node
	return []string{n + "/pve-ssl.pem", n + "/pve-ssl.key", "/etc/pve/local/pve-ssl.pem", "/etc/pve/local/pve-ssl.key", ClusterCA, ClusterCAKey}
}

// checkTargets refuses certificate and key targets that are, after every
// link is followed, the default node certificate or a cluster CA file.
func (c *Client) checkTargets() error {
	var prot []string
	for _, p := range c.protected() {
		r, err := c.fs.Resolve(p)
		if err != nil {
			r = p
		}
		prot = append(prot, path.Clean(r), path.Clean(p))
	}
	for _, t := range []string{c.certFile(), c.keyFile()} {
		r, err := c.fs.Resolve(t)
		if err != nil {
			r = t
		}
		for _, p := range prot {
			if path.Clean(r) == p || path.Clean(t) == p {
				return fmt.Errorf("acme: %s: %w: the default node certificate and the cluster CA files must never be replaced", t, ErrProtected)
			}
		}
	}
	if c.certFile() == c.keyFile() {
		return fmt.Errorf("acme: %w: certificate and key file are the same", ErrInvalid)
	}
	return nil
}

// install writes the key (mode 0600) and then the chain, atomically,
// under Proxmox VE's certificate lock, and restarts the proxy.
func (c *Client) install(ctx context.Context, chain []byte, key crypto.Signer) error {
	if err := c.checkTargets(); err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	lock, err := c.fs.Lock(ctx, certLock)
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	c.progress("Setting pveproxy certificate and key")
	if err := c.fs.WriteFile(c.keyFile(), keyPEM, &rootfs.WriteOptions{Mode: 0o600}); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	if err := c.fs.WriteFile(c.certFile(), chain, &rootfs.WriteOptions{Perm: 0o640}); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return c.restart(ctx)
}

func (c *Client) restart(ctx context.Context) error {
	if c.cfg.NoRestart {
		return nil
	}
	argv := c.cfg.RestartCommand
	if argv == nil {
		argv = []string{"systemctl", "reload-or-restart", "pveproxy"}
	}
	c.progress("Restarting pveproxy")
	if _, err := c.run.Run(ctx, runner.Cmd{Args: argv, Timeout: 2 * time.Minute}); err != nil {
		return fmt.Errorf("acme: certificate installed, but restarting the proxy failed: %w", err)
	}
	return nil
}

// CheckOptions tune CheckCertificate.
type CheckOptions struct {
	// Names must each be covered by the certificate (wildcards count).
	Names []string
	// Now is the time to check validity at; zero means time.Now.
	Now time.Time
}

// CheckCertificate checks a certificate chain and its key for use by
// pveproxy: the key is present, not encrypted and belongs to the leaf;
// the chain is in order (each certificate signed by the next); the leaf
// is valid now and covers every name asked for. It returns the parsed
// chain and key. Errors wrap ErrInvalid.
func CheckCertificate(chainPEM, keyPEM []byte, opt CheckOptions) ([]*x509.Certificate, crypto.Signer, error) {
	chain, err := ParseChain(chainPEM)
	if err != nil {
		return nil, nil, err
	}
	if len(bytes.TrimSpace(keyPEM)) == 0 {
		// A key may come in the same file as the chain.
		keyPEM = chainPEM
	}
	var key crypto.Signer
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			if key, err = parsePrivateKey(pem.EncodeToMemory(b)); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	if key == nil {
		return nil, nil, fmt.Errorf("%w: no private key", ErrInvalid)
	}
	leaf := chain[0]
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return nil, nil, fmt.Errorf("%w: the key does not match the certificate", ErrInvalid)
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return nil, nil, fmt.Errorf("%w: chain out of order: certificate %d (%s) is not signed by certificate %d (%s)", ErrInvalid, i+1, chain[i].Subject, i+2, chain[i+1].Subject)
		}
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	if now.After(leaf.NotAfter) {
		return nil, nil, fmt.Errorf("%w: the certificate expired on %s", ErrInvalid, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, nil, fmt.Errorf("%w: the certificate is not valid before %s", ErrInvalid, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	for _, n := range opt.Names {
		if err := leaf.VerifyHostname(n); err != nil {
			return nil, nil, fmt.Errorf("%w: the certificate does not cover %s (it names %s)", ErrInvalid, n, strings.Join(leaf.DNSNames, ", "))
		}
	}
	return chain, key, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// UploadOptions tune Upload.
type UploadOptions struct {
	// Force replaces an existing custom certificate.
	Force bool
	// Names must be covered by the certificate; nil means the node's
	// fully qualified names from /etc/hosts.
	Names []string
}

// Upload installs a custom certificate chain and key as the pveproxy
// certificate after CheckCertificate, and restarts the proxy. keyPEM may
// be empty when chainPEM holds the key too.
func (c *Client) Upload(ctx context.Context, chainPEM, keyPEM []byte, opt UploadOptions) (*CertInfo, error) {
	if err := c.checkTargets(); err != nil {
		return nil, err
	}
	names := opt.Names
	if names == nil {
		names = c.hostNames()
	}
	chain, key, err := CheckCertificate(chainPEM, keyPEM, CheckOptions{Names: names, Now: c.now()})
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	if !opt.Force && c.fs.Exists(c.certFile()) {
		return nil, fmt.Errorf("acme: custom certificate %s %w; set Force to replace it", c.certFile(), ErrExists)
	}
	var clean []byte
	for _, cert := range chain {
		clean = append(clean, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	}
	if err := c.install(ctx, clean, key); err != nil {
		return nil, err
	}
	ci := Info(c.certFile(), chain)
	return &ci, nil
}

// DeleteCustom removes the custom certificate and key, so that pveproxy
// goes back to the default node certificate, and restarts the proxy.
func (c *Client) DeleteCustom(ctx context.Context) error {
	if err := c.checkTargets(); err != nil {
		return err
	}
	lock, err := c.fs.Lock(ctx, certLock)
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	c.progress("Deleting certificate files")
	for _, f := range []string{c.certFile(), c.keyFile()} {
		if err := c.fs.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("acme: %w", err)
		}
	}
	return c.restart(ctx)
}
