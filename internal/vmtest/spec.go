package vmtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/vmtest/job"
)

// SpecFile is where a package asks for its VM, relative to the package.
const SpecFile = "testdata/vm.json"

// ErrSpec is wrapped by every error about a testdata/vm.json file.
var ErrSpec = errors.New("bad VM spec")

// Defaults of a Spec.
const (
	DefaultTimeout  = 5 * time.Minute
	DefaultMemory   = 2 << 30
	DefaultDiskSize = 1 << 30
	DefaultCPUs     = 1
	MaxDisks        = 16
	MaxNICs         = 8
)

// Spec is a package's testdata/vm.json: the devices and limits of the VM
// its tests run in. The zero Spec (no file) is a VM with no extra
// devices, BIOS firmware, 2 GiB of memory, one CPU and a 5 minute limit.
//
//	{
//	  "disks": [{"size": "1G"}, {"size": "2G", "bus": "scsi"}],
//	  "sata": true,
//	  "nvme": true,
//	  "nics": 2,
//	  "ovmf": true,
//	  "timeout": "5m",
//	  "bench_timeout": "30m",
//	  "memory": "3G",
//	  "cpus": 2,
//	  "modules": ["zfs"],
//	  "tags": ["libzfs"],
//	  "packages": ["python3", "ifupdown2"]
//	}
type Spec struct {
	// Disks are blank, sparse disks, in the order HOSTADM_VM_DISKS lists
	// them.
	Disks []DiskSpec `json:"disks,omitempty"`
	// SATA attaches a blank 1 GiB disk to the AHCI controller
	// (HOSTADM_VM_SATA); QEMU answers ATA SMART commands for it.
	SATA bool `json:"sata,omitempty"`
	// NVMe attaches a blank 1 GiB NVMe namespace (HOSTADM_VM_NVME); QEMU
	// answers the SMART / health log page for it.
	NVMe bool `json:"nvme,omitempty"`
	// NICs is the number of virtio network interfaces, named eth1 to
	// ethN (HOSTADM_VM_NICS). Each is alone on its own link, with the
	// carrier up; the guest's eth0 is never attached.
	NICs int `json:"nics,omitempty"`
	// OVMF boots the guest under UEFI firmware with a writable variable
	// store of its own; efivarfs is mounted (HOSTADM_VM_EFI=1).
	OVMF bool `json:"ovmf,omitempty"`
	// Timeout bounds the package's tests; zero means DefaultTimeout.
	Timeout job.Duration `json:"timeout,omitempty"`
	// BenchTimeout bounds a run with benchmarks (-bench), whose anchors
	// can be far slower under emulation than the tests; zero means
	// Timeout.
	BenchTimeout job.Duration `json:"bench_timeout,omitempty"`
	// Memory is the guest's memory; zero means DefaultMemory.
	Memory Size `json:"memory,omitempty"`
	// CPUs is the number of virtual CPUs; zero means DefaultCPUs.
	CPUs int `json:"cpus,omitempty"`
	// Modules are kernel modules loaded before the tests start (for
	// example "zfs" for code that opens /dev/zfs itself). Others load on
	// demand as on any Debian host.
	Modules []string `json:"modules,omitempty"`
	// Tags are extra build tags for the test binary, beside vmtest (for
	// example "libzfs" for the cgo backend, linked against the guest's
	// libzfs).
	Tags []string `json:"tags,omitempty"`
	// Packages are more Debian packages for this package's guest, beside
	// the base image's, with what they depend on (see Env.PackageImage):
	// tools and test oracles that only some packages need, such as
	// "python3" and "ifupdown2", which would make every guest bigger.
	Packages []string `json:"packages,omitempty"`
}

// DiskSpec is one blank disk.
type DiskSpec struct {
	// Size of the disk; zero means DefaultDiskSize.
	Size Size `json:"size,omitempty"`
	// Bus is "virtio" (virtio-blk, /dev/vdX; the default) or "scsi"
	// (scsi-hd on virtio-scsi, /dev/sdX).
	Bus string `json:"bus,omitempty"`
}

// Size is a byte count written as a number or a string with a binary
// suffix: "512M", "1G", "1.5G", "64K", "1T".
type Size int64

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?$`)

// ParseSize parses a Size.
func ParseSize(s string) (Size, error) {
	m := sizeRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("size %q: want a number with an optional K, M, G or T suffix", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m[2]]
	v *= float64(uint64(1) << shift)
	if v > 1<<50 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(v), nil
}

// String formats s the way ParseSize reads it.
func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}} {
		if s >= 1<<u.shift && s%(1<<u.shift) == 0 {
			return strconv.FormatInt(int64(s>>u.shift), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *Size) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case float64:
		if v < 0 || v != float64(int64(v)) {
			return fmt.Errorf("size %v: want a whole number of bytes", v)
		}
		*s = Size(v)
		return nil
	case string:
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s = n
		return nil
	}
	return fmt.Errorf("size %s: want a number or a string such as \"1G\"", b)
}

// MarshalJSON implements json.Marshaler.
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

var (
	moduleRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tagRE     = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	packageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`) // Debian policy 5.6.1
)

// ParseSpec parses a testdata/vm.json file; name is used in errors, which
// carry the line and column ("lvm/testdata/vm.json:3:12: ...") and wrap
// ErrSpec. Unknown fields are errors.
func ParseSpec(name string, data []byte) (*Spec, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, specError(name, data, err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		off := int64(len(data) - len(rest))
		return nil, specErrorAt(name, data, off, errors.New("data after the JSON object"))
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrSpec, err)
	}
	return &s, nil
}

func (s *Spec) validate() error {
	if len(s.Disks) > MaxDisks {
		return fmt.Errorf("disks: %d disks, at most %d", len(s.Disks), MaxDisks)
	}
	for i, d := range s.Disks {
		if d.Size != 0 && (d.Size < 1<<20 || d.Size%512 != 0) {
			return fmt.Errorf("disks[%d]: size %v: want at least 1M and a multiple of 512", i, d.Size)
		}
		if d.Bus != "" && d.Bus != "virtio" && d.Bus != "scsi" {
			return fmt.Errorf("disks[%d]: bus %q: want \"virtio\" or \"scsi\"", i, d.Bus)
		}
	}
	if s.NICs < 0 || s.NICs > MaxNICs {
		return fmt.Errorf("nics: %d: want 0 to %d", s.NICs, MaxNICs)
	}
	if s.CPUs < 0 || s.CPUs > 8 {
		return fmt.Errorf("cpus: %d: want 1 to 8", s.CPUs)
	}
	if s.Memory != 0 && (s.Memory < 256<<20 || s.Memory > 16<<30) {
		return fmt.Errorf("memory: %v: want 256M to 16G", s.Memory)
	}
	for _, m := range s.Modules {
		if !moduleRE.MatchString(m) {
			return fmt.Errorf("modules: %q is not a module name", m)
		}
	}
	for _, t := range s.Tags {
		if !tagRE.MatchString(t) || t == "vmtest" {
			return fmt.Errorf("tags: %q is not an extra build tag", t)
		}
	}
	for _, p := range s.Packages {
		if !packageRE.MatchString(p) {
			return fmt.Errorf("packages: %q is not a Debian package name", p)
		}
	}
	return nil
}

// timeout, memory and cpus return the spec's values with defaults.
func (s *Spec) timeout() time.Duration {
	if s.Timeout == 0 {
		return DefaultTimeout
	}
	return time.Duration(s.Timeout)
}

// timeoutFor returns the limit of a run with benchmarks (bench) or
// without.
func (s *Spec) timeoutFor(bench bool) time.Duration {
	if bench && s.BenchTimeout != 0 {
		return time.Duration(s.BenchTimeout)
	}
	return s.timeout()
}

func (s *Spec) memory() Size {
	if s.Memory == 0 {
		return DefaultMemory
	}
	return s.Memory
}

func (s *Spec) cpus() int {
	if s.CPUs == 0 {
		return DefaultCPUs
	}
	return s.CPUs
}

// buildTags returns the tags of the package's test binary.
func (s *Spec) buildTags() string {
	return strings.Join(append([]string{"vmtest"}, slices.Sorted(slices.Values(s.Tags))...), ",")
}

func specError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the bad one included.
		return specErrorAt(name, data, se.Offset-1, err)
	case errors.As(err, &te):
		return specErrorAt(name, data, te.Offset, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return specErrorAt(name, data, int64(len(data)), errors.New("unexpected end of JSON"))
	}
	// Unknown fields and UnmarshalJSON errors carry no offset.
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if i := bytes.Index(data, []byte(f)); i >= 0 {
			return specErrorAt(name, data, int64(i), fmt.Errorf("unknown field %s", f))
		}
	}
	return fmt.Errorf("%s: %w: %w", name, ErrSpec, err)
}

func specErrorAt(name string, data []byte, off int64, err error) error {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Errorf("%s:%d:%d: %w: %w", name, line, col, ErrSpec, err)
}
