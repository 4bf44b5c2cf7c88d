package netcfg

import (
	"strconv"
	"strings"
)

// BondMode is a Linux bonding mode; its value is the kernel's number.
type BondMode int

// The seven bonding modes.
const (
	BondBalanceRR    BondMode = 0 // balance-rr: round-robin
	BondActiveBackup BondMode = 1 // active-backup
	BondBalanceXOR   BondMode = 2 // balance-xor
	BondBroadcast    BondMode = 3 // broadcast
	Bond8023AD       BondMode = 4 // 802.3ad: LACP
	BondBalanceTLB   BondMode = 5 // balance-tlb
	BondBalanceALB   BondMode = 6 // balance-alb
)

var bondModeNames = [...]string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}

// String returns the mode's name as bond-mode writes it ("802.3ad").
func (m BondMode) String() string {
	if m < 0 || int(m) >= len(bondModeNames) {
		return "BondMode(" + strconv.Itoa(int(m)) + ")"
	}
	return bondModeNames[m]
}

// MarshalText encodes the mode by name.
func (m BondMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a mode by name or number.
func (m *BondMode) UnmarshalText(b []byte) error {
	v, err := ParseBondMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseBondMode reads a bonding mode by name ("active-backup") or by
// number ("1"), as the bonding driver accepts it.
func ParseBondMode(s string) (BondMode, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range bondModeNames {
		if t == n || t == strconv.Itoa(i) {
			return BondMode(i), nil
		}
	}
	return 0, errorf(ErrValue, "bond-mode: unknown mode %q (want balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb or 0 to 6)", s)
}

// xmitHashPolicies are the bonding driver's transmit hash policies by
// number.
var xmitHashPolicies = [...]string{"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"}

// ParseXmitHashPolicy reads a bond-xmit-hash-policy by name or number and
// returns its name.
func ParseXmitHashPolicy(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range xmitHashPolicies {
		if t == n || t == strconv.Itoa(i) {
			return n, nil
		}
	}
	return "", errorf(ErrValue, "bond-xmit-hash-policy: unknown policy %q (want layer2, layer2+3, layer3+4, encap2+3, encap3+4 or vlan+srcmac)", s)
}

// XmitHashPolicyNumber returns the kernel's number of a transmit hash
// policy name, or -1.
func XmitHashPolicyNumber(name string) int {
	for i, n := range xmitHashPolicies {
		if n == name {
			return i
		}
	}
	return -1
}
