package fat

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/hostadm/hostadm/boot/internal/diskfsio"
)

// FormatOptions tune Format.
type FormatOptions struct {
	// Label is the volume label; "" leaves it unset ("NO NAME").
	Label string
	// VolumeID is the volume serial number, shown as the file system's
	// UUID ("XXXX-XXXX"); zero picks a random one.
	VolumeID uint32
	// HiddenSectors is the partition's first sector on its disk (2048 for
	// the installer's ESP); zero for a file system that is not in a
	// partition.
	HiddenSectors uint32
}

// Format writes an empty FAT32 file system of size bytes (512-byte
// sectors) to dev, with the corrections described in the package doc
// applied, so that fsck.vfat finds nothing to fix.
func Format(dev Device, size int64, opts *FormatOptions) error {
	var o FormatOptions
	if opts != nil {
		o = *opts
	}
	if o.VolumeID == 0 {
		var b [4]byte
		rand.Read(b[:])
		o.VolumeID = binary.LittleEndian.Uint32(b[:]) | 1
	}
	// The first sectors may hold an older file system's signature.
	if _, err := dev.WriteAt(make([]byte, 64<<10), 0); err != nil {
		return fmt.Errorf("clear boot sectors: %w", err)
	}
	st := diskfsio.New(dev, dev, size)
	if _, err := fat32.Create(st, size, 0, 512, strings.ToUpper(o.Label), true); err != nil {
		return fmt.Errorf("create FAT32: %w", err)
	}
	// Volume ID and hidden sectors, in the boot sector and its backup.
	bs := make([]byte, 512)
	if _, err := dev.ReadAt(bs, 0); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(bs[67:], o.VolumeID)
	binary.LittleEndian.PutUint32(bs[28:], o.HiddenSectors)
	// Geometry as mkfs.fat sets it for a fixed disk.
	binary.LittleEndian.PutUint16(bs[24:], 32) // sectors per track
	binary.LittleEndian.PutUint16(bs[26:], 64) // heads
	for _, s := range []int64{0, 6} {
		if _, err := dev.WriteAt(bs, s*512); err != nil {
			return err
		}
	}
	if _, err := Repair(dev, o.HiddenSectors); err != nil {
		return err
	}
	return nil
}

// FS is an open FAT32 file system. Writes go through go-diskfs; Close
// corrects what it leaves behind. An FS is not safe for concurrent use.
type FS struct {
	dev    Device
	io     *coalescer
	size   int64
	hidden uint32
	fs     *fat32.FileSystem
	g      *geometry
}

// Open opens the FAT32 file system on dev, a partition of size bytes
// that starts at sector hiddenSectors of its disk (zero if unknown). A
// file system that an interrupted writer left inconsistent (FAT copies
// that differ, unreferenced clusters) is repaired first, which needs dev
// to be writable.
func Open(dev Device, size int64, hiddenSectors uint32) (*FS, error) {
	g, err := readGeometry(dev)
	if err != nil {
		return nil, err
	}
	if rep, err := Check(dev, 0); err != nil {
		return nil, err
	} else if !rep.Clean() {
		if _, err := Repair(dev, 0); err != nil {
			return nil, fmt.Errorf("repair %q: %w", rep.Problems, err)
		}
	}
	co := &coalescer{dev: dev}
	f, err := fat32.Read(diskfsio.New(co, co, size), size, 0, 512)
	if err != nil {
		return nil, fmt.Errorf("read FAT32: %w", err)
	}
	return &FS{dev: dev, io: co, size: size, hidden: hiddenSectors, fs: f, g: g}, nil
}

// VolumeID returns the volume serial number.
func (f *FS) VolumeID() uint32 { return f.g.volumeID }

// UUID returns the volume serial number as Linux shows it ("8F2A-1C3D").
func (f *FS) UUID() string {
	return fmt.Sprintf("%04X-%04X", f.g.volumeID>>16, f.g.volumeID&0xffff)
}

// Close applies the corrections (see Repair) and releases the file
// system.
func (f *FS) Close() error {
	if f.fs == nil {
		return nil
	}
	f.fs = nil
	if err := f.io.flush(); err != nil {
		return err
	}
	_, err := Repair(f.dev, f.hidden)
	if s, ok := f.dev.(interface{ Sync() error }); ok && err == nil {
		err = s.Sync()
	}
	return err
}

func clean(name string) string { return path.Clean("/" + name) }

// ReadFile reads a whole file.
func (f *FS) ReadFile(name string) ([]byte, error) {
	fi, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &iofs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	if fi.Size() == 0 {
		// go-diskfs cannot read a file without clusters.
		return []byte{}, nil
	}
	fl, err := f.fs.OpenFile(clean(name), os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer fl.Close()
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(fl, b); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// Stat returns a file's information; a missing file returns an error
// matching fs.ErrNotExist.
func (f *FS) Stat(name string) (iofs.FileInfo, error) {
	name = clean(name)
	if name == "/" {
		return rootInfo{}, nil
	}
	ents, err := f.ReadDir(path.Dir(name))
	if err != nil {
		return nil, &iofs.PathError{Op: "stat", Path: name, Err: iofs.ErrNotExist}
	}
	for _, e := range ents {
		if strings.EqualFold(e.Name(), path.Base(name)) {
			return e.Info()
		}
	}
	return nil, &iofs.PathError{Op: "stat", Path: name, Err: iofs.ErrNotExist}
}

// Exists reports whether name exists.
func (f *FS) Exists(name string) bool {
	_, err := f.Stat(name)
	return err == nil
}

// ReadDir lists a directory without its "." and ".." entries.
func (f *FS) ReadDir(name string) ([]iofs.DirEntry, error) {
	rel := strings.TrimPrefix(clean(name), "/")
	if rel == "" {
		rel = "."
	}
	ents, err := f.fs.ReadDir(rel)
	if err != nil {
		return nil, &iofs.PathError{Op: "readdir", Path: clean(name), Err: iofs.ErrNotExist}
	}
	out := ents[:0]
	for _, e := range ents {
		if e.Name() != "." && e.Name() != ".." {
			out = append(out, e)
		}
	}
	return out, nil
}

// MkdirAll creates a directory and its parents.
func (f *FS) MkdirAll(name string) error {
	name = clean(name)
	if name == "/" {
		return nil
	}
	if fi, err := f.Stat(name); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory", name)
		}
		return nil
	}
	if err := f.fs.Mkdir(name); err != nil {
		return err
	}
	return f.io.flush()
}

// WriteFile creates or replaces name with data in place, creating its
// directory. For an update that must not be seen half-written, write a
// temporary name and Rename it.
func (f *FS) WriteFile(name string, data []byte) error {
	name = clean(name)
	if err := f.MkdirAll(path.Dir(name)); err != nil {
		return err
	}
	if f.Exists(name) {
		if err := f.Remove(name); err != nil {
			return err
		}
	}
	fl, err := f.fs.OpenFile(name, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if len(data) > 0 {
		if _, err := fl.Write(data); err != nil {
			fl.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := fl.Close(); err != nil {
		return err
	}
	return f.io.flush()
}

// Rename renames a file within its directory, replacing newname if it
// exists. The directory is rewritten with one write when it fits in a
// cluster, so the switch is atomic.
func (f *FS) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	if path.Dir(oldname) != path.Dir(newname) {
		return fmt.Errorf("rename %s to %s: not in the same directory", oldname, newname)
	}
	if !f.Exists(oldname) {
		return &iofs.PathError{Op: "rename", Path: oldname, Err: iofs.ErrNotExist}
	}
	if err := f.fs.Rename(oldname, newname); err != nil {
		return err
	}
	return f.io.flush()
}

// Remove removes a file or an empty directory.
func (f *FS) Remove(name string) error {
	name = clean(name)
	if !f.Exists(name) {
		return &iofs.PathError{Op: "remove", Path: name, Err: iofs.ErrNotExist}
	}
	// go-diskfs checks that a directory is empty through fs.ReadDir,
	// which wants an unrooted name.
	if err := f.fs.Remove(strings.TrimPrefix(name, "/")); err != nil {
		return err
	}
	return f.io.flush()
}

// RemoveAll removes name and everything below it; a missing name is not
// an error.
func (f *FS) RemoveAll(name string) error {
	fi, err := f.Stat(name)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		ents, err := f.ReadDir(name)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := f.RemoveAll(path.Join(clean(name), e.Name())); err != nil {
				return err
			}
		}
	}
	return f.Remove(name)
}

type rootInfo struct{}

func (rootInfo) Name() string        { return "/" }
func (rootInfo) Size() int64         { return 0 }
func (rootInfo) Mode() iofs.FileMode { return iofs.ModeDir | 0o755 }
func (rootInfo) ModTime() time.Time  { return time.Time{} }
func (rootInfo) IsDir() bool         { return true }
func (rootInfo) Sys() any            { return nil }
