package node

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrUPID is matched by errors for strings that are not a valid UPID.
var ErrUPID = errors.New("invalid UPID")

// UPID is a Proxmox VE task's unique process ID:
//
//	UPID:NODE:PID:PSTART:STARTTIME:TYPE:ID:USER:
//
// PID and STARTTIME are 8 hexadecimal digits, PSTART (the worker's start
// time in clock ticks since boot) 8 or 9, as on hosts up for a long time.
type UPID struct {
	Node string `json:"node"`
	PID  uint32 `json:"pid"`
	// PStart is the worker process's start time in clock ticks since
	// boot.
	PStart    uint64    `json:"pstart"`
	StartTime time.Time `json:"starttime"`
	// Type is the task type: vzdump, qmstart, vzstart, qmigrate, ...
	Type string `json:"type"`
	// ID is the object the task works on, usually a VM ID; may be
	// empty.
	ID string `json:"id"`
	// User is the user that started the task, with its realm
	// (root@pam).
	User string `json:"user"`

	// raw is the text the UPID was parsed from, kept so that String
	// returns it unchanged (hex digits may be lower case).
	raw string
}

var upidRE = regexp.MustCompile(`^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$`)

// ParseUPID parses and validates a UPID.
func ParseUPID(s string) (UPID, error) {
	m := upidRE.FindStringSubmatch(s)
	if m == nil {
		return UPID{}, fmt.Errorf("%w: %q", ErrUPID, s)
	}
	pid, _ := strconv.ParseUint(m[3], 16, 32)
	pstart, _ := strconv.ParseUint(m[4], 16, 64)
	start, _ := strconv.ParseUint(m[5], 16, 32)
	return UPID{
		Node: m[1], PID: uint32(pid), PStart: pstart, StartTime: time.Unix(int64(start), 0).UTC(),
		Type: m[6], ID: m[7], User: m[8], raw: s,
	}, nil
}

// String formats the UPID as Proxmox VE does (upper-case hex), or returns
// the parsed text unchanged.
func (u UPID) String() string {
	if u.raw != "" {
		return u.raw
	}
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", u.Node, u.PID, u.PStart, u.StartTime.Unix(), u.Type, u.ID, u.User)
}

// Validate checks that the UPID's parts can be formatted into a UPID that
// parses back: a node name, no ':' or spaces in type, ID and user, and
// numbers that fit their fields.
func (u UPID) Validate() error {
	if u.PStart > 0xFFFFFFFFF {
		return fmt.Errorf("%w: pstart %d does not fit 9 hex digits", ErrUPID, u.PStart)
	}
	if t := u.StartTime.Unix(); t < 0 || t > 0xFFFFFFFF {
		return fmt.Errorf("%w: start time %v out of range", ErrUPID, u.StartTime)
	}
	u.raw = ""
	if _, err := ParseUPID(u.String()); err != nil {
		return err
	}
	return nil
}

// MarshalText makes a UPID read as its string in JSON.
func (u UPID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses a UPID.
func (u *UPID) UnmarshalText(b []byte) error {
	v, err := ParseUPID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// LogPath returns the root-relative path of the task's log file:
// /var/log/pve/tasks/X/UPID, where X is the last hex digit of the start
// time as written in the UPID.
func (u UPID) LogPath() string {
	s := u.String()
	f := strings.Split(s, ":")
	st := f[4]
	return TaskDir + "/" + st[len(st)-1:] + "/" + s
}

var nodeNameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
