package parseerr

import (
	"errors"
	"testing"
)

func TestError(t *testing.T) {
	errSyntax := errors.New("syntax error")
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"line and column", &Error{File: "/etc/fstab", Line: 12, Col: 5, Msg: "bad field", Err: errSyntax}, "/etc/fstab:12:5: bad field"},
		{"line only", &Error{File: "/etc/fstab", Line: 12, Msg: "bad field", Err: errSyntax}, "/etc/fstab:12: bad field"},
		{"whole file", &Error{File: "/etc/fstab", Col: 5, Msg: "bad file", Err: errSyntax}, "/etc/fstab: bad file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, errSyntax) {
				t.Errorf("%v does not match its sentinel", tt.err)
			}
			var pe *Error
			if !errors.As(error(tt.err), &pe) || pe != tt.err {
				t.Errorf("errors.As did not find the *Error")
			}
		})
	}
}
