package zfs

import (
	"encoding/hex"
	"strings"
)

// KeyFormat is the format of a dataset's key material.
type KeyFormat string

// Key formats.
const (
	Passphrase KeyFormat = "passphrase" // 8 to 512 bytes
	RawKey     KeyFormat = "raw"        // exactly 32 bytes
	HexKey     KeyFormat = "hex"        // 64 hexadecimal digits
)

// KeyLocationPrompt is the keylocation that makes ZFS read the key from
// the terminal, or, for this package, from Encryption.Key.
const KeyLocationPrompt = "prompt"

// Encryption describes the encryption of a new dataset or a key change.
type Encryption struct {
	// Algorithm is the encryption property: "on" (aes-256-gcm),
	// "aes-128-ccm", ..., "aes-256-gcm"; empty means "on". It is ignored
	// by a key change.
	Algorithm string
	// Format is the keyformat; empty means Passphrase.
	Format KeyFormat
	// Location is the keylocation: "prompt" (the default when empty) or
	// a "file:///absolute/path" URI of a key file.
	Location string
	// Key is the key material when Location is "prompt": the passphrase,
	// the 32 raw bytes or the 64 hex digits. It is passed to zfs on its
	// standard input and never appears in argv, logs or errors.
	Key []byte
	// PBKDF2Iters, when non-zero, sets pbkdf2iters for a passphrase.
	PBKDF2Iters int
}

var algorithms = []string{"on", "aes-128-ccm", "aes-192-ccm", "aes-256-ccm", "aes-128-gcm", "aes-192-gcm", "aes-256-gcm"}

func (e *Encryption) format() KeyFormat {
	if e.Format == "" {
		return Passphrase
	}
	return e.Format
}

func (e *Encryption) location() string {
	if e.Location == "" {
		return KeyLocationPrompt
	}
	return e.Location
}

// Validate checks the settings and the key material. Errors match
// ErrInvalid and never contain the key.
func (e *Encryption) Validate() error {
	if e.Algorithm != "" && !contains(algorithms, e.Algorithm) {
		return invalidf("encryption %q: want on or one of aes-{128,192,256}-{ccm,gcm}", e.Algorithm)
	}
	switch loc := e.location(); {
	case loc == KeyLocationPrompt:
		if err := ValidateKey(e.format(), e.Key); err != nil {
			return err
		}
	case strings.HasPrefix(loc, "file:///"):
		if strings.ContainsAny(loc, "\n\x00") {
			return invalidf("keylocation: invalid character")
		}
		if e.Key != nil {
			return invalidf("key material given with keylocation %s: use one or the other", loc)
		}
	default:
		return invalidf("keylocation %q: want prompt or file:///path", loc)
	}
	if e.format() != Passphrase && e.PBKDF2Iters != 0 {
		return invalidf("pbkdf2iters applies to passphrases only")
	}
	if e.PBKDF2Iters != 0 && e.PBKDF2Iters < 100000 {
		return invalidf("pbkdf2iters %d: at least 100000", e.PBKDF2Iters)
	}
	return nil
}

// ValidateKey checks key material against its format: a passphrase of 8
// to 512 bytes without newline or NUL, 32 raw bytes, or 64 hex digits.
// Errors match ErrInvalid and never contain the key.
func ValidateKey(f KeyFormat, key []byte) error {
	switch f {
	case Passphrase:
		if len(key) < 8 || len(key) > 512 {
			return invalidf("passphrase must be 8 to 512 bytes long, got %d", len(key))
		}
		if strings.ContainsAny(string(key), "\n\x00") {
			return invalidf("passphrase contains a newline or NUL")
		}
	case RawKey:
		if len(key) != 32 {
			return invalidf("raw key must be 32 bytes, got %d", len(key))
		}
	case HexKey:
		if len(key) != 64 {
			return invalidf("hex key must be 64 hex digits, got %d characters", len(key))
		}
		if _, err := hex.DecodeString(string(key)); err != nil {
			return invalidf("hex key contains a non-hex character")
		}
	default:
		return invalidf("keyformat %q: want passphrase, raw or hex", f)
	}
	return nil
}

// properties returns the dataset properties that set up encryption.
func (e *Encryption) properties(create bool) map[string]string {
	p := map[string]string{"keyformat": string(e.format()), "keylocation": e.location()}
	if create {
		p["encryption"] = e.Algorithm
		if e.Algorithm == "" {
			p["encryption"] = "on"
		}
	}
	if e.PBKDF2Iters != 0 {
		p["pbkdf2iters"] = itoa(e.PBKDF2Iters)
	}
	return p
}

// KeyStatus is a dataset's encryption state.
type KeyStatus struct {
	Dataset    string `json:"dataset"`
	Encryption string `json:"encryption"` // "off" or the algorithm
	// Root is the encryptionroot: the dataset whose key unlocks this one.
	Root      string `json:"encryption_root,omitempty"`
	Format    string `json:"keyformat,omitempty"`
	Location  string `json:"keylocation,omitempty"`
	Available bool   `json:"available"` // keystatus=available
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
