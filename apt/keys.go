package apt

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key locations, below the root.
const (
	TrustedKeyring    = "/etc/apt/trusted.gpg"
	TrustedKeyringDir = "/etc/apt/trusted.gpg.d"
)

// Checksums are the published digests of a release key file.
type Checksums struct {
	SHA512 string // hex
	MD5    string // hex
}

// ReleaseKeys are the release key files the admin guide publishes
// checksums for, by file name in /etc/apt/trusted.gpg.d.
var ReleaseKeys = map[string]Checksums{
	"proxmox-release-bookworm.gpg": {
		SHA512: "7da6fe34168adc6e479327ba517796d4702fa2f8b4f0a9833f5ea6e6b48f6507a6da403a274fe201595edc86a84463d50383d07f64bdde2e3658108db7d6dc87",
		MD5:    "41558dc019ef90bd0f6067644a51cf5b",
	},
}

// ErrChecksum is returned by [VerifyChecksums] for a file whose digest
// differs from the published one.
var ErrChecksum = errors.New("checksum mismatch")

// VerifyChecksums checks a key file against published digests, like the
// admin guide's "sha512sum" and "md5sum" steps. Empty digests are not
// checked; at least one must be given.
func VerifyChecksums(data []byte, want Checksums) error {
	if want.SHA512 == "" && want.MD5 == "" {
		return errors.New("apt: no checksum to verify against")
	}
	if want.SHA512 != "" {
		sum := sha512.Sum512(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want.SHA512) {
			return fmt.Errorf("%w: sha512 %s, want %s", ErrChecksum, got, want.SHA512)
		}
	}
	if want.MD5 != "" {
		sum := md5.Sum(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want.MD5) {
			return fmt.Errorf("%w: md5 %s, want %s", ErrChecksum, got, want.MD5)
		}
	}
	return nil
}

// KeyChecksum is the result of checking a release key file in
// trusted.gpg.d against its published checksums.
type KeyChecksum struct {
	Path  string `json:"path"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// ReleaseKeyChecksums checks every file of trusted.gpg.d named in
// [ReleaseKeys] against its published checksums, like the admin guide's
// sha512sum and md5sum steps. Files that are absent are not listed.
func (c *Client) ReleaseKeyChecksums() []KeyChecksum {
	var out []KeyChecksum
	names := make([]string, 0, len(ReleaseKeys))
	for n := range ReleaseKeys {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := TrustedKeyringDir + "/" + n
		data, err := c.fs.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		kc := KeyChecksum{Path: p}
		if err == nil {
			err = VerifyChecksums(data, ReleaseKeys[n])
		}
		if err != nil {
			kc.Error = err.Error()
		} else {
			kc.OK = true
		}
		out = append(out, kc)
	}
	return out
}

// Key is an OpenPGP public key of a keyring.
type Key struct {
	Fingerprint string    `json:"fingerprint"` // upper-case hex
	KeyID       string    `json:"keyid"`       // the last 16 hex digits
	Algorithm   string    `json:"algorithm"`
	UserIDs     []string  `json:"uids"`
	Created     time.Time `json:"created"`
	// Expires is when the key expires; zero means never.
	Expires time.Time `json:"expires,omitzero"`
	Revoked bool      `json:"revoked,omitempty"`
	Subkeys []Subkey  `json:"subkeys,omitempty"`
}

// Subkey is a subkey of a [Key].
type Subkey struct {
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	Revoked     bool      `json:"revoked,omitempty"`
}

// Expired reports whether the key has expired at now.
func (k *Key) Expired(now time.Time) bool { return !k.Expires.IsZero() && now.After(k.Expires) }

// Keyring is a keyring file, binary (".gpg") or ASCII-armored (".asc"),
// or an inline key block of a Signed-By field.
type Keyring struct {
	Path    string `json:"path"`
	Armored bool   `json:"armored"`
	Keys    []Key  `json:"keys"`

	entities openpgp.EntityList
}

// ParseKeyring parses a keyring in either format. Path is kept for
// messages.
func ParseKeyring(path string, data []byte) (*Keyring, error) {
	kr := &Keyring{Path: path}
	var err error
	if bytes.Contains(data[:min(len(data), 512)], []byte("-----BEGIN PGP")) {
		kr.Armored = true
		kr.entities, err = readArmoredKeyrings(data)
	} else {
		kr.entities, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range kr.entities {
		kr.Keys = append(kr.Keys, describeKey(e))
	}
	return kr, nil
}

// readArmoredKeyrings reads every armored key block in data.
func readArmoredKeyrings(data []byte) (openpgp.EntityList, error) {
	var out openpgp.EntityList
	r := bytes.NewReader(data)
	for {
		block, err := armor.Decode(r)
		if err != nil {
			if len(out) > 0 {
				return out, nil
			}
			return nil, err
		}
		if block.Type != openpgp.PublicKeyType {
			continue
		}
		el, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, el...)
	}
}

func fingerprint(fp []byte) string { return strings.ToUpper(hex.EncodeToString(fp)) }

func algorithmName(pk *packet.PublicKey) string {
	bits, err := pk.BitLength()
	name := map[packet.PublicKeyAlgorithm]string{
		packet.PubKeyAlgoRSA: "RSA", packet.PubKeyAlgoRSASignOnly: "RSA", packet.PubKeyAlgoDSA: "DSA",
		packet.PubKeyAlgoECDSA: "ECDSA", packet.PubKeyAlgoEdDSA: "EdDSA", packet.PubKeyAlgoEd25519: "Ed25519",
		packet.PubKeyAlgoEd448: "Ed448", packet.PubKeyAlgoECDH: "ECDH", packet.PubKeyAlgoElGamal: "ElGamal",
	}[pk.PubKeyAlgo]
	if name == "" {
		name = fmt.Sprintf("algorithm %d", pk.PubKeyAlgo)
	}
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoECDSA, packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoECDH:
		// Elliptic curves are named, not measured in bits.
		if c, err := pk.Curve(); err == nil {
			if pk.PubKeyAlgo == packet.PubKeyAlgoEdDSA {
				// Legacy EdDSA keys name the Montgomery form of the curve.
				switch c {
				case packet.Curve25519:
					return "Ed25519"
				case packet.Curve448:
					return "Ed448"
				}
			}
			return name + " " + string(c)
		}
		return name
	}
	if err == nil && bits > 0 {
		return fmt.Sprintf("%s %d", name, bits)
	}
	return name
}

func describeKey(e *openpgp.Entity) Key {
	pk := e.PrimaryKey
	k := Key{
		Fingerprint: fingerprint(pk.Fingerprint),
		KeyID:       fmt.Sprintf("%016X", pk.KeyId),
		Algorithm:   algorithmName(pk),
		Created:     pk.CreationTime.UTC(),
		Revoked:     len(e.Revocations) > 0,
	}
	var lifetime *uint32
	for name, id := range e.Identities {
		k.UserIDs = append(k.UserIDs, name)
		if id.SelfSignature != nil && id.SelfSignature.KeyLifetimeSecs != nil {
			if lifetime == nil || *id.SelfSignature.KeyLifetimeSecs > *lifetime {
				lifetime = id.SelfSignature.KeyLifetimeSecs
			}
		}
	}
	slices.Sort(k.UserIDs)
	if lifetime != nil && *lifetime != 0 {
		k.Expires = pk.CreationTime.Add(time.Duration(*lifetime) * time.Second).UTC()
	}
	for _, sk := range e.Subkeys {
		s := Subkey{Fingerprint: fingerprint(sk.PublicKey.Fingerprint), Created: sk.PublicKey.CreationTime.UTC(), Revoked: sk.Revoked(time.Now())}
		if sig := sk.Sig; sig != nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs != 0 {
			s.Expires = sk.PublicKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC()
		}
		k.Subkeys = append(k.Subkeys, s)
	}
	return k
}

// TrustedKeyrings reads the keyrings APT trusts for every repository
// without Signed-By: the legacy /etc/apt/trusted.gpg and the ".gpg" and
// ".asc" files of /etc/apt/trusted.gpg.d. Files that fail to parse are
// returned as errors next to the others. The client keeps parsed keyrings
// until their files change, so the results are shared: do not modify them.
func (c *Client) TrustedKeyrings() ([]*Keyring, []error) {
	var out []*Keyring
	var errs []error
	add := func(name string) {
		kr, err := c.readKeyring(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return
		}
		out = append(out, kr)
	}
	add(TrustedKeyring)
	ents, err := c.fs.ReadDir(TrustedKeyringDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, de := range ents {
		n := de.Name()
		if ok, _ := partName(n, []string{"gpg", "asc"}, false); ok {
			add(path.Join(TrustedKeyringDir, n))
		}
	}
	return out, errs
}

// readKeyring reads and parses a keyring file. Parsing checks every
// self-signature, which costs far more than reading, so parsed keyrings
// are kept by path and content digest: a changed file is parsed again.
func (c *Client) readKeyring(name string) (*Keyring, error) {
	data, err := c.fs.ReadFile(name)
	if err != nil {
		return nil, err
	}
	d := sha256.Sum256(data)
	c.mu.Lock()
	kc, ok := c.keyrings[name]
	c.mu.Unlock()
	if ok && kc.digest == d {
		return kc.kr, nil
	}
	kr, err := ParseKeyring(name, data)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.keyrings == nil {
		c.keyrings = map[string]cachedKeyring{}
	}
	c.keyrings[name] = cachedKeyring{d, kr}
	c.mu.Unlock()
	return kr, nil
}

type cachedKeyring struct {
	digest [sha256.Size]byte
	kr     *Keyring
}

// EntryKeyrings returns the keyrings APT verifies an entry's Release
// files with: the files or inline key its Signed-By names, the trusted
// keys with the fingerprints it names, or every trusted keyring.
func (c *Client) EntryKeyrings(e *Entry) ([]*Keyring, error) {
	trusted, errs := c.TrustedKeyrings()
	return c.entryKeyrings(e, trusted, errs)
}

func (c *Client) entryKeyrings(e *Entry, trusted []*Keyring, errs []error) ([]*Keyring, error) {
	refs, inline := e.SignedBy()
	if inline != nil {
		kr, err := ParseKeyring(e.Pos()+" (Signed-By)", inline)
		if err != nil {
			return nil, err
		}
		return []*Keyring{kr}, nil
	}
	if len(refs) == 0 {
		if len(trusted) == 0 && len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return trusted, nil
	}
	var out []*Keyring
	for _, ref := range refs {
		if strings.HasPrefix(ref, "/") {
			kr, err := c.readKeyring(ref)
			if err != nil {
				return nil, fmt.Errorf("%s: Signed-By: %w", e.Pos(), err)
			}
			out = append(out, kr)
			continue
		}
		// A fingerprint (with "!" for an exact subkey): pick it from the
		// trusted keys.
		fp := strings.ToUpper(strings.TrimSuffix(ref, "!"))
		found := false
		for _, kr := range trusted {
			if sub := kr.only(fp); sub != nil {
				out = append(out, sub)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: Signed-By: no trusted key with fingerprint %s", e.Pos(), fp)
		}
	}
	return out, nil
}

// only returns a keyring with just the key whose primary or subkey
// fingerprint is fp, or nil.
func (kr *Keyring) only(fp string) *Keyring {
	for i, e := range kr.entities {
		match := fingerprint(e.PrimaryKey.Fingerprint) == fp
		for _, sk := range e.Subkeys {
			match = match || fingerprint(sk.PublicKey.Fingerprint) == fp
		}
		if match {
			return &Keyring{Path: kr.Path, Armored: kr.Armored, Keys: []Key{kr.Keys[i]}, entities: openpgp.EntityList{e}}
		}
	}
	return nil
}

// Signature describes a verified InRelease signature.
type Signature struct {
	// Fingerprint of the primary key that made the signature.
	Fingerprint string    `json:"fingerprint"`
	UserID      string    `json:"uid,omitempty"`
	Created     time.Time `json:"created"`
	Keyring     string    `json:"keyring"`
}

// ErrSignature is matched by every InRelease verification failure.
var ErrSignature = errors.New("signature verification failed")

// VerifyInRelease checks the OpenPGP signature of an InRelease file
// against keyrings at time now (the zero time means the current time),
// as APT does with gpgv: one good signature by a key of the keyrings is
// enough. It returns the signed Release text with the signer.
func VerifyInRelease(data []byte, now time.Time, keyrings ...*Keyring) ([]byte, *Signature, error) {
	block, _ := clearsign.Decode(data)
	if block == nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSignature, ErrNotClearsigned)
	}
	// A Release is often signed by several keys; the armored block
	// holds one signature packet each.
	sigData, err := readAllArmored(block)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	sig, err := checkSignatures(block.Bytes, sigData, now, keyrings)
	if err != nil {
		return nil, nil, err
	}
	return block.Plaintext, sig, nil
}

// checkSignatures tries each signature packet of sigData on signed and
// returns the first good one.
func checkSignatures(signed, sigData []byte, now time.Time, keyrings []*Keyring) (*Signature, error) {
	var all openpgp.EntityList
	owner := map[*openpgp.Entity]string{}
	for _, kr := range keyrings {
		for _, e := range kr.entities {
			owner[e] = kr.Path
		}
		all = append(all, kr.entities...)
	}
	cfg := &packet.Config{}
	if !now.IsZero() {
		cfg.Time = func() time.Time { return now }
	}
	var firstErr error
	for _, sig := range splitSignaturePackets(sigData) {
		signer, err := openpgp.CheckDetachedSignature(all, bytes.NewReader(signed), bytes.NewReader(sig), cfg)
		if err == nil {
			s := &Signature{Fingerprint: fingerprint(signer.PrimaryKey.Fingerprint), Keyring: owner[signer]}
			if id := signer.PrimaryIdentity(); id != nil {
				s.UserID = id.Name
			}
			if p, err := packet.Read(bytes.NewReader(sig)); err == nil {
				if ps, ok := p.(*packet.Signature); ok {
					s.Created = ps.CreationTime.UTC()
				}
			}
			return s, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = errors.New("no signature")
	}
	return nil, fmt.Errorf("%w: %v", ErrSignature, firstErr)
}

// VerifyRelease checks a Release file against its detached signature
// (Release.gpg, armored or binary), for repositories without an InRelease
// file. Like [VerifyInRelease], one good signature is enough.
func VerifyRelease(release, signature []byte, now time.Time, keyrings ...*Keyring) (*Signature, error) {
	sigData := signature
	if bytes.Contains(signature[:min(len(signature), 64)], []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(bytes.NewReader(signature))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(block.Body); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		sigData = buf.Bytes()
	}
	return checkSignatures(release, sigData, now, keyrings)
}

func readAllArmored(b *clearsign.Block) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(b.ArmoredSignature.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// splitSignaturePackets splits concatenated OpenPGP packets into their
// raw bytes, so that each signature can be checked on its own.
func splitSignaturePackets(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := packetLength(data)
		if n <= 0 || n > len(data) {
			return append(out, data)
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// packetLength returns the total length of the OpenPGP packet at the
// start of data (RFC 4880 section 4.2), or -1 for a form it does not
// handle (partial lengths, which signatures do not use).
func packetLength(data []byte) int {
	if len(data) < 2 || data[0]&0x80 == 0 {
		return -1
	}
	if data[0]&0x40 == 0 { // old format
		switch data[0] & 3 {
		case 0:
			return 2 + int(data[1])
		case 1:
			if len(data) < 3 {
				return -1
			}
			return 3 + (int(data[1])<<8 | int(data[2]))
		case 2:
			if len(data) < 5 {
				return -1
			}
			return 5 + (int(data[1])<<24 | int(data[2])<<16 | int(data[3])<<8 | int(data[4]))
		}
		return -1
	}
	l := int(data[1])
	switch {
	case l < 192:
		return 2 + l
	case l < 224:
		if len(data) < 3 {
			return -1
		}
		return 3 + (l-192)<<8 + int(data[2]) + 192
	case l == 255:
		if len(data) < 6 {
			return -1
		}
		return 6 + (int(data[2])<<24 | int(data[3])<<16 | int(data[4])<<8 | int(data[5]))
	}
	return -1
}

// verifyRepository verifies the InRelease file of a repository, or its
// Release and Release.gpg files; a repository without any returns no path
// and no error.
func (c *Client) verifyRepository(e *Entry, uri, suite string, now time.Time, trusted []*Keyring, trustedErrs []error) (string, *Signature, error) {
	name := path.Join(ListsDir, URIToFileName(metaURI(uri, suite, "InRelease")))
	data, err := c.fs.ReadFile(name)
	var detached []byte
	if errors.Is(err, fs.ErrNotExist) {
		name = path.Join(ListsDir, URIToFileName(metaURI(uri, suite, "Release")))
		if data, err = c.fs.ReadFile(name); err == nil {
			detached, err = c.fs.ReadFile(name + ".gpg")
			if errors.Is(err, fs.ErrNotExist) {
				return name, nil, fmt.Errorf("%w: %s has no Release.gpg", ErrSignature, name)
			}
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return name, nil, err
	}
	krs, err := c.entryKeyrings(e, trusted, trustedErrs)
	if err != nil {
		return name, nil, err
	}
	if detached != nil {
		sig, err := VerifyRelease(data, detached, now, krs...)
		return name, sig, err
	}
	_, sig, err := VerifyInRelease(data, now, krs...)
	return name, sig, err
}

// RepositoryCheck is the result of verifying one repository's InRelease.
type RepositoryCheck struct {
	URI   string `json:"uri"`
	Suite string `json:"suite"`
	// Path of the InRelease file; "" when none was downloaded.
	Path      string     `json:"path,omitempty"`
	Signature *Signature `json:"signature,omitempty"`
	Err       error      `json:"-"`
	Error     string     `json:"error,omitempty"`
}

// VerifyRepositories verifies the downloaded InRelease file of every
// enabled "deb" URI and suite against the keyrings APT would use for it.
func (c *Client) VerifyRepositories(now time.Time) ([]RepositoryCheck, error) {
	src, err := c.Sources()
	if err != nil {
		return nil, err
	}
	var out []RepositoryCheck
	seen := map[string]bool{}
	trusted, trustedErrs := c.TrustedKeyrings()
	for _, e := range src.Entries() {
		if !e.Enabled || !slices.Contains(e.Types, "deb") {
			continue
		}
		for _, uri := range e.URIs {
			for _, suite := range e.Suites {
				if seen[uri+" "+suite] {
					continue
				}
				seen[uri+" "+suite] = true
				rc := RepositoryCheck{URI: uri, Suite: suite}
				rc.Path, rc.Signature, rc.Err = c.verifyRepository(e, uri, suite, now, trusted, trustedErrs)
				if rc.Err != nil {
					rc.Error = rc.Err.Error()
				}
				out = append(out, rc)
			}
		}
	}
	return out, nil
}
