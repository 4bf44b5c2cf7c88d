package smart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
)

// ExitStatus is smartctl's exit status, a bit mask (smartctl(8), "RETURN
// VALUES").
type ExitStatus int

// The bits of ExitStatus.
const (
	ExitCommandLine    ExitStatus = 1 << 0 // command line did not parse
	ExitOpenFailed     ExitStatus = 1 << 1 // device open failed or no IDENTIFY answer
	ExitCommandFailed  ExitStatus = 1 << 2 // a SMART or other command failed, or a checksum error
	ExitDiskFailing    ExitStatus = 1 << 3 // SMART status says "DISK FAILING"
	ExitPrefailNow     ExitStatus = 1 << 4 // prefail attributes at or below threshold
	ExitThresholdPast  ExitStatus = 1 << 5 // attributes were at or below threshold in the past
	ExitErrorLog       ExitStatus = 1 << 6 // the error log has errors
	ExitSelfTestErrors ExitStatus = 1 << 7 // the self-test log has errors
)

// Fatal reports whether smartctl failed to read the device at all: only
// bits 0 and 1 mean that (as Proxmox VE decides); the other bits describe
// the disk.
func (s ExitStatus) Fatal() bool { return s&(ExitCommandLine|ExitOpenFailed) != 0 }

// String names the set bits.
func (s ExitStatus) String() string {
	names := []string{"command line", "open failed", "command failed", "disk failing",
		"prefail attributes below threshold", "attributes below threshold in the past",
		"error log has errors", "self-test errors"}
	var out []string
	for i, n := range names {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "ok"
	}
	return strings.Join(out, ", ")
}

// SmartctlError reports a smartctl run that could not read the device.
type SmartctlError struct {
	Device   string
	Status   ExitStatus
	Messages []string
}

func (e *SmartctlError) Error() string {
	msg := fmt.Sprintf("smartctl %s: exit status %d (%s)", e.Device, int(e.Status), e.Status)
	if len(e.Messages) > 0 {
		msg += ": " + strings.Join(e.Messages, "; ")
	}
	return msg
}

// smartctlJSON is the part of smartctl's JSON output that Report holds.
type smartctlJSON struct {
	Smartctl struct {
		Version    []int `json:"version"`
		ExitStatus int   `json:"exit_status"`
		Messages   []struct {
			String   string `json:"string"`
			Severity string `json:"severity"`
		} `json:"messages"`
	} `json:"smartctl"`
	Device struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Protocol string `json:"protocol"`
	} `json:"device"`
	ModelName       string `json:"model_name"`
	ModelFamily     string `json:"model_family"`
	ScsiModelName   string `json:"scsi_model_name"`
	ScsiVendor      string `json:"scsi_vendor"`
	ScsiProduct     string `json:"scsi_product"`
	SerialNumber    string `json:"serial_number"`
	FirmwareVersion string `json:"firmware_version"`
	ScsiRevision    string `json:"scsi_revision"`
	UserCapacity    struct {
		Bytes uint64 `json:"bytes"`
	} `json:"user_capacity"`
	NVMeTotalCapacity uint64          `json:"nvme_total_capacity"`
	LogicalBlockSize  int             `json:"logical_block_size"`
	PhysicalBlockSize int             `json:"physical_block_size"`
	RotationRate      *int            `json:"rotation_rate"`
	SmartSupport      json.RawMessage `json:"smart_support"`
	SmartStatus       *struct {
		Passed *bool `json:"passed"`
	} `json:"smart_status"`
	ATASmartAttributes struct {
		Table []struct {
			ID         int    `json:"id"`
			Name       string `json:"name"`
			Value      int    `json:"value"`
			Worst      int    `json:"worst"`
			Thresh     *int   `json:"thresh"`
			WhenFailed string `json:"when_failed"`
			Flags      struct {
				Value      uint16 `json:"value"`
				Prefailure bool   `json:"prefailure"`
			} `json:"flags"`
			Raw struct {
				Value  uint64 `json:"value"`
				String string `json:"string"`
			} `json:"raw"`
		} `json:"table"`
	} `json:"ata_smart_attributes"`
	Temperature *struct {
		Current *int `json:"current"`
	} `json:"temperature"`
	PowerOnTime *struct {
		Hours *uint64 `json:"hours"`
	} `json:"power_on_time"`
	PowerCycleCount *uint64     `json:"power_cycle_count"`
	NVMeLog         *NVMeHealth `json:"nvme_smart_health_information_log"`
	// SCSI (SAS) drives report endurance in this field.
	SCSIPercentUsed *int `json:"scsi_percentage_used_endurance_indicator"`
}

// ParseSmartctlJSON decodes the output of "smartctl -a -j" into a Report.
// It does not judge the exit status; see ExitStatus.Fatal.
func ParseSmartctlJSON(data []byte) (*Report, ExitStatus, error) {
	var j smartctlJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, 0, fmt.Errorf("smartctl JSON: %w", err)
	}
	if j.Smartctl.Version == nil {
		return nil, 0, errors.New("smartctl JSON: no \"smartctl\" object")
	}
	st := ExitStatus(j.Smartctl.ExitStatus)
	r := &Report{
		Device: j.Device.Name, Source: SourceSmartctl, Health: Unknown,
		Model: j.ModelName, ModelFamily: j.ModelFamily, Serial: j.SerialNumber, Firmware: j.FirmwareVersion,
		Capacity: j.UserCapacity.Bytes, LogicalBlockSize: j.LogicalBlockSize, PhysicalBlockSize: j.PhysicalBlockSize,
	}
	for _, m := range j.Smartctl.Messages {
		r.Messages = append(r.Messages, m.String)
	}
	switch strings.ToLower(j.Device.Protocol) {
	case "ata":
		r.Transport = ATA
	case "nvme":
		r.Transport = NVMe
	case "scsi":
		r.Transport = SCSI
	default:
		r.Transport = Other
	}
	if r.Model == "" {
		r.Model = j.ScsiModelName
		if r.Model == "" {
			r.Model = strings.TrimSpace(j.ScsiVendor + " " + j.ScsiProduct)
		}
	}
	if r.Firmware == "" {
		r.Firmware = j.ScsiRevision
	}
	if r.Capacity == 0 {
		r.Capacity = j.NVMeTotalCapacity
	}
	if j.RotationRate != nil {
		r.RotationRate = *j.RotationRate
		if r.RotationRate == 0 { // smartctl writes 0 for "Solid State Device"
			r.RotationRate = 1
		}
	}
	// smart_support is {"available":..,"enabled":..} (older versions: a bool).
	if len(j.SmartSupport) > 0 {
		var ss struct{ Available, Enabled bool }
		var b bool
		if json.Unmarshal(j.SmartSupport, &ss) == nil {
			r.SMARTAvailable, r.SMARTEnabled = ss.Available, ss.Enabled
		} else if json.Unmarshal(j.SmartSupport, &b) == nil {
			r.SMARTAvailable, r.SMARTEnabled = b, b
		}
	}
	if j.SmartStatus != nil && j.SmartStatus.Passed != nil {
		r.Health = Failed
		if *j.SmartStatus.Passed {
			r.Health = Passed
		}
	}
	for _, a := range j.ATASmartAttributes.Table {
		at := Attribute{
			ID: a.ID, Name: a.Name, Flags: a.Flags.Value, Prefailure: a.Flags.Prefailure,
			Value: a.Value, Worst: a.Worst, Raw: a.Raw.Value, RawString: a.Raw.String, WhenFailed: a.WhenFailed,
		}
		if a.Thresh != nil {
			at.Threshold, at.HasThreshold = *a.Thresh, true
		}
		r.Attributes = append(r.Attributes, at)
	}
	if j.Temperature != nil && j.Temperature.Current != nil {
		r.Temperature = ptr(*j.Temperature.Current)
		// For SCSI disks without a temperature source (no Temperature or
		// Informational Exceptions log page) smartctl reports 0 °C.
		if r.Transport == SCSI && *r.Temperature == 0 {
			r.Temperature = nil
		}
	}
	if j.PowerOnTime != nil && j.PowerOnTime.Hours != nil {
		r.PowerOnHours = ptr(*j.PowerOnTime.Hours)
	}
	if j.PowerCycleCount != nil {
		r.PowerCycles = ptr(*j.PowerCycleCount)
	}
	if j.NVMeLog != nil {
		r.NVMe = j.NVMeLog
		r.SMARTAvailable, r.SMARTEnabled = true, true
	}
	if j.SCSIPercentUsed != nil {
		r.Wearout = ptr(max(100-*j.SCSIPercentUsed, 0))
	}
	if r.Transport == NVMe && r.RotationRate == 0 {
		r.RotationRate = 1
	}
	r.finish()
	return r, st, nil
}

// Smartctl reads a device with "smartctl -a -j" (plus "-d TYPE" when
// devType is not empty, such as "megaraid,0" or "sat" for disks behind
// RAID controllers and bridges). A run whose exit status has bit 0 or 1
// set fails with a *SmartctlError; the other bits describe the disk and
// are returned with the report.
func (c *Client) Smartctl(ctx context.Context, device, devType string) (*Report, ExitStatus, error) {
	args := []string{"smartctl", "-a", "-j"}
	if devType != "" {
		args = append(args, "-d", devType)
	}
	args = append(args, device)
	res, err := c.run.Run(ctx, runner.Cmd{Args: args, Timeout: 2 * time.Minute})
	var ee *runner.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode > 0) {
		return nil, 0, err
	}
	r, st, perr := ParseSmartctlJSON(res.Stdout)
	if perr != nil {
		if err != nil {
			return nil, ExitStatus(ee.ExitCode), err
		}
		return nil, 0, perr
	}
	if err != nil {
		st = ExitStatus(ee.ExitCode)
	}
	if st.Fatal() {
		return nil, st, &SmartctlError{Device: device, Status: st, Messages: r.Messages}
	}
	if r.Device == "" {
		r.Device = device
	}
	return r, st, nil
}

// EnableSMARTWithSmartctl turns SMART on with smartctl -s on, the admin guide's step
// for a disk whose output says "SMART support is: Disabled".
func (c *Client) EnableSMARTWithSmartctl(ctx context.Context, device, devType string) error {
	args := []string{"smartctl", "-s", "on"}
	if devType != "" {
		args = append(args, "-d", devType)
	}
	args = append(args, device)
	_, err := c.run.Run(ctx, runner.Cmd{Args: args, Timeout: time.Minute})
	var ee *runner.ExitError
	if errors.As(err, &ee) && ee.ExitCode > 0 && !ExitStatus(ee.ExitCode).Fatal() {
		return nil
	}
	return err
}
