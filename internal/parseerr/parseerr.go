// Package parseerr holds the position-carrying parse error that several
// of the module's file parsers (node, timesync, fstab) expose as their
// own ParseError type, through a type alias that keeps each package's
// documented name.
package parseerr

import "fmt"

// Error reports a problem at a line and column of a file, as
// "path:12:5: msg", "path:12: msg" without a column, or "path: msg" when
// the problem has no single line. It unwraps to Err, the sentinel that
// classifies it.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem has no single line
	Col  int // 1-based; 0 when unknown
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Col == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }
