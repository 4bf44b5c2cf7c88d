package microcode

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// EarlyUpdate is what the kernel log says about microcode loading at boot.
type EarlyUpdate struct {
	// Updated is true when the kernel applied an early update.
	Updated bool `json:"updated"`
	// From is the revision before the update (the CPU's or the firmware's),
	// when the kernel logged it.
	From    uint32 `json:"from,omitempty"`
	HasFrom bool   `json:"has_from"`
	// To is the revision after the update, or the current revision the
	// kernel reported when it did not update.
	To    uint32 `json:"to,omitempty"`
	HasTo bool   `json:"has_to"`
	// Date is the update's release date (YYYY-MM-DD) on the kernels that
	// log it.
	Date string `json:"date,omitempty"`
	// Lines are the kernel's microcode messages, without prefixes.
	Lines []string `json:"lines,omitempty"`
	// Disabled is true when the log says the loader was disabled
	// (dis_ucode_ldr) .
	Disabled bool `json:"disabled,omitempty"`
}

var (
	// Intel up to 6.5: "microcode updated early to revision 0xf0, date = 2021-11-12".
	reEarlyOld = regexp.MustCompile(`microcode updated early to (?:new patch_level=|revision )(0x[0-9a-fA-F]+)(?:, date = (\d{4}-\d{2}-\d{2}))?`)
	// Intel 6.6 to 6.7: "updated early: 0x2006e05 -> 0x2007006, date = 2023-03-06".
	reEarlyArrow = regexp.MustCompile(`updated early: (0x[0-9a-fA-F]+) -> (0x[0-9a-fA-F]+)(?:, date = (\d{4}-\d{2}-\d{2}))?`)
	// 6.8 and later, both vendors: "Current revision: 0x02007006" and
	// "Updated early from: 0x02006e05".
	reCurrent   = regexp.MustCompile(`Current revision: (0x[0-9a-fA-F]+)`)
	reEarlyFrom = regexp.MustCompile(`Updated early from: (0x[0-9a-fA-F]+)`)
	// Late loads of older kernels: "sig=0x50654, pf=0x1, revision=0x2006e05".
	reSig = regexp.MustCompile(`sig=0x[0-9a-fA-F]+, pf=0x[0-9a-fA-F]+, revision=(0x[0-9a-fA-F]+)`)
	// AMD up to 6.7: "CPU0: patch_level=0x0830107a".
	rePatchLevel = regexp.MustCompile(`CPU\d+: patch_level=(0x[0-9a-fA-F]+)`)
)

// ParseKernelLog finds the microcode messages in kernel log text: dmesg
// output ("[    0.000000] microcode: ..."), /dev/kmsg records
// ("6,1,0,-;microcode: ..."), journalctl -k or kern.log lines. Only the
// first boot in the text counts: a kern.log spanning reboots reports the
// last boot it contains.
func ParseKernelLog(data []byte) EarlyUpdate {
	var u EarlyUpdate
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		msg := kernelMessage(sc.Text())
		if isBootStart(msg) {
			u = EarlyUpdate{} // a later boot in the same file
			continue
		}
		i := strings.Index(msg, "microcode")
		if i < 0 {
			continue
		}
		if strings.Contains(msg, "dis_ucode_ldr") && !strings.HasPrefix(msg, "Command line:") && !strings.HasPrefix(msg, "Kernel command line:") {
			u.Disabled = true
		}
		if !strings.HasPrefix(msg, "microcode:") && !strings.Contains(msg, "microcode updated early") {
			continue
		}
		u.Lines = append(u.Lines, msg)
		if m := reEarlyOld.FindStringSubmatch(msg); m != nil {
			u.Updated = true
			u.To, u.HasTo = mustRev(m[1]), true
			u.Date = m[2]
		} else if m := reEarlyArrow.FindStringSubmatch(msg); m != nil {
			u.Updated = true
			u.From, u.HasFrom = mustRev(m[1]), true
			u.To, u.HasTo = mustRev(m[2]), true
			u.Date = m[3]
		} else if m := reEarlyFrom.FindStringSubmatch(msg); m != nil {
			u.Updated = true
			u.From, u.HasFrom = mustRev(m[1]), true
		} else if m := reCurrent.FindStringSubmatch(msg); m != nil {
			u.To, u.HasTo = mustRev(m[1]), true
		} else if m := reSig.FindStringSubmatch(msg); m != nil && !u.HasTo {
			u.To, u.HasTo = mustRev(m[1]), true
		} else if m := rePatchLevel.FindStringSubmatch(msg); m != nil && !u.HasTo {
			u.To, u.HasTo = mustRev(m[1]), true
		}
	}
	return u
}

func mustRev(s string) uint32 {
	r, _ := ParseRevision(s)
	return r
}

// isBootStart reports the first message of a boot.
func isBootStart(msg string) bool {
	return strings.HasPrefix(msg, "Linux version ")
}

// kernelMessage strips the prefixes of the log formats ParseKernelLog
// reads and returns the message.
func kernelMessage(line string) string {
	// /dev/kmsg: "PRI,SEQ,TIME,FLAGS[,...];message"
	if semi := strings.IndexByte(line, ';'); semi > 0 && isKmsgPrefix(line[:semi]) {
		return line[semi+1:]
	}
	// dmesg: "[    0.000000] message"
	if strings.HasPrefix(line, "[") {
		if end := strings.IndexByte(line, ']'); end > 0 {
			return strings.TrimLeft(line[end+1:], " ")
		}
	}
	// syslog and journalctl: "... kernel: message"
	if i := strings.Index(line, " kernel: "); i >= 0 {
		msg := line[i+len(" kernel: "):]
		if strings.HasPrefix(msg, "[") { // kern.log with printk times
			if end := strings.IndexByte(msg, ']'); end > 0 {
				msg = strings.TrimLeft(msg[end+1:], " ")
			}
		}
		return msg
	}
	return line
}

func isKmsgPrefix(s string) bool {
	f := strings.Split(s, ",")
	if len(f) < 4 {
		return false
	}
	for _, p := range f[:3] {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
