package smart

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ioctl request numbers (<scsi/sg.h>, <linux/nvme_ioctl.h>).
const (
	sgIO               = 0x2285
	nvmeIoctlAdminCmd  = 0xc0484e41 // _IOWR('N', 0x41, struct nvme_admin_cmd)
	sgInterfaceIDOrig  = 'S'
	sgDxferNone        = -1
	sgDxferFromDev     = -3
	senseBufferLen     = 32
	sgIOHdrSize        = 88 // sizeof(struct sg_io_hdr) on 64-bit
	nvmeAdminCmdSize   = 72 // sizeof(struct nvme_admin_cmd)
	sgDefaultTimeoutMs = 30000
)

// sgIOHdr is struct sg_io_hdr from <scsi/sg.h>. The pointer fields point
// at buffers pinned for the duration of the call.
type sgIOHdr struct {
	InterfaceID    int32
	DxferDirection int32
	CmdLen         uint8
	MxSbLen        uint8
	IovecCount     uint16
	DxferLen       uint32
	Dxferp         unsafe.Pointer
	Cmdp           unsafe.Pointer
	Sbp            unsafe.Pointer
	Timeout        uint32
	Flags          uint32
	PackID         int32
	UsrPtr         unsafe.Pointer
	Status         uint8
	MaskedStatus   uint8
	MsgStatus      uint8
	SbLenWr        uint8
	HostStatus     uint16
	DriverStatus   uint16
	Resid          int32
	Duration       uint32
	Info           uint32
}

// nvmeAdminCmd is struct nvme_admin_cmd (struct nvme_passthru_cmd) from
// <linux/nvme_ioctl.h>. Addr holds the address of a pinned buffer.
type nvmeAdminCmd struct {
	Opcode      uint8
	Flags       uint8
	Rsvd1       uint16
	NSID        uint32
	Cdw2        uint32
	Cdw3        uint32
	Metadata    uint64
	Addr        uint64
	MetadataLen uint32
	DataLen     uint32
	Cdw10       uint32
	Cdw11       uint32
	Cdw12       uint32
	Cdw13       uint32
	Cdw14       uint32
	Cdw15       uint32
	TimeoutMs   uint32
	Result      uint32
}

// sgResult is what came back from SG_IO.
type sgResult struct {
	status       uint8
	hostStatus   uint16
	driverStatus uint16
	sense        []byte
	resid        int32
}

// ioctlSGIO issues one SCSI command through SG_IO. data receives the
// transfer for sgDxferFromDev and must be nil for sgDxferNone.
func ioctlSGIO(fd int, cdb []byte, dir int32, data []byte, timeout time.Duration) (sgResult, error) {
	if len(cdb) == 0 || len(cdb) > 16 {
		return sgResult{}, fmt.Errorf("SG_IO: CDB of %d bytes", len(cdb))
	}
	if (dir == sgDxferNone) != (len(data) == 0) {
		return sgResult{}, errors.New("SG_IO: data buffer does not match the transfer direction")
	}
	cmd := make([]byte, len(cdb))
	copy(cmd, cdb)
	sense := make([]byte, senseBufferLen)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&cmd[0])
	pin.Pin(&sense[0])
	hdr := &sgIOHdr{
		InterfaceID:    sgInterfaceIDOrig,
		DxferDirection: dir,
		CmdLen:         uint8(len(cmd)),
		MxSbLen:        uint8(len(sense)),
		Cmdp:           unsafe.Pointer(&cmd[0]),
		Sbp:            unsafe.Pointer(&sense[0]),
		Timeout:        uint32(timeout.Milliseconds()),
	}
	if hdr.Timeout == 0 {
		hdr.Timeout = sgDefaultTimeoutMs
	}
	if len(data) > 0 {
		pin.Pin(&data[0])
		hdr.Dxferp, hdr.DxferLen = unsafe.Pointer(&data[0]), uint32(len(data))
	}
	pin.Pin(hdr)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), sgIO, uintptr(unsafe.Pointer(hdr))); errno != 0 {
		return sgResult{}, os.NewSyscallError("ioctl SG_IO", errno)
	}
	return sgResult{
		status: hdr.Status, hostStatus: hdr.HostStatus, driverStatus: hdr.DriverStatus,
		sense: sense[:hdr.SbLenWr], resid: hdr.Resid,
	}, nil
}

// ioctlNVMeAdmin issues one NVMe admin command; data receives the
// controller-to-host transfer. It returns the completion's result dword.
// A command the controller completes with an error status returns an
// *NVMeStatusError.
func ioctlNVMeAdmin(fd int, cmd *nvmeAdminCmd, data []byte) (uint32, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	if len(data) > 0 {
		pin.Pin(&data[0])
		cmd.Addr = uint64(uintptr(unsafe.Pointer(&data[0])))
		cmd.DataLen = uint32(len(data))
	}
	pin.Pin(cmd)
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), nvmeIoctlAdminCmd, uintptr(unsafe.Pointer(cmd)))
	cmd.Addr = 0
	if errno != 0 {
		return 0, os.NewSyscallError("ioctl NVME_IOCTL_ADMIN_CMD", errno)
	}
	if r != 0 { // positive: NVMe status code of the completion
		return 0, &NVMeStatusError{Opcode: cmd.Opcode, Status: uint16(r)}
	}
	return cmd.Result, nil
}

// NVMeStatusError reports an NVMe command that the controller completed
// with an error status.
type NVMeStatusError struct {
	Opcode uint8
	Status uint16 // status code type and status code (SCT<<8 | SC), plus DNR/More
}

func (e *NVMeStatusError) Error() string {
	return fmt.Sprintf("NVMe admin command %#02x: status %#04x", e.Opcode, e.Status)
}
