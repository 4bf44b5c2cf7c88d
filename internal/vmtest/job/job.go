// Package job is the contract between the VM tier's host-side driver and
// its guest init: the job the driver packs into the initramfs, and the
// line protocol the init writes on the guest's second serial port.
//
// The protocol is plain text. Test output passes through unchanged; the
// init's own records are lines that start with [Prefix]:
//
//	##vmtest: stage NAME SECONDS       a guest stage took SECONDS
//	##vmtest: env KEY=VALUE            the environment the tests got
//	##vmtest: start PKG                PKG's test binary starts
//	##vmtest: exit PKG CODE SECONDS    it exited with CODE (-1: killed)
//	##vmtest: error MESSAGE            the guest could not set up
//	##vmtest: done                     every test ran; the guest powers off
package job

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Path is where the job file lives in the guest.
const Path = "/hostadm/job.json"

// MarkerPath is where a boot test's initrd holds its marker: the init
// then prints the marker and powers off instead of running a job.
const MarkerPath = "/hostadm/marker"

// Prefix starts every record the guest init writes on the results port.
const Prefix = "##vmtest: "

// Job is what the guest init does.
type Job struct {
	// KernelRelease is the release of the guest kernel (uname -r).
	KernelRelease string `json:"kernel_release"`
	// Modules are loaded with modprobe before the tests run, in order.
	Modules []string `json:"modules,omitempty"`
	// Disks are the block devices the host attached, in the order the
	// tests see them in HOSTADM_VM_DISKS, then the SATA and NVMe disks.
	Disks []Disk `json:"disks,omitempty"`
	// NICs are the network interfaces the host attached, in order.
	NICs []NIC `json:"nics,omitempty"`
	// EFI says the guest booted under OVMF: the init mounts efivarfs and
	// fails when the firmware has no EFI variables.
	EFI bool `json:"efi,omitempty"`
	// Env is added to the environment of every test (KEY=VALUE).
	Env []string `json:"env,omitempty"`
	// Tests run one after another.
	Tests []Test `json:"tests"`
}

// Disk kinds.
const (
	Virtio = "virtio" // virtio-blk: /dev/vdX
	SCSI   = "scsi"   // scsi-hd on virtio-scsi: /dev/sdX
	SATA   = "sata"   // ide-hd on the q35 AHCI controller: /dev/sdX
	NVMe   = "nvme"   // NVMe controller with one namespace: /dev/nvmeXn1
)

// Disk is one disk the guest must find by its serial number.
type Disk struct {
	Kind   string `json:"kind"`
	Serial string `json:"serial"`
}

// NIC is one network interface the guest names after its MAC address.
type NIC struct {
	Name string `json:"name"`
	MAC  string `json:"mac"`
}

// Test is one test binary.
type Test struct {
	Package string   `json:"package"` // import path
	Dir     string   `json:"dir"`     // working directory (a copy of the package's files)
	Binary  string   `json:"binary"`
	Args    []string `json:"args,omitempty"`
	// Timeout kills the binary; zero means no limit.
	Timeout Duration `json:"timeout,omitempty"`
}

// Duration is a time.Duration that encodes as a Go duration string.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"5m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// Record kinds.
const (
	RecStage = "stage"
	RecEnv   = "env"
	RecStart = "start"
	RecExit  = "exit"
	RecError = "error"
	RecDone  = "done"
)

// Record is one protocol line.
type Record struct {
	Kind    string
	Name    string        // stage name, package, or env entry
	Code    int           // exit code
	Elapsed time.Duration // stage or test time
	Message string        // error message
}

// Format returns the record as a protocol line, without the newline.
func (r Record) Format() string {
	switch r.Kind {
	case RecStage:
		return fmt.Sprintf("%s%s %s %.3f", Prefix, r.Kind, r.Name, r.Elapsed.Seconds())
	case RecEnv, RecStart:
		return Prefix + r.Kind + " " + r.Name
	case RecExit:
		return fmt.Sprintf("%s%s %s %d %.3f", Prefix, r.Kind, r.Name, r.Code, r.Elapsed.Seconds())
	case RecError:
		return Prefix + r.Kind + " " + strings.ReplaceAll(r.Message, "\n", " | ")
	default:
		return Prefix + r.Kind
	}
}

// ParseRecord parses a protocol line. ok is false for a line that is not
// a record (test output).
func ParseRecord(line string) (r Record, ok bool, err error) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), Prefix)
	if !ok {
		return Record{}, false, nil
	}
	kind, rest, _ := strings.Cut(rest, " ")
	r.Kind = kind
	f := strings.Fields(rest)
	bad := func() (Record, bool, error) {
		return Record{}, true, fmt.Errorf("malformed %s record %q", kind, line)
	}
	seconds := func(s string) (time.Duration, error) {
		v, err := strconv.ParseFloat(s, 64)
		// NaN fails both comparisons; 1e9 s (31 years) is far beyond any
		// run and far below time.Duration's limit.
		if err != nil || !(v >= 0 && v < 1e9) {
			return 0, fmt.Errorf("bad seconds %q", s)
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	switch kind {
	case RecStage:
		if len(f) != 2 {
			return bad()
		}
		d, err := seconds(f[1])
		if err != nil {
			return bad()
		}
		r.Name, r.Elapsed = f[0], d
	case RecEnv, RecStart:
		if rest == "" {
			return bad()
		}
		r.Name = rest
	case RecExit:
		if len(f) != 3 {
			return bad()
		}
		code, err := strconv.Atoi(f[1])
		if err != nil {
			return bad()
		}
		d, err := seconds(f[2])
		if err != nil {
			return bad()
		}
		r.Name, r.Code, r.Elapsed = f[0], code, d
	case RecError:
		r.Message = rest
	case RecDone:
		if rest != "" {
			return bad()
		}
	default:
		return Record{}, true, fmt.Errorf("unknown record %q", line)
	}
	return r, true, nil
}

// Writer writes test output and records to the results port, starting
// each record on a line of its own.
type Writer struct {
	w       io.Writer
	midLine bool
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write passes test output through.
func (w *Writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := w.w.Write(p)
	if n > 0 {
		w.midLine = p[n-1] != '\n'
	}
	return n, err
}

// Record writes r on a line of its own.
func (w *Writer) Record(r Record) error {
	s := r.Format() + "\n"
	if w.midLine {
		s = "\n" + s
	}
	w.midLine = false
	_, err := io.WriteString(w.w, s)
	return err
}

// Scan reads the results port output from r, calling out for each line
// of test output (with its newline) and rec for each record. A malformed
// record is passed to out as output and reported after the scan.
func Scan(r io.Reader, out func(line string), rec func(Record)) error {
	br := bufio.NewReader(r)
	var bad error
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.ReplaceAll(line, "\r\n", "\n")
			if rc, ok, perr := ParseRecord(line); !ok {
				out(line)
			} else if perr != nil {
				out(line)
				if bad == nil {
					bad = perr
				}
			} else {
				rec(rc)
			}
		}
		if err == io.EOF {
			return bad
		}
		if err != nil {
			return err
		}
	}
}
