package zfs

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns for one of these
// conditions matches it with errors.Is.
var (
	// ErrInvalid marks an argument that breaks a ZFS rule: a bad pool or
	// dataset name, a layout with too few disks, an ashift out of range,
	// a property value ZFS would refuse.
	ErrInvalid = errors.New("invalid argument")
	// ErrSyntax marks a file or command output that cannot be parsed.
	ErrSyntax = errors.New("syntax error")
	// ErrNotFound marks a pool, dataset, device or key that does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrNoZFS reports that ZFS is not available on the host: the
	// module is not loaded or /dev/zfs is missing.
	ErrNoZFS = errors.New("ZFS is not available")
	// ErrBootRisk reports an operation refused because it would leave
	// the host unable to boot (a feature upgrade of a pool that GRUB
	// reads).
	ErrBootRisk = errors.New("operation would make the host unbootable")
)

// ParseError reports a problem in a file or command output, with the
// position where it was found. It matches ErrSyntax, or the wrapped Err
// when that is set.
type ParseError struct {
	File string // file name or the command that produced the text
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based; 0 when unknown
	Msg  string
	Err  error // optional cause, such as ErrInvalid
}

func (e *ParseError) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos += fmt.Sprintf(":%d", e.Line)
		if e.Col > 0 {
			pos += fmt.Sprintf(":%d", e.Col)
		}
	}
	return pos + ": " + e.Msg
}

// Is makes errors.Is(err, ErrSyntax) hold.
func (e *ParseError) Is(target error) bool { return target == ErrSyntax }

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
