package smart

import (
	"errors"
	"fmt"
)

// ErrNotATA is matched by errors when a device refuses ATA pass-through
// (a SAS disk, a RAID controller's logical drive, a USB bridge without
// SAT): smartctl with the right -d type is the way to read it.
var ErrNotATA = errors.New("device does not take ATA pass-through")

// ATA PASS-THROUGH and SCSI status values.
const (
	ataPassThrough16  = 0x85
	ataProtoNonData   = 3
	ataProtoPIODataIn = 4
	scsiStatusGood    = 0x00
	scsiStatusCheck   = 0x02
	driverSense       = 0x08
)

// ATA commands and SMART features used by the native reader.
const (
	ataIdentifyDevice = 0xec
	ataSMART          = 0xb0
	smartReadData     = 0xd0
	smartReadThresh   = 0xd1
	smartEnableOps    = 0xd8
	smartReturnStatus = 0xda
)

// ataCommand is one 28-bit ATA command for ATA PASS-THROUGH(16).
type ataCommand struct {
	command  uint8
	features uint8
	count    uint8
	lbaLow   uint8
	lbaMid   uint8
	lbaHigh  uint8
	dataIn   bool // PIO data-in of count sectors; else non-data
	ckCond   bool // ask for the output registers in the sense data
}

func smartCommand(feature uint8, dataIn bool) ataCommand {
	c := ataCommand{command: ataSMART, features: feature, lbaMid: statusPassedMid, lbaHigh: statusPassedHigh, dataIn: dataIn}
	if dataIn {
		c.count = 1
	}
	if feature == smartReadThresh {
		c.lbaLow = 1 // obsolete command: ATA-3 wants LBA low 1
	}
	if feature == smartReturnStatus {
		c.ckCond = true
	}
	return c
}

// cdb builds the ATA PASS-THROUGH(16) command descriptor block (SAT-4,
// operation code 85h).
func (c ataCommand) cdb() []byte {
	b := make([]byte, 16)
	b[0] = ataPassThrough16
	if c.dataIn {
		b[1] = ataProtoPIODataIn << 1
		b[2] = 1<<3 | 1<<2 | 2 // T_DIR from device, BYT_BLOK, T_LENGTH in the count field
	} else {
		b[1] = ataProtoNonData << 1
	}
	if c.ckCond {
		b[2] |= 1 << 5
	}
	b[4] = c.features
	b[6] = c.count
	b[8] = c.lbaLow
	b[10] = c.lbaMid
	b[12] = c.lbaHigh
	b[14] = c.command
	return b
}

// SCSI sense keys.
const (
	senseRecoveredError = 0x01
	senseIllegalRequest = 0x05
	senseAbortedCommand = 0x0b
)

// senseKey returns the sense key, ASC and ASCQ of fixed or descriptor
// sense data.
func senseKey(s []byte) (key, asc, ascq uint8, ok bool) {
	if len(s) < 4 {
		return 0, 0, 0, false
	}
	switch s[0] & 0x7f {
	case 0x72, 0x73:
		return s[1] & 0xf, s[2], s[3], true
	case 0x70, 0x71:
		if len(s) < 14 {
			return s[2] & 0xf, 0, 0, len(s) >= 3
		}
		return s[2] & 0xf, s[12], s[13], true
	}
	return 0, 0, 0, false
}

// satOutcome judges an ATA PASS-THROUGH completion: SCSI status, host and
// driver status and sense data. With ckCond, the output registers are
// returned from the sense data.
func satOutcome(status uint8, hostStatus, driverStatus uint16, sense []byte, ckCond bool) (ATARegisters, error) {
	if hostStatus != 0 {
		return ATARegisters{}, fmt.Errorf("ATA pass-through: host status %#x", hostStatus)
	}
	key, asc, ascq, hasSense := senseKey(sense)
	if status == scsiStatusGood && !hasSense {
		if ckCond {
			return ATARegisters{}, ErrNoStatus
		}
		return ATARegisters{}, nil
	}
	if status != scsiStatusCheck && driverStatus&0xf != driverSense && !hasSense {
		return ATARegisters{}, fmt.Errorf("ATA pass-through: SCSI status %#x, driver status %#x", status, driverStatus)
	}
	switch {
	case key == senseIllegalRequest:
		return ATARegisters{}, fmt.Errorf("%w (sense %#x/%#02x/%#02x)", ErrNotATA, key, asc, ascq)
	case key == senseRecoveredError && asc == 0x00 && ascq == 0x1d, // ATA PASS THROUGH INFORMATION AVAILABLE
		key == 0 && hasSense:
		regs, err := ParseATAReturnSense(sense)
		if err != nil && ckCond {
			return regs, err
		}
		return regs, nil
	case key == senseAbortedCommand:
		regs, _ := ParseATAReturnSense(sense)
		return regs, fmt.Errorf("ATA command aborted by the drive (error %#02x, status %#02x)", regs.Error, regs.Status)
	}
	return ATARegisters{}, fmt.Errorf("ATA pass-through: sense %#x/%#02x/%#02x", key, asc, ascq)
}
