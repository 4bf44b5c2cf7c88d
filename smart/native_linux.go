package smart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"unsafe"

	"golang.org/x/sys/unix"
)

const ataTimeout = 15 * time.Second

// openDevice opens a block or NVMe character device for pass-through.
func openDevice(device string) (int, error) {
	fd, err := unix.Open(device, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: device, Err: err}
	}
	return fd, nil
}

func isNVMeDevice(device string) bool {
	return strings.HasPrefix(filepath.Base(device), "nvme")
}

func (c *Client) readNative(ctx context.Context, device string) (*Report, error) {
	fd, err := openDevice(device)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if isNVMeDevice(device) {
		return readNVMe(fd, device)
	}
	r, err := c.readATA(ctx, fd, device)
	if errors.Is(err, ErrNotATA) {
		// Not an ATA disk (or no SAT layer): read it as a SCSI disk.
		if sr, serr := readSCSI(fd, device); serr == nil {
			return sr, nil
		}
	}
	return r, err
}

// ataPassThrough runs one ATA command through SG_IO.
func ataPassThrough(fd int, cmd ataCommand, data []byte) (ATARegisters, error) {
	dir := int32(sgDxferNone)
	if cmd.dataIn {
		dir = sgDxferFromDev
	}
	res, err := ioctlSGIO(fd, cmd.cdb(), dir, data, ataTimeout)
	if err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
			return ATARegisters{}, fmt.Errorf("%w: %v", ErrNotATA, err)
		}
		return ATARegisters{}, err
	}
	return satOutcome(res.status, res.hostStatus, res.driverStatus, res.sense, cmd.ckCond)
}

func (c *Client) readATA(ctx context.Context, fd int, device string) (*Report, error) {
	buf := make([]byte, 512)
	if _, err := ataPassThrough(fd, ataCommand{command: ataIdentifyDevice, count: 1, dataIn: true}, buf); err != nil {
		return nil, fmt.Errorf("%s: IDENTIFY DEVICE: %w", device, err)
	}
	id, err := ParseIdentify(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", device, err)
	}
	defs, entry := c.defsFor(id.Model, id.Firmware)
	if !id.SMARTSupported || !id.SMARTEnabled {
		return ataReport(device, id, nil, Unknown, defs, entry), nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data := make([]byte, 512)
	if _, err := ataPassThrough(fd, smartCommand(smartReadData, true), data); err != nil {
		return nil, fmt.Errorf("%s: SMART READ DATA: %w", device, err)
	}
	thresh := make([]byte, 512)
	if _, err := ataPassThrough(fd, smartCommand(smartReadThresh, true), thresh); err != nil {
		thresh = nil // obsolete since ATA-4: some drives refuse it
	}
	sd, err := ParseSMARTData(data, thresh, defs, id.RotationRate)
	if err != nil && !errors.Is(err, ErrBadChecksum) {
		return nil, fmt.Errorf("%s: %w", device, err)
	}
	health := Unknown
	regs, err := ataPassThrough(fd, smartCommand(smartReturnStatus, false), nil)
	if err == nil {
		health, err = ReturnStatusHealth(regs)
	}
	if err != nil && thresh != nil {
		health = attributeHealth(sd.Attributes)
	}
	return ataReport(device, id, sd, health, defs, entry), nil
}

func (c *Client) enableSMART(ctx context.Context, device string) error {
	if isNVMeDevice(device) {
		return nil
	}
	fd, err := openDevice(device)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, err := ataPassThrough(fd, smartCommand(smartEnableOps, false), nil); err != nil {
		return fmt.Errorf("%s: SMART ENABLE OPERATIONS: %w", device, err)
	}
	return nil
}

// NVMe admin opcodes and identifiers.
const (
	nvmeAdminGetLogPage = 0x02
	nvmeAdminIdentify   = 0x06
	nvmeCNSController   = 0x01
	nvmeLogHealth       = 0x02
	nvmeNSIDAll         = 0xffffffff
)

func nvmeIdentifyController(fd int) ([]byte, error) {
	buf := make([]byte, 4096)
	_, err := ioctlNVMeAdmin(fd, &nvmeAdminCmd{Opcode: nvmeAdminIdentify, Cdw10: nvmeCNSController}, buf)
	return buf, err
}

func nvmeHealthLog(fd int) ([]byte, error) {
	buf := make([]byte, 512)
	numd := uint32(len(buf)/4 - 1)
	cmd := &nvmeAdminCmd{Opcode: nvmeAdminGetLogPage, NSID: nvmeNSIDAll, Cdw10: numd<<16 | nvmeLogHealth}
	_, err := ioctlNVMeAdmin(fd, cmd, buf)
	var se *NVMeStatusError
	if errors.As(err, &se) {
		// Some controllers refuse the broadcast namespace for this log.
		cmd = &nvmeAdminCmd{Opcode: nvmeAdminGetLogPage, Cdw10: numd<<16 | nvmeLogHealth}
		_, err = ioctlNVMeAdmin(fd, cmd, buf)
	}
	return buf, err
}

func readNVMe(fd int, device string) (*Report, error) {
	ib, err := nvmeIdentifyController(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: Identify Controller: %w", device, err)
	}
	ctrl, err := ParseNVMeIdentifyController(ib)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", device, err)
	}
	lb, err := nvmeHealthLog(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: Get Log Page 02h: %w", device, err)
	}
	h, err := ParseNVMeHealth(lb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", device, err)
	}
	r := nvmeReport(device, ctrl, h)
	if r.Capacity == 0 {
		// TNVMCAP is optional: take the namespace's size from the block
		// device when the path names one.
		if n, err := blockDeviceSize(fd); err == nil {
			r.Capacity = n
		}
	}
	return r, nil
}

func blockDeviceSize(fd int) (uint64, error) {
	var n uint64
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return 0, errno
	}
	return n, nil
}

// scsiIn runs a data-in SCSI command and returns the bytes transferred.
// A command the device refuses (ILLEGAL REQUEST) fails with an error
// matching errors.ErrUnsupported.
func scsiIn(fd int, cdb []byte, n int) ([]byte, error) {
	buf := make([]byte, n)
	res, err := ioctlSGIO(fd, cdb, sgDxferFromDev, buf, ataTimeout)
	if err != nil {
		return nil, err
	}
	if res.hostStatus != 0 {
		return nil, fmt.Errorf("SCSI %#02x: host status %#x", cdb[0], res.hostStatus)
	}
	if res.status != scsiStatusGood {
		key, asc, ascq, ok := senseKey(res.sense)
		if ok && key == senseIllegalRequest {
			return nil, fmt.Errorf("SCSI %#02x: %w (sense %#x/%#02x/%#02x)", cdb[0], errors.ErrUnsupported, key, asc, ascq)
		}
		if !(ok && key == senseRecoveredError) {
			return nil, fmt.Errorf("SCSI %#02x: status %#x, sense %#x/%#02x/%#02x", cdb[0], res.status, key, asc, ascq)
		}
	}
	got := n - int(res.resid)
	if got < 0 || got > n {
		got = n
	}
	return buf[:got], nil
}

// readSCSI reads a SCSI disk's identity and informational exceptions the
// way smartctl does for SAS disks.
func readSCSI(fd int, device string) (*Report, error) {
	inq, err := scsiIn(fd, inquiryCDB(false, 0, 96), 96)
	if err != nil {
		return nil, fmt.Errorf("%s: INQUIRY: %w", device, err)
	}
	id, err := ParseInquiry(inq)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", device, err)
	}
	if b, err := scsiIn(fd, inquiryCDB(true, vpdUnitSerial, 252), 252); err == nil {
		id.Serial, _ = ParseUnitSerial(b)
	}
	if b, err := scsiIn(fd, readCapacity16CDB(), 32); err == nil {
		id.Blocks, id.BlockSize, id.PhysicalBlockSize, err = ParseReadCapacity16(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", device, err)
		}
	} else if b, err := scsiIn(fd, readCapacity10CDB(), 8); err == nil {
		if id.Blocks, id.BlockSize, err = ParseReadCapacity10(b); err != nil {
			return nil, fmt.Errorf("%s: %w", device, err)
		}
		id.PhysicalBlockSize = id.BlockSize
	}
	h := &SCSIHealth{Temperature: 255, PercentUsed: -1}
	if b, err := scsiIn(fd, modeSense6CDB(modePageIEC, 252), 252); err == nil {
		h.IECEnabled, err = ParseIECModePage(b, false)
		h.IECAvailable = err == nil
	} else if b, err := scsiIn(fd, modeSense10CDB(modePageIEC, 252), 252); err == nil {
		h.IECEnabled, err = ParseIECModePage(b, true)
		h.IECAvailable = err == nil
	}
	var pages []uint8
	if b, err := scsiIn(fd, logSenseCDB(logPageSupported, 252), 252); err == nil {
		pages, _ = ParseSupportedLogPages(b)
	}
	hasPage := func(p uint8) bool { return slices.Contains(pages, p) }
	if hasPage(logPageIE) {
		if b, err := scsiIn(fd, logSenseCDB(logPageIE, 252), 252); err == nil {
			if _, params, err := ParseLogPage(b); err == nil {
				if v, ok := logParam(params, 0); ok && len(v) > 1 {
					h.ASC, h.ASCQ = v[0], v[1]
					if !hasPage(logPageTemperature) {
						h.Temperature = 0
						if len(v) > 2 {
							h.Temperature = v[2]
						}
					}
				}
			}
		}
	}
	if h.ASC == 0 && h.IECAvailable {
		// MRIE 6: the exception is reported on REQUEST SENSE.
		if b, err := scsiIn(fd, requestSenseCDB(), 252); err == nil {
			if _, asc, ascq, ok := senseKey(b); ok {
				h.ASC, h.ASCQ = asc, ascq
			}
		}
	}
	if hasPage(logPageTemperature) {
		if b, err := scsiIn(fd, logSenseCDB(logPageTemperature, 252), 252); err == nil {
			if _, params, err := ParseLogPage(b); err == nil {
				if v, ok := logParam(params, 0); ok && len(v) > 1 {
					h.Temperature = v[1]
				}
			}
		}
	}
	if hasPage(logPageSSD) {
		if b, err := scsiIn(fd, logSenseCDB(logPageSSD, 252), 252); err == nil {
			if _, params, err := ParseLogPage(b); err == nil {
				if v, ok := logParam(params, 1); ok && len(v) > 3 {
					h.PercentUsed = int(v[3])
				}
			}
		}
	}
	return scsiReport(device, id, h), nil
}
