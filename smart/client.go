package smart

import (
	"context"
	"errors"
	"fmt"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

// ErrNotHost is returned for device access on a root other than the
// running system.
var ErrNotHost = errors.New("devices can only be read on the running system's root")

// Config configures a Client.
type Config struct {
	// Root is the root directory of the system; "" means "/". Device
	// access needs the running system's root; configuration files and
	// sysfs discovery work on any root.
	Root string
	// AttributeDefs are extra ATA attribute definitions in smartctl's "-v"
	// syntax ("9,minutes", "177,raw48,Wear_Leveling_Count"), applied over
	// the defaults to every drive. Nil means none.
	AttributeDefs []string
	// NoSmartctl disables the smartctl fallback for devices the native
	// reader cannot read; false means fall back.
	NoSmartctl bool
	// NoDriveDB stops the native reader from consulting smartctl's drive
	// database (DriveDBPaths below Root) for drive-specific attribute
	// names and formats; false means use it when it is there.
	NoDriveDB bool
}

// Client reads disk health natively, falling back to smartctl.
type Client struct {
	fs         *rootfs.FS
	run        runner.Runner
	userDefs   []string
	noSmartctl bool
	noDriveDB  bool
	db         driveDBLoader
}

// New returns a Client. A nil cfg means defaults.
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	defs := DefaultAttrDefs()
	for _, o := range cfg.AttributeDefs {
		if err := defs.Apply(o); err != nil {
			return nil, err
		}
	}
	f, err := rootfs.Open(cfg.Root)
	if err != nil {
		return nil, err
	}
	return &Client{fs: f, run: runner.Default, userDefs: cfg.AttributeDefs, noSmartctl: cfg.NoSmartctl, noDriveDB: cfg.NoDriveDB}, nil
}

// Close releases the root directory.
func (c *Client) Close() error { return c.fs.Close() }

// Read returns the health of a disk (/dev/sda, /dev/nvme0n1): natively
// through ATA pass-through, the NVMe admin ioctl or SCSI commands, and with
// smartctl -a -j for devices the native reader cannot read, unless
// Config.NoSmartctl is set. It needs root. Errors from the native attempt
// that are not about the transport (permission, missing device) are
// returned as they are.
func (c *Client) Read(ctx context.Context, device string) (*Report, error) {
	if !c.fs.IsHostRoot() {
		return nil, ErrNotHost
	}
	r, err := c.ReadNative(ctx, device)
	if err == nil {
		return r, nil
	}
	if c.noSmartctl || !(errors.Is(err, ErrNotATA) || errors.Is(err, errors.ErrUnsupported)) {
		return nil, err
	}
	r, _, serr := c.Smartctl(ctx, device, "")
	if serr != nil {
		return nil, fmt.Errorf("%s: native read: %v; %w", device, err, serr)
	}
	return r, nil
}

// ReadNative reads a disk through the kernel's pass-through ioctls only:
// NVMe devices through the admin ioctl, others through ATA PASS-THROUGH
// and, when the device refuses it, as a SCSI disk. A device that answers
// neither fails with an error matching ErrNotATA; other systems than
// Linux fail with errors.ErrUnsupported.
func (c *Client) ReadNative(ctx context.Context, device string) (*Report, error) {
	if !c.fs.IsHostRoot() {
		return nil, ErrNotHost
	}
	return c.readNative(ctx, device)
}

// EnableSMART turns on SMART (SMART ENABLE OPERATIONS), what "smartctl -s
// on" does, for an ATA disk whose report says SMART is disabled. NVMe
// drives always keep their health log; for them it does nothing.
func (c *Client) EnableSMART(ctx context.Context, device string) error {
	if !c.fs.IsHostRoot() {
		return ErrNotHost
	}
	return c.enableSMART(ctx, device)
}

// ataReport assembles a Report from decoded ATA data; defs and entry are
// what defsFor returned for the drive.
func ataReport(device string, id *ATAIdentity, sd *SMARTData, health Health, defs *AttrDefs, entry *DriveEntry) *Report {
	r := &Report{
		Device: device, Transport: ATA, Source: SourceNative,
		Model: id.Model, Serial: id.Serial, Firmware: id.Firmware,
		Capacity: id.Capacity(), LogicalBlockSize: id.LogicalSectorSize, PhysicalBlockSize: id.PhysicalSectorSize,
		RotationRate: id.RotationRate, SMARTAvailable: id.SMARTSupported, SMARTEnabled: id.SMARTEnabled,
		Health: health,
	}
	if sd != nil {
		r.Attributes = sd.Attributes
		if t, ok := ataTemperature(sd.Attributes, defs); ok {
			r.Temperature = ptr(t)
		}
		r.PowerOnHours, r.PowerCycles = ataPowerOn(sd.Attributes, defs)
	}
	if entry != nil {
		r.ModelFamily = entry.Family
	}
	r.finish()
	return r
}

// attributeHealth is smartctl's verdict when RETURN STATUS gives no
// registers: failed if a pre-failure attribute is at or below its
// threshold now.
func attributeHealth(attrs []Attribute) Health {
	for _, a := range attrs {
		if a.Prefailure && a.WhenFailed == "now" {
			return Failed
		}
	}
	return Passed
}

// nvmeReport assembles a Report from decoded NVMe data.
func nvmeReport(device string, ctrl *NVMeController, h *NVMeHealth) *Report {
	r := &Report{
		Device: device, Transport: NVMe, Source: SourceNative,
		Model: ctrl.Model, Serial: ctrl.Serial, Firmware: ctrl.Firmware,
		Capacity: ctrl.TotalCapacity, RotationRate: 1,
		SMARTAvailable: true, SMARTEnabled: true, Health: h.Health(), NVMe: h,
	}
	r.finish()
	return r
}
