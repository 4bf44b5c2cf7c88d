package lvm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// Errors for the cases users hit, matched with errors.Is. A failed
// command's error also unwraps to the *runner.ExitError with its argv,
// exit code and stderr.
var (
	ErrVGNotFound = errors.New("volume group not found")
	ErrLVNotFound = errors.New("logical volume not found")
	ErrPVNotFound = errors.New("physical volume not found")
	// ErrExists is returned when a VG, LV or PV name or device is taken.
	ErrExists = errors.New("name already in use")
	// ErrNoSpace is returned when the VG has too few free extents.
	ErrNoSpace = errors.New("not enough free space in volume group")
	// ErrInUse is returned for a device or volume that is open, mounted
	// or otherwise busy.
	ErrInUse = errors.New("device in use")
	// ErrInvalid is returned for arguments refused before running
	// anything: a bad name or size, or a thin pool extension that would
	// not extend the metadata.
	ErrInvalid = errors.New("invalid argument")
)

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system whose files (fstab,
	// storage.cfg, mount points) are read and written; "" means "/".
	// LVM commands always act on the running system's devices.
	Root string
}

// Client runs the LVM tools and edits the files around them.
type Client struct {
	fs  *rootfs.FS
	run runner.Runner
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	return &Client{fs: f, run: runner.Default}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

var reportFlags = []string{"--reportformat", "json", "--units", "b", "--nosuffix"}

// report runs an LVM reporting command.
func (c *Client) report(ctx context.Context, args ...string) ([]byte, error) {
	res, err := c.run.Run(ctx, runner.Cmd{Args: args})
	if err != nil {
		return nil, classify(err)
	}
	return res.Stdout, nil
}

// PVs lists the physical volumes (pvs).
func (c *Client) PVs(ctx context.Context) ([]PV, error) {
	out, err := c.report(ctx, append(append([]string{"pvs"}, reportFlags...), "-o", pvColumns)...)
	if err != nil {
		return nil, err
	}
	return ParsePVs(out)
}

// VGs lists the volume groups (vgs).
func (c *Client) VGs(ctx context.Context) ([]VG, error) {
	out, err := c.report(ctx, append(append([]string{"vgs"}, reportFlags...), "-o", vgColumns)...)
	if err != nil {
		return nil, err
	}
	return ParseVGs(out)
}

// VG returns one volume group; ErrVGNotFound if there is none of that
// name.
func (c *Client) VG(ctx context.Context, name string) (*VG, error) {
	if err := validName("volume group", name); err != nil {
		return nil, err
	}
	out, err := c.report(ctx, append(append([]string{"vgs"}, reportFlags...), "-o", vgColumns, name)...)
	if err != nil {
		return nil, err
	}
	vgs, err := ParseVGs(out)
	if err != nil {
		return nil, err
	}
	if len(vgs) != 1 {
		return nil, fmt.Errorf("%w: %s", ErrVGNotFound, name)
	}
	return &vgs[0], nil
}

// LVs lists the logical volumes of vg, or of every VG when vg is "",
// hidden ones (a thin pool's data and metadata) included (lvs -a).
func (c *Client) LVs(ctx context.Context, vg string) ([]LV, error) {
	args := append(append([]string{"lvs", "-a"}, reportFlags...), "-o", lvColumns)
	if vg != "" {
		if err := validName("volume group", vg); err != nil {
			return nil, err
		}
		args = append(args, vg)
	}
	out, err := c.report(ctx, args...)
	if err != nil {
		return nil, err
	}
	return ParseLVs(out)
}

// LV returns one logical volume; ErrVGNotFound or ErrLVNotFound when
// it does not exist.
func (c *Client) LV(ctx context.Context, vg, name string) (*LV, error) {
	if err := validLV(vg, name); err != nil {
		return nil, err
	}
	out, err := c.report(ctx, append(append([]string{"lvs"}, reportFlags...), "-o", lvColumns, vg+"/"+name)...)
	if err != nil {
		return nil, err
	}
	lvs, err := ParseLVs(out)
	if err != nil {
		return nil, err
	}
	if len(lvs) != 1 {
		return nil, fmt.Errorf("%w: %s/%s", ErrLVNotFound, vg, name)
	}
	return &lvs[0], nil
}

// FullReport returns every VG with its PVs and LVs in one command (lvm
// fullreport).
func (c *Client) FullReport(ctx context.Context) (*Report, error) {
	out, err := c.report(ctx, append([]string{"lvm", "fullreport", "-a"}, reportFlags...)...)
	if err != nil {
		return nil, err
	}
	return ParseFullReport(out)
}

// nameRE is LVM's character set for VG and LV names (lvm(8), "VALID
// NAMES").
var nameRE = regexp.MustCompile(`^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$`)

// reservedLVParts are strings an LV name may not contain, and prefixes
// it may not have, because LVM uses them for internal volumes.
var (
	reservedLVParts    = []string{"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin", "_wcorig"}
	reservedLVPrefixes = []string{"snapshot", "pvmove"}
)

func validName(what, name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 127 || !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s name %q", ErrInvalid, what, name)
	}
	return nil
}

func validLV(vg, lv string) error {
	if err := validName("volume group", vg); err != nil {
		return err
	}
	if err := validName("logical volume", lv); err != nil {
		return err
	}
	for _, p := range reservedLVPrefixes {
		if strings.HasPrefix(lv, p) {
			return fmt.Errorf("%w: logical volume name %q starts with %q, reserved by LVM", ErrInvalid, lv, p)
		}
	}
	for _, p := range reservedLVParts {
		if strings.Contains(lv, p) {
			return fmt.Errorf("%w: logical volume name %q contains %q, reserved by LVM", ErrInvalid, lv, p)
		}
	}
	return nil
}

func validDevice(dev string) error {
	if !strings.HasPrefix(dev, "/") || strings.ContainsAny(dev, " \t\n") {
		return fmt.Errorf("%w: device %q is not an absolute path", ErrInvalid, dev)
	}
	return nil
}

// bytesArg renders a size for LVM's -L, -V and --poolmetadatasize in
// bytes (LVM rounds up to whole extents).
func bytesArg(n uint64) string { return strconv.FormatUint(n, 10) + "b" }

// stderr patterns of the LVM tools, mapped to typed errors.
var errorPatterns = []struct {
	re  *regexp.Regexp
	err error
}{
	{regexp.MustCompile(`(?i)Volume group "[^"]*" not found|Cannot process volume group`), ErrVGNotFound},
	{regexp.MustCompile(`(?i)Failed to find logical volume|logical volume\(s\) not found|One or more specified logical volume\(s\) not found`), ErrLVNotFound},
	{regexp.MustCompile(`(?i)Failed to find physical volume|No physical volume label read|not a PV|Cannot use [^:]*: device not found|No device found for`), ErrPVNotFound},
	{regexp.MustCompile(`(?i)already exists|A volume group called .* already exists|is already in volume group|Physical volume '[^']*' is already in`), ErrExists},
	{regexp.MustCompile(`(?i)insufficient free space|Insufficient suitable allocatable extents|not enough free space|No free extents`), ErrNoSpace},
	{regexp.MustCompile(`(?i)Can't open .* exclusively|contains a filesystem in use|is used by another device|Device or resource busy|Logical volume .* in use|is mounted|is open|Can't remove open logical volume`), ErrInUse},
}

// classify wraps a failed command's error with the typed error its
// stderr names, if any.
func classify(err error) error {
	var ee *runner.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	for _, p := range errorPatterns {
		if p.re.MatchString(ee.Stderr) {
			return fmt.Errorf("%w: %w", p.err, err)
		}
	}
	return err
}

// exec runs an LVM command that changes something.
func (c *Client) exec(ctx context.Context, args ...string) error {
	if _, err := c.run.Run(ctx, runner.Cmd{Args: args}); err != nil {
		return classify(err)
	}
	return nil
}
