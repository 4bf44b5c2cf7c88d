package timesync

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ReadClock reads the system clock's synchronisation state with
// adjtimex(2) in read-only mode, which needs no privilege. The root
// does not matter: it is the running kernel's clock. Errors wrap the
// syscall's errno (os.NewSyscallError).
func ReadClock() (Clock, error) {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return Clock{}, os.NewSyscallError("adjtimex", err)
	}
	c := Clock{
		Synchronised: state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0,
		MaxError:     time.Duration(tx.Maxerror) * time.Microsecond,
		EstError:     time.Duration(tx.Esterror) * time.Microsecond,
		Frequency:    float64(tx.Freq) / 65536,
		Status:       tx.Status,
		TAI:          tx.Tai,
	}
	if tx.Status&unix.STA_NANO != 0 {
		c.Offset = time.Duration(tx.Offset)
	} else {
		c.Offset = time.Duration(tx.Offset) * time.Microsecond
	}
	return c, nil
}
