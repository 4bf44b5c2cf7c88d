package rootfs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path"
)

// EditOptions tune [FS.Edit] and [EditParsed]. A nil *EditOptions means
// the zero value.
type EditOptions struct {
	// Lock is the lock file held around the edit ([FS.Lock]); "" means
	// /run/lock/hostadm/BASE.lock, BASE being the edited file's name
	// without its directory.
	Lock string
	// Perm is the mode of a file the edit creates; zero means 0644.
	Perm fs.FileMode
	// Mode, when non-zero, is applied even to a file that exists.
	Mode fs.FileMode
}

// Edit runs a read-modify-write cycle on name: it takes the lock file,
// reads the file with its digest, calls fn with the content (nil and
// exists false for a missing file) and writes what fn returns atomically
// with [WriteOptions.Expect] set to that digest, so that a change made
// meanwhile by a writer that does not take the lock is refused with a
// [*ConflictError] rather than overwritten. Nothing is written when fn
// fails, or when it returns the content it was given (empty content for a
// missing file): the file keeps its bytes, mode and time stamps.
func (f *FS) Edit(ctx context.Context, name string, opt *EditOptions, fn func(old []byte, exists bool) ([]byte, error)) error {
	if opt == nil {
		opt = &EditOptions{}
	}
	lockName := opt.Lock
	if lockName == "" {
		lockName = "/run/lock/hostadm/" + path.Base(clean(name)) + ".lock"
	}
	lk, err := f.Lock(ctx, lockName)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	old, d, err := f.ReadFileDigest(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, err := fn(old, err == nil)
	if err != nil {
		return err
	}
	if bytes.Equal(out, old) {
		return nil
	}
	return f.WriteFile(name, out, &WriteOptions{Perm: opt.Perm, Mode: opt.Mode, Expect: &d})
}

// Formatter is a parsed file that gives its text back.
type Formatter interface {
	Format() []byte
}

// EditParsed is [FS.Edit] for a file kept as a parsed value: parse gets
// name and the file's content (nil for a missing file), fn changes the
// value, and the file is written only when the value's Format output
// changed. An edit that changes nothing thus leaves the file alone even
// where formatting would not give its exact bytes back.
func EditParsed[T Formatter](ctx context.Context, f *FS, name string, opt *EditOptions, parse func(name string, data []byte) (T, error), fn func(T) error) error {
	return f.Edit(ctx, name, opt, func(old []byte, _ bool) ([]byte, error) {
		v, err := parse(name, old)
		if err != nil {
			return nil, err
		}
		before := v.Format()
		if err := fn(v); err != nil {
			return nil, err
		}
		if after := v.Format(); !bytes.Equal(after, before) {
			return after, nil
		}
		return old, nil
	})
}
