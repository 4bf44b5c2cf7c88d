package live

import (
	"encoding/json"
	"net"
)

// JSON writes MAC addresses in their usual notation ("bc:24:11:0a:0b:0c")
// rather than as base64 bytes, and reads them back.

func macString(m net.HardwareAddr) string {
	if len(m) == 0 {
		return ""
	}
	return m.String()
}

func parseMACField(s string) (net.HardwareAddr, error) {
	if s == "" {
		return nil, nil
	}
	return net.ParseMAC(s)
}

// MarshalJSON encodes the link with its MACs as text.
func (l Link) MarshalJSON() ([]byte, error) {
	type plain Link
	return json.Marshal(struct {
		plain
		MAC     string `json:"mac,omitempty"`
		PermMAC string `json:"perm_mac,omitempty"`
	}{plain(l), macString(l.MAC), macString(l.PermMAC)})
}

// UnmarshalJSON decodes what MarshalJSON writes.
func (l *Link) UnmarshalJSON(b []byte) error {
	type plain Link
	var v struct {
		plain
		MAC     string `json:"mac,omitempty"`
		PermMAC string `json:"perm_mac,omitempty"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Link(v.plain)
	var err error
	if l.MAC, err = parseMACField(v.MAC); err != nil {
		return err
	}
	l.PermMAC, err = parseMACField(v.PermMAC)
	return err
}

// MarshalJSON encodes the entry with its MAC as text.
func (e FDBEntry) MarshalJSON() ([]byte, error) {
	type plain FDBEntry
	return json.Marshal(struct {
		plain
		MAC string `json:"mac"`
	}{plain(e), macString(e.MAC)})
}

// UnmarshalJSON decodes what MarshalJSON writes.
func (e *FDBEntry) UnmarshalJSON(b []byte) error {
	type plain FDBEntry
	var v struct {
		plain
		MAC string `json:"mac"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = FDBEntry(v.plain)
	var err error
	e.MAC, err = parseMACField(v.MAC)
	return err
}
