package microcode

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// VulnState classifies a vulnerability file's text.
type VulnState string

// The states the kernel reports.
const (
	NotAffected VulnState = "not-affected"
	Mitigated   VulnState = "mitigated"
	Vulnerable  VulnState = "vulnerable"
	Unknown     VulnState = "unknown"
)

// Vulnerability is one file of /sys/devices/system/cpu/vulnerabilities.
type Vulnerability struct {
	// Name is the file name ("spectre_v2").
	Name string `json:"name"`
	// Title is the name as lscpu shows it ("Spectre v2").
	Title string `json:"title"`
	// Text is the kernel's text ("Mitigation: Retpolines; IBPB: ...").
	Text  string    `json:"text"`
	State VulnState `json:"state"`
	// SMTVulnerable is true when the mitigation leaves SMT siblings
	// exposed ("SMT vulnerable").
	SMTVulnerable bool `json:"smt_vulnerable,omitempty"`
	// NeedsMicrocode is true when the kernel says the mitigation lacks
	// microcode support ("no microcode", or old_microcode "Vulnerable").
	NeedsMicrocode bool `json:"needs_microcode,omitempty"`
}

// NewVulnerability classifies the text of the file name.
func NewVulnerability(name, text string) Vulnerability {
	text = strings.TrimSpace(text)
	v := Vulnerability{Name: name, Title: lscpuTitle(name), Text: text}
	// itlb_multihit reports for KVM: "KVM: Mitigation: Split huge pages".
	body := strings.TrimPrefix(text, "KVM: ")
	switch {
	case body == "Not affected":
		v.State = NotAffected
	case strings.HasPrefix(body, "Mitigation"):
		v.State = Mitigated
	case strings.HasPrefix(body, "Vulnerable"):
		v.State = Vulnerable
	default:
		v.State = Unknown
	}
	lower := strings.ToLower(text)
	v.SMTVulnerable = strings.Contains(lower, "smt vulnerable")
	v.NeedsMicrocode = strings.Contains(lower, "no microcode") ||
		name == "old_microcode" && v.State == Vulnerable
	return v
}

// lscpuTitle turns "spec_store_bypass" into "Spec store bypass".
func lscpuTitle(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
