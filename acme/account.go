package acme

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	xacme "golang.org/x/crypto/acme"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/node"
)

// Account is an ACME account as Proxmox VE stores it in
// /etc/pve/priv/acme/NAME: a JSON object with the account URL
// ("location"), the directory URL, the terms of service agreed to, the
// account object the CA returned and the PEM private key.
type Account struct {
	// Name is the file name; "default" is the account nodes use unless
	// their acme property names another.
	Name      string   `json:"name"`
	Location  string   `json:"location"`
	Directory string   `json:"directory"`
	TOS       string   `json:"tos,omitempty"`
	Contact   []string `json:"contact,omitempty"`
	Status    string   `json:"status,omitempty"`
	// Key signs the account's requests. It is never printed.
	Key crypto.Signer `json:"-"`

	// fields holds the file's JSON members, so that members this
	// package does not model are written back unchanged.
	fields map[string]json.RawMessage
	// account holds the members of the "account" object.
	account map[string]json.RawMessage
}

// ParseAccount parses an account file; name is the account name, used in
// errors.
func ParseAccount(name string, data []byte) (*Account, error) {
	a := &Account{Name: name}
	if err := json.Unmarshal(data, &a.fields); err != nil {
		return nil, fmt.Errorf("acme: account %s: %w: %v", name, ErrSyntax, err)
	}
	str := func(key string) (string, error) {
		raw, ok := a.fields[key]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("acme: account %s: %w: %s: want a string", name, ErrSyntax, key)
		}
		return s, nil
	}
	var err error
	if a.Location, err = str("location"); err != nil {
		return nil, err
	}
	if a.Directory, err = str("directory"); err != nil {
		return nil, err
	}
	if a.TOS, err = str("tos"); err != nil {
		return nil, err
	}
	keyPEM, err := str("key")
	if err != nil {
		return nil, err
	}
	if keyPEM == "" {
		return nil, fmt.Errorf("acme: account %s: %w: no key", name, ErrSyntax)
	}
	if a.Key, err = parsePrivateKey([]byte(keyPEM)); err != nil {
		return nil, fmt.Errorf("acme: account %s: key: %w", name, err)
	}
	if raw, ok := a.fields["account"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &a.account); err != nil {
			return nil, fmt.Errorf("acme: account %s: %w: account: want an object", name, ErrSyntax)
		}
		_ = json.Unmarshal(a.account["contact"], &a.Contact)
		_ = json.Unmarshal(a.account["status"], &a.Status)
	}
	return a, nil
}

// Format returns the account file: indented JSON with sorted keys, as
// Proxmox VE writes it. The private key is PKCS #1 PEM for RSA keys,
// which is what Proxmox VE reads.
func (a *Account) Format() ([]byte, error) {
	fields := map[string]json.RawMessage{}
	for k, v := range a.fields {
		fields[k] = v
	}
	acct := map[string]json.RawMessage{}
	for k, v := range a.account {
		acct[k] = v
	}
	set := func(m map[string]json.RawMessage, key string, v any, omit bool) {
		if omit {
			delete(m, key)
			return
		}
		b, _ := json.Marshal(v)
		m[key] = b
	}
	set(acct, "contact", a.Contact, a.Contact == nil)
	set(acct, "status", a.Status, a.Status == "")
	set(fields, "account", acct, len(acct) == 0)
	set(fields, "location", a.Location, a.Location == "")
	set(fields, "directory", a.Directory, a.Directory == "")
	set(fields, "tos", a.TOS, a.TOS == "")
	keyPEM, err := marshalPrivateKey(a.Key)
	if err != nil {
		return nil, fmt.Errorf("acme: account %s: %w", a.Name, err)
	}
	set(fields, "key", string(keyPEM), false)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "   ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalid)
	}
	// Legacy PEM encryption (Proc-Type: 4,ENCRYPTED) or PKCS #8
	// "ENCRYPTED PRIVATE KEY".
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") || strings.Contains(block.Type, "ENCRYPTED") {
		return nil, fmt.Errorf("%w: the key is encrypted; it must not be password protected", ErrInvalid)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: unsupported PEM block %q", ErrInvalid, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalid, key)
	}
	switch s.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T (want RSA or ECDSA)", ErrInvalid, key)
	}
	return s, nil
}

func marshalPrivateKey(k crypto.Signer) ([]byte, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	case nil:
		return nil, fmt.Errorf("%w: no key", ErrInvalid)
	}
	return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalid, k)
}

func accountPath(name string) string { return AccountDir + "/" + name }

// Accounts returns the names of the registered accounts, sorted.
// Deactivated accounts (renamed to _deactivated_NAME_N) and plugins.cfg
// are not accounts.
func (c *Client) Accounts() ([]string, error) {
	ents, err := c.fs.ReadDir(AccountDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && node.CheckID(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Account reads an account file. The error wraps ErrNotFound when there
// is none.
func (c *Client) Account(name string) (*Account, error) {
	a, _, err := c.readAccount(name)
	return a, err
}

func (c *Client) readAccount(name string) (*Account, rootfs.Digest, error) {
	if err := node.CheckID(name); err != nil {
		return nil, rootfs.Digest{}, fmt.Errorf("acme: account: %w", errors.Join(ErrInvalid, err))
	}
	data, d, err := c.fs.ReadFileDigest(accountPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, d, fmt.Errorf("acme: account %q: %w (register it first)", name, ErrNotFound)
	}
	if err != nil {
		return nil, d, fmt.Errorf("acme: %w", err)
	}
	a, err := ParseAccount(name, data)
	return a, d, err
}

func (c *Client) writeAccount(a *Account, expect *rootfs.Digest) error {
	data, err := a.Format()
	if err != nil {
		return err
	}
	if err := c.fs.MkdirAll(AccountDir, 0o700); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return c.fs.WriteFile(accountPath(a.Name), data, &rootfs.WriteOptions{Mode: 0o600, Expect: expect})
}

// EAB is an External Account Binding that some CAs require: the key
// identifier and the base64url-encoded HMAC key they hand out.
type EAB struct {
	KID     string
	HMACKey string
}

// RegisterOptions describe a new account.
type RegisterOptions struct {
	// Directory is the ACME directory URL; "" means LetsEncrypt.
	Directory string
	// Contact holds e-mail addresses ("mailto:" is added) or contact
	// URIs.
	Contact []string
	// AgreeTOS is asked with the CA's terms-of-service URL; Register
	// fails with ErrTOS unless it returns true. nil agrees only when TOS
	// equals the CA's URL.
	AgreeTOS func(tosURL string) bool
	// TOS is the terms-of-service URL the user already agreed to.
	TOS string
	// EAB binds the account to an external account; required by some
	// CAs (Meta.ExternalAccountRequired).
	EAB *EAB
	// KeyBits is the size of the RSA account key; 0 means 4096, as
	// Proxmox VE uses.
	KeyBits int
}

func contactURIs(in []string) []string {
	var out []string
	for _, c := range in {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, ":") {
			c = "mailto:" + c
		}
		out = append(out, c)
	}
	return out
}

// Register creates an account key, registers it with the CA and stores
// the account as /etc/pve/priv/acme/NAME (mode 0600). It refuses a name
// that is taken. Progress: "Generating ACME account key..",
// "Registering ACME account..", "Registration successful, account URL:
// '...'".
func (c *Client) Register(ctx context.Context, name string, opt RegisterOptions) (*Account, error) {
	if err := node.CheckID(name); err != nil {
		return nil, fmt.Errorf("acme: account: %w", errors.Join(ErrInvalid, err))
	}
	lock, err := c.fs.Lock(ctx, acmeLock)
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	if c.fs.Exists(accountPath(name)) {
		return nil, fmt.Errorf("acme: account %q: %w", name, ErrExists)
	}
	dir := opt.Directory
	if dir == "" {
		dir = LetsEncrypt
	}
	bits := opt.KeyBits
	if bits == 0 {
		bits = 4096
	}
	if bits < 2048 {
		return nil, fmt.Errorf("acme: %w: account key of %d bits (want 2048 or more)", ErrInvalid, bits)
	}
	c.progress("Generating ACME account key..")
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, err
	}
	cl := c.acmeClient(dir)
	cl.Key = key
	meta, err := cl.Discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("acme: directory %s: %w", dir, err)
	}
	acct := &xacme.Account{Contact: contactURIs(opt.Contact)}
	if opt.EAB != nil {
		hmacKey, err := decodeB64(opt.EAB.HMACKey)
		if err != nil || opt.EAB.KID == "" {
			return nil, fmt.Errorf("acme: %w: external account binding needs a key id and a base64url HMAC key", ErrInvalid)
		}
		acct.ExternalAccountBinding = &xacme.ExternalAccountBinding{KID: opt.EAB.KID, Key: hmacKey}
	} else if meta.ExternalAccountRequired {
		return nil, fmt.Errorf("acme: %w: the CA requires an external account binding (EAB key id and HMAC key)", ErrInvalid)
	}
	agreed := ""
	prompt := func(tos string) bool {
		ok := tos == opt.TOS
		if !ok && opt.AgreeTOS != nil {
			ok = opt.AgreeTOS(tos)
		}
		if ok {
			agreed = tos
		}
		return ok
	}
	if meta.Terms != "" && !prompt(meta.Terms) {
		return nil, fmt.Errorf("acme: %w: %s", ErrTOS, meta.Terms)
	}
	c.progress("Registering ACME account..")
	got, err := cl.Register(ctx, acct, func(string) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("acme: registration failed: %w", err)
	}
	a := &Account{Name: name, Location: got.URI, Directory: dir, TOS: agreed, Contact: got.Contact, Status: got.Status, Key: key}
	if a.Status == "" {
		a.Status = xacme.StatusValid
	}
	if a.Contact == nil {
		a.Contact = acct.Contact
	}
	zero := rootfs.Digest{}
	if err := c.writeAccount(a, &zero); err != nil {
		return nil, err
	}
	c.progress("Registration successful, account URL: '%s'", a.Location)
	return a, nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: not base64", ErrInvalid)
}

func (c *Client) accountClient(a *Account) *xacme.Client {
	cl := c.acmeClient(a.Directory)
	cl.Key = a.Key
	cl.KID = xacme.KeyID(a.Location)
	return cl
}

// UpdateAccount sets the account's contacts at the CA and in its file;
// with no contacts it refreshes the file from the CA.
func (c *Client) UpdateAccount(ctx context.Context, name string, contact []string) (*Account, error) {
	lock, err := c.fs.Lock(ctx, acmeLock)
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	a, d, err := c.readAccount(name)
	if err != nil {
		return nil, err
	}
	cl := c.accountClient(a)
	var got *xacme.Account
	if uris := contactURIs(contact); len(uris) > 0 {
		got, err = cl.UpdateReg(ctx, &xacme.Account{URI: a.Location, Contact: uris})
	} else {
		got, err = cl.GetReg(ctx, a.Location)
	}
	if err != nil {
		return nil, fmt.Errorf("acme: account %s: %w", name, err)
	}
	a.Contact, a.Status = got.Contact, got.Status
	if err := c.writeAccount(a, &d); err != nil {
		return nil, err
	}
	return a, nil
}

// DeactivateAccount deactivates the account at the CA and renames its
// file to _deactivated_NAME_N with the first free N from 0 to 100, as
// Proxmox VE does. It returns the new file name.
func (c *Client) DeactivateAccount(ctx context.Context, name string) (string, error) {
	lock, err := c.fs.Lock(ctx, acmeLock)
	if err != nil {
		return "", fmt.Errorf("acme: %w", err)
	}
	defer lock.Unlock()
	a, _, err := c.readAccount(name)
	if err != nil {
		return "", err
	}
	if err := c.accountClient(a).DeactivateReg(ctx); err != nil {
		return "", fmt.Errorf("acme: deactivating account %s: %w", name, err)
	}
	for i := 0; i <= 100; i++ {
		cand := fmt.Sprintf("%s/_deactivated_%s_%d", AccountDir, name, i)
		if c.fs.Exists(cand) {
			continue
		}
		c.progress("Renaming account file from '%s' to '%s'", accountPath(name), cand)
		if err := c.fs.Rename(accountPath(name), cand); err != nil {
			return "", fmt.Errorf("acme: %w", err)
		}
		return cand, nil
	}
	return "", fmt.Errorf("acme: no free slot to rename deactivated account file %s, left in place", accountPath(name))
}
