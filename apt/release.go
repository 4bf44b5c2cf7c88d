package apt

import (
	"bytes"
	"errors"
	"io"
	"strings"
)

// Release is the head of a repository's Release or InRelease file: what
// APT uses to tell repositories apart in pins and in "apt list".
type Release struct {
	Origin   string
	Label    string
	Suite    string // the archive: "stable", "oldstable-security", ...
	Codename string // "bookworm", "bookworm-security", ...
	Version  string // "12.8"
	Date     string
	// ValidUntil is the Valid-Until field, as written.
	ValidUntil string
	// NotAutomatic and ButAutomaticUpgrades lower the default pin of the
	// repository to 1 or 100 (backports, experimental).
	NotAutomatic         bool
	ButAutomaticUpgrades bool
	Architectures        []string
	Components           []string
	// Signed reports whether the data came from an InRelease file (its
	// OpenPGP signature is not checked here; see [VerifyInRelease]).
	Signed bool
}

// ErrNotClearsigned is returned for an InRelease file that is not an
// OpenPGP cleartext-signed message.
var ErrNotClearsigned = errors.New("not an OpenPGP cleartext signed message")

const (
	pgpSignedHeader = "-----BEGIN PGP SIGNED MESSAGE-----"
	pgpSigHeader    = "-----BEGIN PGP SIGNATURE-----"
)

// clearsignedText returns the signed text of a cleartext-signed message
// (RFC 4880 section 7): the lines between the armor headers and the
// signature, dash-unescaped.
func clearsignedText(b []byte) ([]byte, error) {
	b = bytes.TrimLeft(b, "\r\n \t")
	if !bytes.HasPrefix(b, []byte(pgpSignedHeader)) {
		return nil, ErrNotClearsigned
	}
	// Skip the armor headers up to the first blank line.
	i := bytes.Index(b, []byte("\n\n"))
	if i < 0 {
		if i = bytes.Index(b, []byte("\r\n\r\n")); i < 0 {
			return nil, ErrNotClearsigned
		}
		i += 2
	}
	body := b[i+2:]
	end := bytes.Index(body, []byte("\n"+pgpSigHeader))
	if end < 0 {
		return nil, ErrNotClearsigned
	}
	body = body[:end+1]
	if !bytes.Contains(body, []byte("\n- ")) && !bytes.HasPrefix(body, []byte("- ")) {
		return body, nil
	}
	var out bytes.Buffer
	for _, l := range bytes.SplitAfter(body, []byte("\n")) {
		out.Write(bytes.TrimPrefix(l, []byte("- ")))
	}
	return out.Bytes(), nil
}

// ParseRelease parses a Release file or an InRelease file (without
// checking its signature).
func ParseRelease(data []byte) (*Release, error) {
	r := &Release{}
	if bytes.HasPrefix(bytes.TrimLeft(data, "\r\n \t"), []byte("-----BEGIN PGP")) {
		text, err := clearsignedText(data)
		if err != nil {
			return nil, err
		}
		data, r.Signed = text, true
	}
	pr := newParagraphReader(bytes.NewReader(data))
	par, _, err := pr.next()
	if err != nil && err != io.EOF {
		return nil, err
	}
	r.Origin = fieldString(par, "Origin")
	r.Label = fieldString(par, "Label")
	r.Suite = fieldString(par, "Suite")
	r.Codename = fieldString(par, "Codename")
	r.Version = fieldString(par, "Version")
	r.Date = fieldString(par, "Date")
	r.ValidUntil = fieldString(par, "Valid-Until")
	r.NotAutomatic = stringToBool(fieldString(par, "NotAutomatic"), false)
	r.ButAutomaticUpgrades = stringToBool(fieldString(par, "ButAutomaticUpgrades"), false)
	r.Architectures = strings.Fields(fieldString(par, "Architectures"))
	r.Components = strings.Fields(fieldString(par, "Components"))
	return r, nil
}
