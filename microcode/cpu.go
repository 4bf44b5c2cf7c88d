package microcode

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Vendor is the CPU vendor string of /proc/cpuinfo's vendor_id.
type Vendor string

// The vendors that have an early-update microcode package in Debian.
const (
	Intel Vendor = "GenuineIntel"
	AMD   Vendor = "AuthenticAMD"
)

// Package returns the Debian package carrying the vendor's microcode
// ("intel-microcode", "amd64-microcode"), or "" for other vendors.
func (v Vendor) Package() string {
	switch v {
	case Intel:
		return "intel-microcode"
	case AMD:
		return "amd64-microcode"
	}
	return ""
}

// CPU is one logical CPU.
type CPU struct {
	Processor int    `json:"processor"`
	Vendor    Vendor `json:"vendor"`
	Family    int    `json:"family"`
	Model     int    `json:"model"`
	Stepping  int    `json:"stepping"`
	ModelName string `json:"model_name"`
	// Revision is the running microcode revision: sysfs'
	// microcode/version where present, else cpuinfo's "microcode" line.
	Revision uint32 `json:"revision"`
	// HasRevision is false when neither source reports one (some
	// hypervisors and non-x86 CPUs).
	HasRevision bool `json:"has_revision"`
	// ProcessorFlags is sysfs' microcode/processor_flags (Intel's
	// platform ID bit), zero where absent.
	ProcessorFlags uint32 `json:"processor_flags,omitempty"`
	PhysicalID     int    `json:"physical_id"`
	CoreID         int    `json:"core_id"`
	// Hypervisor is true in a virtual machine ("hypervisor" flag): the
	// revision is then the host's business.
	Hypervisor bool `json:"hypervisor"`
}

// Signature returns the CPUID leaf 1 EAX value the CPU reports, from its
// family, model and stepping, as the microcode files match it.
func (c CPU) Signature() uint32 {
	fam, model := uint32(c.Family), uint32(c.Model)
	var eax uint32
	if fam > 0xf {
		eax |= (fam-0xf)<<20 | 0xf<<8
	} else {
		eax |= fam << 8
	}
	eax |= (model>>4)<<16 | (model&0xf)<<4 | uint32(c.Stepping)&0xf
	return eax
}

// FirmwareFile returns the file under /lib/firmware the kernel loads the
// CPU's microcode from: "intel-ucode/06-55-04" (family-model-stepping in
// hex) or "amd-ucode/microcode_amd_fam19h.bin"; "" for other vendors.
func (c CPU) FirmwareFile() string {
	switch c.Vendor {
	case Intel:
		return fmt.Sprintf("intel-ucode/%02x-%02x-%02x", c.Family, c.Model, c.Stepping)
	case AMD:
		if c.Family >= 0x15 {
			return fmt.Sprintf("amd-ucode/microcode_amd_fam%02xh.bin", c.Family)
		}
		return "amd-ucode/microcode_amd.bin"
	}
	return ""
}

// ParseCPUInfo parses /proc/cpuinfo (x86 layout) into one CPU per
// "processor" block. name is used in errors.
func ParseCPUInfo(name string, data []byte) ([]CPU, error) {
	var cpus []CPU
	var cur *CPU
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: processor %q: not a number", name, line, v)
			}
			cpus = append(cpus, CPU{Processor: n})
			cur = &cpus[len(cpus)-1]
			continue
		}
		if cur == nil {
			continue
		}
		num := func() (int, error) {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%s:%d: %s %q: not a number", name, line, k, v)
			}
			return n, nil
		}
		var err error
		switch k {
		case "vendor_id":
			cur.Vendor = Vendor(v)
		case "cpu family":
			cur.Family, err = num()
		case "model":
			cur.Model, err = num()
		case "stepping":
			cur.Stepping, err = num()
		case "model name":
			cur.ModelName = v
		case "physical id":
			cur.PhysicalID, err = num()
		case "core id":
			cur.CoreID, err = num()
		case "microcode":
			var r uint64
			r, err = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 32)
			if err != nil {
				err = fmt.Errorf("%s:%d: microcode %q: not a hexadecimal revision", name, line, v)
			}
			cur.Revision, cur.HasRevision = uint32(r), err == nil
		case "flags":
			cur.Hypervisor = slices.Contains(strings.Fields(v), "hypervisor")
		}
		if err != nil {
			return nil, err
		}
	}
	return cpus, sc.Err()
}

// ParseRevision parses a revision as sysfs and cpuinfo write it ("0x2007006").
func ParseRevision(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	r, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("revision %q: not hexadecimal", s)
	}
	return uint32(r), nil
}

// FormatRevision writes a revision the way /proc/cpuinfo does ("0x2007006").
func FormatRevision(r uint32) string { return "0x" + strconv.FormatUint(uint64(r), 16) }
