package btrfs

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/hostadm/hostadm/internal/runner"
)

// minDevices is the device count each profile needs: the admin guide's
// minimums for the supported profiles (raid1 two disks, raid10 four),
// mkfs.btrfs's for the others.
var minDevices = map[Profile]int{
	Single: 1, DUP: 1, RAID0: 2, RAID1: 2, RAID10: 4,
	RAID1C3: 3, RAID1C4: 4, RAID5: 2, RAID6: 3,
}

// MkfsPlan describes a new btrfs file system.
type MkfsPlan struct {
	// Devices are the block devices, at least one.
	Devices []string `json:"devices"`
	// Data and Metadata are the profiles (-d and -m); empty means what
	// mkfs.btrfs picks: single data and, on several devices, raid1
	// metadata (dup on one).
	Data     Profile `json:"data,omitempty"`
	Metadata Profile `json:"metadata,omitempty"`
	// Label is the optional file system label (-L), at most 255 bytes.
	Label string `json:"label,omitempty"`
	// AllowRAID56 permits raid5 and raid6, which the admin guide calls
	// experimental and dangerous; without it they are refused.
	AllowRAID56 bool `json:"allow_raid56,omitempty"`
	// Force overwrites an existing file system on the devices (-f).
	Force bool `json:"force,omitempty"`
	// Mixed puts data and metadata in the same block groups (--mixed),
	// which suits file systems of a few GiB; Data and Metadata must then
	// be equal.
	Mixed bool `json:"mixed,omitempty"`
}

// Validate checks the plan and returns warnings for choices that are
// allowed but risky.
func (p *MkfsPlan) Validate() (warnings []string, err error) {
	n := len(p.Devices)
	if n == 0 {
		return nil, fmt.Errorf("%w: no devices", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, d := range p.Devices {
		if d == "" || d[0] == '-' {
			return nil, fmt.Errorf("%w: device %q", ErrInvalid, d)
		}
		if seen[d] {
			return nil, fmt.Errorf("%w: device %s given twice", ErrInvalid, d)
		}
		seen[d] = true
	}
	if len(p.Label) > 255 {
		return nil, fmt.Errorf("%w: label of %d bytes (at most 255)", ErrInvalid, len(p.Label))
	}
	for _, x := range []struct {
		what string
		p    Profile
	}{{"data", p.Data}, {"metadata", p.Metadata}} {
		if x.p == "" {
			continue
		}
		min, ok := minDevices[x.p]
		if !ok {
			return nil, fmt.Errorf("%w: %s profile %q (want single, dup, raid0, raid1, raid1c3, raid1c4, raid10, raid5 or raid6)", ErrInvalid, x.what, x.p)
		}
		if n < min {
			return nil, fmt.Errorf("%w: %s profile %s needs at least %d devices, have %d", ErrInvalid, x.what, x.p, min, n)
		}
		if x.p == RAID5 || x.p == RAID6 {
			if !p.AllowRAID56 {
				return nil, fmt.Errorf("%w: %s profile %s is experimental and dangerous; set AllowRAID56 to use it anyway", ErrInvalid, x.what, x.p)
			}
			warnings = append(warnings, fmt.Sprintf("%s profile %s: btrfs RAID levels 5/6 are experimental and dangerous", x.what, x.p))
		}
		if x.p == DUP && n > 1 {
			warnings = append(warnings, fmt.Sprintf("%s profile dup keeps both copies on one device; use raid1 for redundancy across devices", x.what))
		}
	}
	if p.Mixed && p.Data != p.Metadata {
		return nil, fmt.Errorf("%w: mixed block groups need the same data and metadata profile, have %s and %s", ErrInvalid, cmpOr(p.Data, "default"), cmpOr(p.Metadata, "default"))
	}
	if n > 1 && (p.Data == "" || p.Data == Single || p.Data == RAID0) {
		warnings = append(warnings, fmt.Sprintf("data profile %s on %d devices has no redundancy: losing one device loses data", cmpOr(p.Data, Single), n))
	}
	return warnings, nil
}

func cmpOr(p, def Profile) Profile {
	if p == "" {
		return def
	}
	return p
}

// Argv returns the mkfs.btrfs command line, as the admin guide writes it:
// mkfs.btrfs -m raid1 -d raid1 -L My-Storage /dev/sdb1 /dev/sdc1.
func (p *MkfsPlan) Argv() ([]string, error) {
	if _, err := p.Validate(); err != nil {
		return nil, err
	}
	argv := []string{"mkfs.btrfs"}
	if p.Force {
		argv = append(argv, "-f")
	}
	if p.Mixed {
		argv = append(argv, "--mixed")
	}
	if p.Metadata != "" {
		argv = append(argv, "-m", string(p.Metadata))
	}
	if p.Data != "" {
		argv = append(argv, "-d", string(p.Data))
	}
	if p.Label != "" {
		argv = append(argv, "-L", p.Label)
	}
	return append(argv, slices.Clone(p.Devices)...), nil
}

var mkfsUUIDRE = regexp.MustCompile(`(?m)^UUID:\s+([0-9a-fA-F-]{36})\s*$`)

// parseMkfsUUID finds the file system UUID in mkfs.btrfs's output.
func parseMkfsUUID(out []byte) (UUID, error) {
	m := mkfsUUIDRE.FindSubmatch(out)
	if m == nil {
		return UUID{}, fmt.Errorf("mkfs.btrfs printed no UUID")
	}
	return ParseUUID(string(m[1]))
}

// Mkfs creates the file system by running mkfs.btrfs and returns its
// UUID, which the admin guide recommends for the fstab entry. It destroys
// what is on the devices.
func (c *Client) Mkfs(ctx context.Context, p *MkfsPlan) (UUID, error) {
	argv, err := p.Argv()
	if err != nil {
		return UUID{}, err
	}
	res, err := c.run.Run(ctx, runner.Cmd{Args: argv})
	if err != nil {
		return UUID{}, err
	}
	return parseMkfsUUID(res.Stdout)
}
