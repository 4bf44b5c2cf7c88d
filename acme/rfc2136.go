package acme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// TSIGKey is a transaction signature key (RFC 8945) for dynamic updates.
type TSIGKey struct {
	// Name is the key name, such as "acme-update".
	Name string
	// Algorithm is "hmac-sha256" (the default when empty), "hmac-sha512",
	// "hmac-sha384", "hmac-sha224" or "hmac-sha1".
	Algorithm string
	// Secret is the base64 key. It is never printed.
	Secret string
}

var tsigAlgorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// RFC2136 sets TXT records with DNS dynamic updates (RFC 2136) signed
// with TSIG, against the primary server of the zone. It is the native
// implementation of dns plugins whose api is "nsupdate".
type RFC2136 struct {
	// Server is the primary's address, host:port.
	Server string
	// Zone is the zone to update; "" means the zone the server reports
	// as authoritative for the record (from the SOA it returns).
	Zone string
	// Key signs the updates; nil sends them unsigned.
	Key *TSIGKey
	// TTL of the records; 0 means 60 seconds.
	TTL uint32
	// Timeout bounds each exchange; 0 means 10 seconds.
	Timeout time.Duration
}

// NewRFC2136 builds an RFC2136 provider from the variables of acme.sh's
// nsupdate dnsapi: NSUPDATE_SERVER (default localhost),
// NSUPDATE_SERVER_PORT (default 53), NSUPDATE_ZONE and NSUPDATE_KEY, the
// path of a BIND key file ('key "name" { algorithm ...; secret "...";
// };') read through readFile. The key may be given inline instead with
// NSUPDATE_KEY_NAME, NSUPDATE_KEY_ALGORITHM and NSUPDATE_KEY_SECRET.
func NewRFC2136(vars []Var, readFile func(name string) ([]byte, error)) (*RFC2136, error) {
	get := func(k string) string { v, _ := lookupVar(vars, k); return strings.TrimSpace(v) }
	host := get("NSUPDATE_SERVER")
	if host == "" {
		host = "localhost"
	}
	port := get("NSUPDATE_SERVER_PORT")
	if port == "" {
		port = "53"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("acme: nsupdate: %w: NSUPDATE_SERVER_PORT %q", ErrInvalid, port)
	}
	r := &RFC2136{Server: net.JoinHostPort(strings.Trim(host, "[]"), port), Zone: get("NSUPDATE_ZONE")}
	switch path := get("NSUPDATE_KEY"); {
	case path != "":
		if readFile == nil {
			return nil, fmt.Errorf("acme: nsupdate: %w: cannot read key file %s", ErrInvalid, path)
		}
		data, err := readFile(path)
		if err != nil {
			return nil, fmt.Errorf("acme: nsupdate: key file: %w", err)
		}
		if r.Key, err = ParseTSIGKeyFile(data); err != nil {
			return nil, fmt.Errorf("acme: nsupdate: key file %s: %w", path, err)
		}
	case get("NSUPDATE_KEY_NAME") != "":
		r.Key = &TSIGKey{Name: get("NSUPDATE_KEY_NAME"), Algorithm: get("NSUPDATE_KEY_ALGORITHM"), Secret: get("NSUPDATE_KEY_SECRET")}
	}
	if r.Key != nil {
		if err := r.Key.check(); err != nil {
			return nil, fmt.Errorf("acme: nsupdate: %w", err)
		}
	}
	return r, nil
}

func (k *TSIGKey) check() error {
	if _, ok := dns.IsDomainName(k.Name); !ok || k.Name == "" {
		return fmt.Errorf("%w: TSIG key name %q", ErrInvalid, k.Name)
	}
	if _, ok := tsigAlgorithms[k.alg()]; !ok {
		return fmt.Errorf("%w: TSIG algorithm %q", ErrInvalid, k.Algorithm)
	}
	if _, err := decodeB64(k.Secret); err != nil || k.Secret == "" {
		return fmt.Errorf("%w: TSIG secret of key %q is not base64", ErrInvalid, k.Name)
	}
	return nil
}

func (k *TSIGKey) alg() string {
	a := strings.ToLower(strings.TrimSuffix(k.Algorithm, "."))
	if a == "" {
		return "hmac-sha256"
	}
	return a
}

var (
	keyStmtRE   = regexp.MustCompile(`(?s)key\s+"?([A-Za-z0-9._-]+)"?\s*\{(.*?)\}\s*;`)
	keyAlgRE    = regexp.MustCompile(`algorithm\s+"?([A-Za-z0-9-]+)"?\s*;`)
	keySecretRE = regexp.MustCompile(`secret\s+"([A-Za-z0-9+/=_-]+)"\s*;`)
)

// ParseTSIGKeyFile reads the first key of a BIND key file, as written
// by tsig-keygen or ddns-confgen.
func ParseTSIGKeyFile(data []byte) (*TSIGKey, error) {
	m := keyStmtRE.FindSubmatch(data)
	if m == nil {
		return nil, fmt.Errorf("%w: no key statement", ErrSyntax)
	}
	k := &TSIGKey{Name: string(m[1])}
	if a := keyAlgRE.FindSubmatch(m[2]); a != nil {
		k.Algorithm = string(a[1])
	}
	s := keySecretRE.FindSubmatch(m[2])
	if s == nil {
		return nil, fmt.Errorf("%w: key %q has no secret", ErrSyntax, k.Name)
	}
	k.Secret = string(s[1])
	return k, k.check()
}

// Present adds the TXT record.
func (r *RFC2136) Present(ctx context.Context, name, value string) error {
	return r.update(ctx, name, value, true)
}

// CleanUp removes the TXT record with this value; other records of the
// name stay.
func (r *RFC2136) CleanUp(ctx context.Context, name, value string) error {
	return r.update(ctx, name, value, false)
}

func (r *RFC2136) client() *dns.Client {
	t := r.Timeout
	if t == 0 {
		t = 10 * time.Second
	}
	c := &dns.Client{Net: "tcp", Timeout: t}
	if r.Key != nil {
		c.TsigSecret = map[string]string{dns.Fqdn(strings.ToLower(r.Key.Name)): r.Key.Secret}
	}
	return c
}

func (r *RFC2136) update(ctx context.Context, name, value string, add bool) error {
	fqdn := dns.Fqdn(strings.ToLower(name))
	zone := r.Zone
	if zone == "" {
		var err error
		if zone, err = r.findZone(ctx, fqdn); err != nil {
			return err
		}
	}
	zone = dns.Fqdn(zone)
	ttl := r.TTL
	if ttl == 0 {
		ttl = 60
	}
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: fqdn, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: []string{value}}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	if add {
		m.Insert([]dns.RR{rr})
	} else {
		m.Remove([]dns.RR{rr})
	}
	if r.Key != nil {
		m.SetTsig(dns.Fqdn(strings.ToLower(r.Key.Name)), tsigAlgorithms[r.Key.alg()], 300, time.Now().Unix())
	}
	op := "adding"
	if !add {
		op = "removing"
	}
	resp, _, err := r.client().ExchangeContext(ctx, m, r.Server)
	if err != nil {
		return fmt.Errorf("acme: rfc2136: %s TXT %s in zone %s at %s: %w", op, fqdn, zone, r.Server, err)
	}
	if resp.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("acme: rfc2136: %s TXT %s in zone %s at %s: server answered %s", op, fqdn, zone, r.Server, dns.RcodeToString[resp.Rcode])
	}
	return nil
}

// findZone asks the server for the SOA of name: an authoritative server
// answers with the zone's SOA, in the answer or the authority section.
func (r *RFC2136) findZone(ctx context.Context, fqdn string) (string, error) {
	m := new(dns.Msg)
	m.SetQuestion(fqdn, dns.TypeSOA)
	m.RecursionDesired = false
	resp, _, err := r.client().ExchangeContext(ctx, m, r.Server)
	if err != nil {
		return "", fmt.Errorf("acme: rfc2136: finding the zone of %s at %s: %w", fqdn, r.Server, err)
	}
	for _, rr := range append(resp.Answer, resp.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Hdr.Name, nil
		}
	}
	return "", fmt.Errorf("acme: rfc2136: %s is in no zone %s serves (%s); set NSUPDATE_ZONE", fqdn, r.Server, errors.New(dns.RcodeToString[resp.Rcode]))
}

// Records returns the TXT values of a name, asked from the server
// directly (no cache).
func (r *RFC2136) Records(ctx context.Context, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	m.RecursionDesired = false
	resp, _, err := r.client().ExchangeContext(ctx, m, r.Server)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range resp.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}
