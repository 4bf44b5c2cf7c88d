package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	xacme "golang.org/x/crypto/acme"
)

// KeyType is the type of a certificate's private key.
type KeyType string

// Key types for OrderOptions.KeyType.
const (
	RSA2048   KeyType = "rsa2048"
	RSA4096   KeyType = "rsa4096"
	ECDSAP256 KeyType = "ec256"
	ECDSAP384 KeyType = "ec384"
)

// KeyTypes lists the supported key types.
var KeyTypes = []KeyType{RSA2048, RSA4096, ECDSAP256, ECDSAP384}

// GenerateKey makes a new private key of the type.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096, "":
		return rsa.GenerateKey(rand.Reader, 4096)
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("acme: %w: key type %q (want one of rsa2048, rsa4096, ec256, ec384)", ErrInvalid, t)
}

// OrderOptions tune Order.
type OrderOptions struct {
	// KeyType is the certificate key's type; "" means RSA4096.
	KeyType KeyType
	// Force replaces an existing custom certificate; without it Order
	// fails with ErrExists when there is one.
	Force bool
}

// Result is a certificate that was ordered and installed.
type Result struct {
	OrderURL string    `json:"order_url"`
	CertURL  string    `json:"cert_url,omitempty"`
	Domains  []string  `json:"domains"`
	NotAfter time.Time `json:"notafter"`
	CertFile string    `json:"cert_file"`
	KeyFile  string    `json:"key_file"`
	// Revoked says whether the replaced certificate was revoked (Renew
	// with Revoke); RevokeError says why not when it failed.
	Revoked     bool   `json:"revoked,omitempty"`
	RevokeError string `json:"revoke_error,omitempty"`
	// Chain is the PEM certificate chain, leaf first.
	Chain []byte `json:"-"`
}

// Order orders a certificate for the node's ACME domains with the node's
// account, validating each domain with its plugin, and installs it as the
// pveproxy certificate, then runs the restart command. Progress lines
// follow pvenode acme cert order. Every TXT record and listener set up
// is removed again, also when the order fails or ctx ends.
func (c *Client) Order(ctx context.Context, opt OrderOptions) (*Result, error) {
	if !opt.Force && c.fs.Exists(c.certFile()) {
		return nil, fmt.Errorf("acme: custom certificate %s %w; set Force to replace it", c.certFile(), ErrExists)
	}
	return c.orderAndInstall(ctx, opt)
}

func (c *Client) orderAndInstall(ctx context.Context, opt OrderOptions) (*Result, error) {
	if opt.KeyType != "" && !slices.Contains(KeyTypes, opt.KeyType) {
		return nil, fmt.Errorf("acme: %w: key type %q (want one of rsa2048, rsa4096, ec256, ec384)", ErrInvalid, opt.KeyType)
	}
	if err := c.checkTargets(); err != nil {
		return nil, err
	}
	settings, err := c.Settings()
	if err != nil {
		return nil, err
	}
	if len(settings.Domains) == 0 {
		return nil, fmt.Errorf("acme: %w: ACME domain list in node configuration is missing (set acme: domains=... or acmedomain0 in %s)", ErrInvalid, "/etc/pve/nodes/"+c.node+"/config")
	}
	acct, err := c.Account(settings.Account)
	if err != nil {
		return nil, err
	}
	c.progress("Loading ACME account details")
	cl := c.accountClient(acct)
	if _, err := cl.GetReg(ctx, acct.Location); err != nil {
		return nil, fmt.Errorf("acme: loading account %s: %w", acct.Name, err)
	}
	res, key, err := c.order(ctx, cl, settings, opt.KeyType)
	if err != nil {
		return nil, err
	}
	if err := c.install(ctx, res.Chain, key); err != nil {
		return nil, err
	}
	res.CertFile, res.KeyFile = c.certFile(), c.keyFile()
	return res, nil
}

// challenge is one pending authorization and what was set up for it.
type challenge struct {
	authzURL string
	domain   Domain
	chal     *xacme.Challenge
	record   string // dns-01: the TXT record name
	value    string // dns-01: TXT value; http-01: key authorization
	provider DNSProvider
	active   bool
}

func (c *Client) order(ctx context.Context, cl *xacme.Client, s *Settings, kt KeyType) (*Result, crypto.Signer, error) {
	names := make([]string, len(s.Domains))
	byName := map[string]Domain{}
	for i, d := range s.Domains {
		names[i] = d.Domain
		byName[d.Domain] = d
	}
	pc, _, err := c.readPlugins()
	if err != nil {
		return nil, nil, err
	}
	c.progress("Placing ACME order")
	o, err := cl.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil {
		return nil, nil, fmt.Errorf("acme: placing order: %w", err)
	}
	c.progress("Order URL: %s", o.URI)

	var pending []*challenge
	var web *httpSolver
	providers := map[string]DNSProvider{}
	var cleanups []func()
	teardown := func(ctx context.Context) {
		for _, ch := range pending {
			if !ch.active {
				continue
			}
			ch.active = false
			if ch.provider != nil {
				if err := ch.provider.CleanUp(ctx, ch.record, ch.value); err != nil {
					c.progress("%v", err)
				} else {
					c.progress("Remove TXT record: %s", ch.record)
				}
			} else if web != nil {
				web.remove(ch.chal.Token)
			}
		}
		if web != nil {
			web.close()
			web = nil
		}
		for _, f := range cleanups {
			f()
		}
		cleanups = nil
	}
	defer func() {
		// Clean up even when ctx has ended, within a bound of its own.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		teardown(cctx)
	}()

	var delay time.Duration
	for _, u := range o.AuthzURLs {
		c.progress("")
		c.progress("Getting authorization details from '%s'", u)
		az, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return nil, nil, fmt.Errorf("acme: authorization %s: %w", u, err)
		}
		name := strings.ToLower(az.Identifier.Value)
		if az.Status == xacme.StatusValid {
			c.progress("%s is already validated!", name)
			continue
		}
		c.progress("The validation for %s is pending!", name)
		d, ok := byName[name]
		if !ok {
			return nil, nil, fmt.Errorf("acme: no config for domain '%s'", name)
		}
		p, _ := pc.Plugin(d.Plugin)
		want := "http-01"
		if p.Type == DNS {
			want = "dns-01"
		}
		var chal *xacme.Challenge
		for _, ch := range az.Challenges {
			if ch.Type == want {
				chal = ch
			}
		}
		if chal == nil {
			return nil, nil, fmt.Errorf("acme: domain '%s': the CA offers no %s challenge for plugin '%s'", name, want, p.ID)
		}
		ch := &challenge{authzURL: u, domain: d, chal: chal}
		pending = append(pending, ch)
		switch p.Type {
		case Standalone:
			if web == nil {
				c.progress("Setting up webserver")
				if web, err = startHTTP(c.cfg.HTTPAddr); err != nil {
					return nil, nil, err
				}
			}
			if ch.value, err = cl.HTTP01ChallengeResponse(chal.Token); err != nil {
				return nil, nil, err
			}
			web.add(chal.Token, ch.value)
			ch.active = true
		case DNS:
			prov, ok := providers[p.ID]
			if !ok {
				var cleanup func()
				if prov, cleanup, err = c.dnsProvider(p); err != nil {
					return nil, nil, err
				}
				providers[p.ID] = prov
				cleanups = append(cleanups, cleanup)
			}
			if ch.value, err = cl.DNS01ChallengeRecord(chal.Token); err != nil {
				return nil, nil, err
			}
			target := d.Domain
			if d.Alias != "" {
				target = d.Alias
			}
			ch.record, ch.provider = "_acme-challenge."+target, prov
			ch.active = true // a failed setup may have left a partial record
			if err := prov.Present(ctx, ch.record, ch.value); err != nil {
				return nil, nil, err
			}
			c.progress("Add TXT record: %s", ch.record)
			delay = max(delay, p.Delay())
		}
	}
	if delay > 0 {
		c.progress("Sleeping %d seconds to wait for TXT record propagation", int(delay.Seconds()))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	for _, ch := range pending {
		c.progress("Triggering validation for %s", ch.domain.Domain)
		if _, err := cl.Accept(ctx, ch.chal); err != nil {
			return nil, nil, fmt.Errorf("acme: triggering validation of '%s': %w", ch.domain.Domain, err)
		}
	}
	for _, ch := range pending {
		if _, err := cl.WaitAuthorization(ctx, ch.authzURL); err != nil {
			return nil, nil, fmt.Errorf("acme: validating challenge '%s' for '%s' failed: %w", ch.authzURL, ch.domain.Domain, err)
		}
		c.progress("Status is 'valid', domain '%s' OK!", ch.domain.Domain)
	}
	teardown(ctx)
	c.progress("")
	c.progress("All domains validated!")
	c.progress("")
	c.progress("Creating CSR")
	key, err := GenerateKey(kt)
	if err != nil {
		return nil, nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
	}, key)
	if err != nil {
		return nil, nil, err
	}
	c.progress("Checking order status")
	if o, err = cl.WaitOrder(ctx, o.URI); err != nil {
		return nil, nil, fmt.Errorf("acme: order %s: %w", o.URI, err)
	}
	c.progress("Order is ready, finalizing order")
	der, certURL, err := cl.CreateCertFromOrder(ctx, o, csr, true)
	if err != nil {
		return nil, nil, fmt.Errorf("acme: finalizing order: %w", err)
	}
	c.progress("valid!")
	c.progress("")
	c.progress("Downloading certificate")
	var chain []byte
	for _, b := range der {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})...)
	}
	leaf, err := x509.ParseCertificate(der[0])
	if err != nil {
		return nil, nil, fmt.Errorf("acme: the CA sent a bad certificate: %w", err)
	}
	return &Result{OrderURL: o.URI, CertURL: certURL, Domains: names, NotAfter: leaf.NotAfter, Chain: chain}, key, nil
}

// dnsProvider returns the native provider of a dns plugin's API, or the
// hook that runs it.
func (c *Client) dnsProvider(p Plugin) (DNSProvider, func(), error) {
	vars, err := p.Vars()
	if err != nil {
		return nil, nil, fmt.Errorf("acme: plugin %s: %w", p.ID, err)
	}
	if p.API == "nsupdate" && c.cfg.Hook == nil {
		r, err := NewRFC2136(vars, c.fs.ReadFile)
		if err != nil {
			return nil, nil, fmt.Errorf("acme: plugin %s: %w", p.ID, err)
		}
		r.Timeout = c.rfc2136Timeout
		return r, func() {}, nil
	}
	return c.hookProvider(p)
}

// RenewOptions tune Renew.
type RenewOptions struct {
	OrderOptions
	// Revoke revokes the replaced certificate after a successful
	// renewal, as pvenode acme cert renew does.
	Revoke bool
}

// RenewalDue reports whether the installed certificate has expired or
// expires within Config.RenewWithin (30 days by default), and when it
// expires. The error wraps ErrNotFound when there is no custom
// certificate.
func (c *Client) RenewalDue() (bool, time.Time, error) {
	data, err := c.fs.ReadFile(c.certFile())
	if errors.Is(err, fs.ErrNotExist) {
		return false, time.Time{}, fmt.Errorf("acme: no current (custom) certificate %s: %w; order a new certificate", c.certFile(), ErrNotFound)
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("acme: %w", err)
	}
	certs, err := ParseChain(data)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("acme: %s: %w", c.certFile(), err)
	}
	within := c.cfg.RenewWithin
	if within == 0 {
		within = 30 * 24 * time.Hour
	}
	na := certs[0].NotAfter
	return !c.now().Add(within).Before(na), na, nil
}

// Renew orders a new certificate for the node's domains when the
// installed one is due (see RenewalDue), or always with Force, installs
// it and, with Revoke, revokes the old one. When it is not due it fails
// with ErrNotDue.
func (c *Client) Renew(ctx context.Context, opt RenewOptions) (*Result, error) {
	due, notAfter, err := c.RenewalDue()
	if err != nil {
		return nil, err
	}
	if !due && !opt.Force {
		return nil, fmt.Errorf("acme: %w: it expires %s; set Force to renew anyway", ErrNotDue, notAfter.UTC().Format(time.RFC3339))
	}
	old, err := c.fs.ReadFile(c.certFile())
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	res, err := c.orderAndInstall(ctx, opt.OrderOptions)
	if err != nil {
		return nil, err
	}
	if opt.Revoke {
		c.progress("Revoking old certificate")
		if err := c.revoke(ctx, old); err != nil {
			res.RevokeError = err.Error()
			c.progress("Revoke request to CA failed: %v", err)
		} else {
			res.Revoked = true
		}
	}
	return res, nil
}

// RenewIfDue is what a daily timer calls: it renews the certificate when
// the node has ACME domains, a custom certificate is installed and it is
// due, and otherwise does nothing and returns nil, nil.
func (c *Client) RenewIfDue(ctx context.Context, opt RenewOptions) (*Result, error) {
	s, err := c.Settings()
	if err != nil {
		return nil, err
	}
	if len(s.Domains) == 0 {
		return nil, nil
	}
	due, _, err := c.RenewalDue()
	if errors.Is(err, ErrNotFound) || err == nil && !due {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	opt.Force = true
	return c.Renew(ctx, opt)
}

func (c *Client) revoke(ctx context.Context, chainPEM []byte) error {
	certs, err := ParseChain(chainPEM)
	if err != nil {
		return err
	}
	s, err := c.Settings()
	if err != nil {
		return err
	}
	acct, err := c.Account(s.Account)
	if err != nil {
		return err
	}
	return c.accountClient(acct).RevokeCert(ctx, nil, certs[0].Raw, xacme.CRLReasonSuperseded)
}

// Revoke revokes the installed custom certificate with the node's ACME
// account, deletes its files and restarts the proxy, which goes back to
// the default node certificate.
func (c *Client) Revoke(ctx context.Context) error {
	data, err := c.fs.ReadFile(c.certFile())
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("acme: no custom certificate %s: %w", c.certFile(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	c.progress("Loading ACME account details")
	c.progress("Revoking old certificate")
	if err := c.revoke(ctx, data); err != nil && !strings.Contains(err.Error(), "expired") {
		return fmt.Errorf("acme: revoke request to CA failed: %w", err)
	}
	return c.DeleteCustom(ctx)
}
