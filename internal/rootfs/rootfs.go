// Package rootfs gives every package of the module root-relative file
// access: a host's files are read and written below a root directory ("/"
// for the running system, a mount point for a target system, a fixture tree
// in tests).
//
// Paths are resolved with chroot semantics: an absolute symbolic link such
// as /etc/localtime -> /usr/share/zoneinfo/UTC is followed inside the root,
// and ".." never climbs above it. The final access goes through [os.Root],
// so a path can never escape the root even if the tree changes underneath.
//
// Writes are atomic (temporary file in the same directory, fsync, rename,
// fsync of the directory), keep the replaced file's mode and owner, and can
// be made conditional on the SHA-256 digest of the content the caller read,
// so that a concurrent edit is refused with a [*ConflictError] rather than
// overwritten. [FS.Edit] and [EditParsed] run a whole read-modify-write
// cycle that way: lock, read with digest, change, conditional write.
package rootfs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxLinks bounds symbolic-link resolution, as the kernel's MAXSYMLINKS.
const maxLinks = 40

// FS is a file system rooted at a directory. It is safe for concurrent use.
type FS struct {
	dir  string
	root *os.Root
}

// Open opens the file system rooted at dir. An empty dir means "/".
func Open(dir string) (*FS, error) {
	if dir == "" {
		dir = "/"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &FS{dir: abs, root: r}, nil
}

// Dir returns the absolute host path of the root directory.
func (f *FS) Dir() string { return f.dir }

// IsHostRoot reports whether the root is the running system's "/".
func (f *FS) IsHostRoot() bool { return f.dir == "/" }

// Close releases the root directory.
func (f *FS) Close() error { return f.root.Close() }

// HostPath returns the host path of name, for handing to external commands.
// It does not resolve symbolic links.
func (f *FS) HostPath(name string) string {
	return filepath.Join(f.dir, clean(name))
}

// clean turns any name, absolute or relative, into a root-relative path
// without "..", "." or leading slashes. The empty string names the root.
func clean(name string) string {
	c := path.Clean("/" + filepath.ToSlash(name))
	return strings.TrimPrefix(c, "/")
}

// Resolve returns the root-relative path that name refers to after every
// symbolic link in it has been followed inside the root. Components that do
// not exist are kept as they are.
func (f *FS) Resolve(name string) (string, error) {
	return f.resolve(name, true)
}

// resolve follows symbolic links component by component. With last false,
// a symbolic link in the final component is not followed.
func (f *FS) resolve(name string, last bool) (string, error) {
	rest := strings.Split(clean(name), "/")
	if len(rest) == 1 && rest[0] == "" {
		return ".", nil
	}
	var done []string
	links := 0
	for len(rest) > 0 {
		comp := rest[0]
		rest = rest[1:]
		if comp == "" || comp == "." {
			continue
		}
		if comp == ".." {
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(slices.Clone(done), comp)...)
		if len(rest) == 0 && !last {
			done = append(done, comp)
			break
		}
		fi, err := f.root.Lstat(cur)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// Nothing below a missing component can be a link.
				done = append(done, comp)
				done = append(done, rest...)
				break
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, comp)
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: "/" + clean(name), Err: errTooManyLinks}
		}
		target, err := f.root.Readlink(cur)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

var errTooManyLinks = errors.New("too many levels of symbolic links")

// pathErr rewrites the path in an *fs.PathError to the root-relative
// absolute name the caller used, so that messages read "/etc/fstab".
func pathErr(err error, op, name string) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: "/" + clean(name), Err: pe.Err}
	}
	return &fs.PathError{Op: op, Path: "/" + clean(name), Err: err}
}

// Open opens a file for reading.
func (f *FS) Open(name string) (*os.File, error) {
	p, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr(err, "open", name)
	}
	fh, err := f.root.Open(p)
	return fh, pathErr(err, "open", name)
}

// ReadFile reads a whole file.
func (f *FS) ReadFile(name string) ([]byte, error) {
	p, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr(err, "read", name)
	}
	b, err := f.root.ReadFile(p)
	return b, pathErr(err, "read", name)
}

// ReadFileDigest reads a whole file and returns its digest, for a later
// conditional [FS.WriteFile].
func (f *FS) ReadFileDigest(name string) ([]byte, Digest, error) {
	b, err := f.ReadFile(name)
	if err != nil {
		return nil, Digest{}, err
	}
	return b, DigestOf(b), nil
}

// Stat returns a file's information, following symbolic links.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	p, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr(err, "stat", name)
	}
	fi, err := f.root.Stat(p)
	return fi, pathErr(err, "stat", name)
}

// Lstat returns a file's information without following a final link.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	p, err := f.resolve(name, false)
	if err != nil {
		return nil, pathErr(err, "lstat", name)
	}
	fi, err := f.root.Lstat(p)
	return fi, pathErr(err, "lstat", name)
}

// Readlink returns the target of a symbolic link as stored.
func (f *FS) Readlink(name string) (string, error) {
	p, err := f.resolve(name, false)
	if err != nil {
		return "", pathErr(err, "readlink", name)
	}
	t, err := f.root.Readlink(p)
	return t, pathErr(err, "readlink", name)
}

// ReadDir reads a directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	fh, err := f.Open(name)
	if err != nil {
		return nil, pathErr(err, "readdir", name)
	}
	defer fh.Close()
	ents, err := fh.ReadDir(-1)
	if err != nil {
		return nil, pathErr(err, "readdir", name)
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// Exists reports whether name exists (following links).
func (f *FS) Exists(name string) bool {
	_, err := f.Stat(name)
	return err == nil
}

// MkdirAll creates a directory and its parents.
func (f *FS) MkdirAll(name string, perm fs.FileMode) error {
	p, err := f.resolve(name, true)
	if err != nil {
		return pathErr(err, "mkdir", name)
	}
	return pathErr(f.root.MkdirAll(p, perm), "mkdir", name)
}

// Remove removes a file or an empty directory. A final symbolic link is
// removed itself, not its target.
func (f *FS) Remove(name string) error {
	p, err := f.resolve(name, false)
	if err != nil {
		return pathErr(err, "remove", name)
	}
	if err := f.root.Remove(p); err != nil {
		return pathErr(err, "remove", name)
	}
	return f.syncDir(path.Dir(p))
}

// Rename renames a file atomically and syncs the directories involved.
func (f *FS) Rename(oldname, newname string) error {
	op, err := f.resolve(oldname, false)
	if err != nil {
		return pathErr(err, "rename", oldname)
	}
	np, err := f.resolve(newname, false)
	if err != nil {
		return pathErr(err, "rename", newname)
	}
	if err := f.root.Rename(op, np); err != nil {
		return pathErr(err, "rename", oldname)
	}
	if err := f.syncDir(path.Dir(np)); err != nil {
		return err
	}
	if path.Dir(op) != path.Dir(np) {
		return f.syncDir(path.Dir(op))
	}
	return nil
}

func (f *FS) syncDir(dir string) error {
	d, err := f.root.Open(dir)
	if err != nil {
		return pathErr(err, "sync", dir)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errSyncUnsupported) {
		return pathErr(err, "sync", dir)
	}
	return nil
}

// Digest is the SHA-256 digest of a file's content.
type Digest [sha256.Size]byte

// DigestOf returns the digest of b.
func DigestOf(b []byte) Digest { return sha256.Sum256(b) }

// String returns the digest in hexadecimal.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// ErrConflict is matched by every [*ConflictError].
var ErrConflict = errors.New("file changed since it was read")

// ConflictError reports that a conditional write found the file other than
// the caller expected: edited, created or removed by someone else.
type ConflictError struct {
	Path   string // root-relative absolute name
	Want   Digest // the digest the caller read
	Got    Digest // the digest found; zero if the file is missing
	Exists bool   // whether the file exists now
}

func (e *ConflictError) Error() string {
	if !e.Exists {
		return fmt.Sprintf("%s: %v (it was removed)", e.Path, ErrConflict)
	}
	if e.Want == (Digest{}) {
		return fmt.Sprintf("%s: %v (it was created)", e.Path, ErrConflict)
	}
	return fmt.Sprintf("%s: %v (digest %.12s, expected %.12s)", e.Path, ErrConflict, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// WriteOptions tune [FS.WriteFile]. A nil *WriteOptions means the zero
// value.
type WriteOptions struct {
	// Perm is the mode of a new file; zero means 0644. An existing file
	// keeps its mode unless Mode is set.
	Perm fs.FileMode
	// Mode, when non-zero, is applied even to a file that exists (for
	// private keys that must be 0600).
	Mode fs.FileMode
	// Expect, when non-nil, is the digest of the content the caller read;
	// the write is refused with a *ConflictError if the file now differs.
	// The zero Digest means the caller saw no file.
	Expect *Digest
}

// tempPrefix names the temporary files of atomic writes.
const tempPrefix = ".hostadm-tmp-"

// WriteFile replaces name atomically with data. A final symbolic link is
// followed, so the link stays and its target is replaced. Missing parent
// directories are created with mode 0755.
func (f *FS) WriteFile(name string, data []byte, opt *WriteOptions) error {
	if opt == nil {
		opt = &WriteOptions{}
	}
	p, err := f.resolve(name, true)
	if err != nil {
		return pathErr(err, "write", name)
	}
	if p == "." {
		return pathErr(errors.New("is the root directory"), "write", name)
	}
	dir, base := path.Dir(p), path.Base(p)
	if err := f.root.MkdirAll(dir, 0o755); err != nil {
		return pathErr(err, "write", name)
	}
	old, statErr := f.root.Stat(p)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return pathErr(statErr, "write", name)
	}
	exists := statErr == nil
	if exists && !old.Mode().IsRegular() {
		return pathErr(errors.New("not a regular file"), "write", name)
	}
	if err := f.checkDigest(p, name, opt.Expect); err != nil {
		return err
	}

	tmp := path.Join(dir, tempPrefix+base+"-"+randomSuffix())
	perm := opt.Perm
	if perm == 0 {
		perm = 0o644
	}
	if opt.Mode != 0 {
		perm = opt.Mode
	}
	fh, err := f.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm.Perm())
	if err != nil {
		return pathErr(err, "write", name)
	}
	ok := false
	defer func() {
		if !ok {
			fh.Close()
			f.root.Remove(tmp)
		}
	}()
	if _, err := fh.Write(data); err != nil {
		return pathErr(err, "write", name)
	}
	mode := perm
	if exists && opt.Mode == 0 {
		mode = old.Mode()
	}
	if err := fh.Chmod(mode.Perm() | mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return pathErr(err, "write", name)
	}
	if exists {
		if err := copyOwner(fh, old); err != nil {
			return pathErr(err, "write", name)
		}
	}
	if err := fh.Sync(); err != nil {
		return pathErr(err, "write", name)
	}
	if err := fh.Close(); err != nil {
		return pathErr(err, "write", name)
	}
	// Check again just before the rename: the window for an unlocked
	// writer is now only the rename itself.
	if err := f.checkDigest(p, name, opt.Expect); err != nil {
		return err
	}
	if err := f.root.Rename(tmp, p); err != nil {
		return pathErr(err, "write", name)
	}
	ok = true
	return f.syncDir(dir)
}

func (f *FS) checkDigest(p, name string, want *Digest) error {
	if want == nil {
		return nil
	}
	cur, err := f.root.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if *want == (Digest{}) {
			return nil
		}
		return &ConflictError{Path: "/" + clean(name), Want: *want}
	case err != nil:
		return pathErr(err, "write", name)
	}
	got := DigestOf(cur)
	if *want == (Digest{}) || got != *want {
		return &ConflictError{Path: "/" + clean(name), Want: *want, Got: got, Exists: true}
	}
	return nil
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Lock is an advisory lock held on a lock file.
type Lock struct {
	fh *os.File
}

// Lock takes an exclusive advisory lock (flock) on the lock file name,
// creating it with mode 0600 if needed, and waits until it is free or ctx
// ends. Use it around read-modify-write cycles.
func (f *FS) Lock(ctx context.Context, name string) (*Lock, error) {
	p, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr(err, "lock", name)
	}
	if err := f.root.MkdirAll(path.Dir(p), 0o755); err != nil {
		return nil, pathErr(err, "lock", name)
	}
	fh, err := f.root.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, pathErr(err, "lock", name)
	}
	delay := time.Millisecond
	for {
		err := tryLock(fh)
		if err == nil {
			return &Lock{fh: fh}, nil
		}
		if !errors.Is(err, errWouldBlock) {
			fh.Close()
			return nil, pathErr(err, "lock", name)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			fh.Close()
			return nil, pathErr(ctx.Err(), "lock", name)
		case <-t.C:
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
}

// Unlock releases the lock. The lock file is left in place.
func (l *Lock) Unlock() error {
	if l == nil || l.fh == nil {
		return nil
	}
	err := unlock(l.fh)
	if cerr := l.fh.Close(); err == nil {
		err = cerr
	}
	l.fh = nil
	return err
}

// FS returns an [fs.FS] view that resolves links like the methods of f, for
// use with [fs.WalkDir] and [fs.Glob]. Names must be unrooted, as fs.FS
// requires.
func (f *FS) FS() fs.FS { return ioFS{f} }

type ioFS struct{ f *FS }

func (i ioFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return i.f.Open(name)
}

func (i ioFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return i.f.ReadFile(name)
}

func (i ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	return i.f.ReadDir(name)
}

func (i ioFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return i.f.Stat(name)
}

// Glob returns the root-relative absolute names matching pattern (as
// [path.Match]), sorted.
func (f *FS) Glob(pattern string) ([]string, error) {
	m, err := fs.Glob(f.FS(), clean(pattern))
	if err != nil {
		return nil, err
	}
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m, nil
}

// ReadSmall reads a small file such as a sysfs or procfs attribute and
// trims the trailing newline.
func (f *FS) ReadSmall(name string) (string, error) {
	fh, err := f.Open(name)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 1<<20))
	if err != nil {
		return "", pathErr(err, "read", name)
	}
	return string(bytes.TrimRight(b, "\n")), nil
}
