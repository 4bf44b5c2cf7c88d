// Package diskfsio adapts an io.ReaderAt and io.WriterAt (an image file,
// a block device, a partition window) to go-diskfs's backend.Storage, so
// that the boot packages hand go-diskfs exactly the bytes they mean.
package diskfsio

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"time"

	"github.com/diskfs/go-diskfs/backend"
)

// Storage is a backend.Storage over a reader and an optional writer of a
// fixed size. Writes beyond the size are refused.
type Storage struct {
	r    io.ReaderAt
	w    io.WriterAt
	size int64
	off  int64
}

var _ backend.Storage = (*Storage)(nil)

// New returns a Storage of size bytes; w may be nil for a read-only one.
func New(r io.ReaderAt, w io.WriterAt, size int64) *Storage {
	return &Storage{r: r, w: w, size: size}
}

// Stat reports the size.
func (s *Storage) Stat() (iofs.FileInfo, error) { return sizeInfo(s.size), nil }

// Read reads at the current offset.
func (s *Storage) Read(p []byte) (int, error) {
	n, err := s.r.ReadAt(p, s.off)
	s.off += int64(n)
	return n, err
}

// ReadAt implements io.ReaderAt.
func (s *Storage) ReadAt(p []byte, off int64) (int, error) { return s.r.ReadAt(p, off) }

// WriteAt implements io.WriterAt.
func (s *Storage) WriteAt(p []byte, off int64) (int, error) {
	if s.w == nil {
		return 0, backend.ErrIncorrectOpenMode
	}
	if off < 0 || off+int64(len(p)) > s.size {
		return 0, fmt.Errorf("write at %d+%d beyond the %d bytes of the device", off, len(p), s.size)
	}
	return s.w.WriteAt(p, off)
}

// Seek implements io.Seeker.
func (s *Storage) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		s.off = off
	case io.SeekCurrent:
		s.off += off
	case io.SeekEnd:
		s.off = s.size + off
	}
	return s.off, nil
}

// Sync flushes the writer if it can (go-diskfs syncs its GPT writes).
func (s *Storage) Sync() error {
	if sy, ok := s.w.(interface{ Sync() error }); ok {
		return sy.Sync()
	}
	return nil
}

// Close does nothing: the caller owns the device.
func (s *Storage) Close() error { return nil }

// Sys has no file to offer.
func (s *Storage) Sys() (*os.File, error) { return nil, errors.ErrUnsupported }

// Writable returns s itself.
func (s *Storage) Writable() (backend.WritableFile, error) {
	if s.w == nil {
		return nil, backend.ErrIncorrectOpenMode
	}
	return s, nil
}

// Path is empty: the storage may not be a file.
func (s *Storage) Path() string { return "" }

type sizeInfo int64

func (s sizeInfo) Name() string        { return "device" }
func (s sizeInfo) Size() int64         { return int64(s) }
func (s sizeInfo) Mode() iofs.FileMode { return 0o600 }
func (s sizeInfo) ModTime() time.Time  { return time.Time{} }
func (s sizeInfo) IsDir() bool         { return false }
func (s sizeInfo) Sys() any            { return nil }
