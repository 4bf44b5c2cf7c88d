package timesync

import "time"

// Clock is the kernel's view of the system clock's synchronisation, as
// adjtimex(2) reports it. It is the same for every daemon.
type Clock struct {
	// Synchronised is false when the kernel's clock state is TIME_ERROR
	// or STA_UNSYNC is set: no daemon has disciplined the clock recently.
	Synchronised bool `json:"synchronised"`
	// MaxError and EstError are the kernel's maximum and estimated
	// errors of the clock.
	MaxError time.Duration `json:"max_error"`
	EstError time.Duration `json:"est_error"`
	// Offset is the remaining correction the kernel applies.
	Offset time.Duration `json:"offset"`
	// Frequency is the frequency correction in ppm.
	Frequency float64 `json:"frequency_ppm"`
	// Status holds the kernel's STA_* flags.
	Status int32 `json:"status"`
	// TAI is the TAI-UTC offset in seconds (37 with leap seconds known).
	TAI int32 `json:"tai"`
}
