package fat

import (
	"fmt"
	"io"
)

// Section is a partition of a disk image or device: a window of size bytes
// at offset off.
type Section struct {
	d         Device
	off, size int64
}

// NewSection returns the window [off, off+size) of d.
func NewSection(d Device, off, size int64) *Section { return &Section{d: d, off: off, size: size} }

// Size returns the section's length.
func (s *Section) Size() int64 { return s.size }

// ReadAt implements io.ReaderAt.
func (s *Section) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= s.size {
		return 0, io.EOF
	}
	if rem := s.size - off; int64(len(p)) > rem {
		n, err := s.d.ReadAt(p[:rem], s.off+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.d.ReadAt(p, s.off+off)
}

// WriteAt implements io.WriterAt.
func (s *Section) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > s.size {
		return 0, fmt.Errorf("write of %d bytes at %d beyond the section's %d bytes", len(p), off, s.size)
	}
	return s.d.WriteAt(p, s.off+off)
}

// Sync flushes the underlying device if it can.
func (s *Section) Sync() error {
	if sy, ok := s.d.(interface{ Sync() error }); ok {
		return sy.Sync()
	}
	return nil
}
