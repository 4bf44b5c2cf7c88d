package smart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	return c.readATA(ctx, fd, device)
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
