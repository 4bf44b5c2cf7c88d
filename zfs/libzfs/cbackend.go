//go:build linux && cgo && libzfs

package libzfs

/*
#cgo CFLAGS: -I/usr/include/libzfs -I/usr/include/libspl -DHAVE_IOCTL_IN_SYS_IOCTL_H -D_GNU_SOURCE
#cgo LDFLAGS: -lzfs -lzfs_core -lnvpair

#include "hz.h"
*/
import "C"

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	gozfs "github.com/bicomsystems/go-libzfs"
	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/zfs"
)

// Backend is the libzfs implementation of zfs.Backend.
type Backend struct{}

// mu serializes every libzfs call: the library handle is shared and not
// safe for concurrent use.
var mu sync.Mutex

// New checks that ZFS is available and returns the backend. Errors match
// zfs.ErrNoZFS when /dev/zfs is missing or libzfs cannot be initialized,
// and os.ErrPermission when /dev/zfs cannot be opened for lack of
// privileges.
func New() (zfs.Backend, error) {
	st, err := os.Stat("/dev/zfs")
	if err != nil {
		return nil, fmt.Errorf("libzfs: /dev/zfs: %w (%w)", zfs.ErrNoZFS, err)
	}
	if st.Mode()&fs.ModeCharDevice == 0 {
		return nil, fmt.Errorf("libzfs: /dev/zfs is not a character device: %w", zfs.ErrNoZFS)
	}
	mu.Lock()
	defer mu.Unlock()
	if e := C.hz_reinit(); e != 0 {
		errno := syscall.Errno(e)
		if errno == syscall.EACCES || errno == syscall.EPERM {
			return nil, fmt.Errorf("libzfs: open /dev/zfs: %w", os.ErrPermission)
		}
		return nil, fmt.Errorf("libzfs: initializing libzfs: %v: %w", errno, zfs.ErrNoZFS)
	}
	return &Backend{}, nil
}

// Name implements zfs.Backend.
func (b *Backend) Name() string { return "libzfs" }

// Error is a failed libzfs call. It matches zfs.ErrNotFound for missing
// pools, datasets and devices, and zfs.ErrInvalid for bad names and
// property values.
type Error struct {
	Op    string // "zpool create tank", "zfs destroy tank/a"
	Errno int    // libzfs error number (EZFS_*), 0 when unknown
	Msg   string // libzfs's description
}

func (e *Error) Error() string { return "libzfs: " + e.Op + ": " + e.Msg }

// Is matches the package zfs sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case zfs.ErrNotFound:
		return e.Errno == C.EZFS_NOENT || e.Errno == C.EZFS_NODEVICE
	case zfs.ErrInvalid:
		return e.Errno == C.EZFS_BADPROP || e.Errno == C.EZFS_INVALIDNAME || e.Errno == C.EZFS_BADDEV
	}
	return false
}

func lastError(op string) error {
	return &Error{Op: op, Errno: int(C.hz_errno()), Msg: C.GoString(C.hz_error())}
}

// call runs fn under the lock after checking ctx; a non-zero result is
// turned into an *Error. When fn succeeds and history is not empty, it
// is recorded in the pool's history as the commands record their
// command line. The thread stays locked through both, since the kernel
// finds the pool of a history entry from the thread's previous ioctl.
func call(ctx context.Context, op, history string, fn func() C.int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if r := fn(); r != 0 {
		if r > 0 && C.hz_errno() == C.EZFS_SUCCESS {
			return &Error{Op: op, Msg: syscall.Errno(r).Error()}
		}
		return lastError(op)
	}
	if history != "" {
		h := C.CString(history)
		C.hz_log_history(h)
		C.free(unsafe.Pointer(h))
	}
	return nil
}

type cstrings struct{ p []*C.char }

func (c *cstrings) add(s string) *C.char {
	p := C.CString(s)
	c.p = append(c.p, p)
	return p
}

func (c *cstrings) free() {
	for _, p := range c.p {
		C.free(unsafe.Pointer(p))
	}
}

func (c *cstrings) array(list []string) (**C.char, C.int) {
	if len(list) == 0 {
		return nil, 0
	}
	arr := (**C.char)(C.calloc(C.size_t(len(list)), C.size_t(unsafe.Sizeof(uintptr(0)))))
	s := unsafe.Slice(arr, len(list))
	for i, x := range list {
		s[i] = c.add(x)
	}
	c.p = append(c.p, (*C.char)(unsafe.Pointer(arr)))
	return arr, C.int(len(list))
}

// text runs a helper that writes a malloc'd buffer.
func text(ctx context.Context, op string, fn func(out **C.char) C.int) ([]byte, error) {
	var out *C.char
	if err := call(ctx, op, "", func() C.int { return fn(&out) }); err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(out))
	return []byte(C.GoString(out)), nil
}

// command writes a command line for the pool history.
func command(args ...string) string { return strings.Join(args, " ") }

func flag(set bool, f string) []string {
	if set {
		return []string{f}
	}
	return nil
}

// propArgs writes "-o k=v" pairs in key order.
func propArgs(flag string, props map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(props)) {
		out = append(out, flag, k+"="+props[k])
	}
	return out
}

// Pools implements zfs.Backend.
func (b *Backend) Pools(ctx context.Context) ([]zfs.Pool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mu.Lock()
	pools, err := gozfs.PoolOpenAll()
	var names []string
	for _, p := range pools {
		if name, nerr := p.Name(); nerr == nil {
			names = append(names, name)
		} else if err == nil {
			err = nerr
		}
	}
	gozfs.PoolCloseAll(pools)
	mu.Unlock()
	if err != nil {
		return nil, &Error{Op: "zpool list", Msg: err.Error()}
	}
	var out []zfs.Pool
	for _, name := range names {
		props, err := b.PoolProperties(ctx, name, "name", "size", "allocated", "free", "fragmentation", "capacity", "dedupratio", "health", "guid", "ashift", "altroot")
		if err != nil {
			return nil, err
		}
		row := make([]string, len(props))
		for i, pr := range props {
			row[i] = pr.Value
		}
		list, err := zfs.ParsePoolList("libzfs", []byte(strings.Join(row, "\t")+"\n"))
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b zfs.Pool) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PoolStatus implements zfs.Backend.
func (b *Backend) PoolStatus(ctx context.Context, pool string) ([]*zfs.PoolStatus, error) {
	names := []string{pool}
	if pool == "" {
		pools, err := b.Pools(ctx)
		if err != nil {
			return nil, err
		}
		names = names[:0]
		for _, p := range pools {
			names = append(names, p.Name)
		}
	}
	var out []*zfs.PoolStatus
	for _, n := range names {
		var cs cstrings
		cn := cs.add(n)
		data, err := text(ctx, "zpool status "+n, func(o **C.char) C.int { return C.hz_status(cn, o) })
		cs.free()
		if err != nil {
			return nil, err
		}
		st, err := parseStatusRows(n, data)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// CreatePool implements zfs.Backend as zpool create does: whole disks
// get a GPT label, every supported feature is enabled, and the root file
// system is mounted.
func (b *Backend) CreatePool(ctx context.Context, p *zfs.Plan) error {
	if err := checkDevices(p, "", true, false); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	root, err := vdevRoot(&cs, p, uint64(p.Ashift))
	if err != nil {
		return err
	}
	defer C.nvlist_free(root)
	props := stringList(&cs, p.Options)
	defer C.nvlist_free(props)
	fsprops := stringList(&cs, p.FSOptions)
	defer C.nvlist_free(fsprops)
	name := cs.add(p.Pool)
	return call(ctx, "zpool create "+p.Pool, command(p.Argv...), func() C.int { return C.hz_create(name, root, props, fsprops) })
}

// AddVdevs implements zfs.Backend as zpool add does. New vdevs get the
// pool's ashift property when it was set.
func (b *Backend) AddVdevs(ctx context.Context, p *zfs.Plan, force bool) error {
	ashift, err := b.poolAshift(ctx, p.Pool)
	if err != nil {
		return err
	}
	if err := checkDevices(p, p.Pool, force, false); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	root, err := vdevRoot(&cs, p, ashift)
	if err != nil {
		return err
	}
	defer C.nvlist_free(root)
	name := cs.add(p.Pool)
	hist := command(append(append(append([]string{"zpool", "add"}, flag(force, "-f")...), p.Pool), p.VdevArgs()...)...)
	return call(ctx, "zpool add "+p.Pool, hist, func() C.int { return C.hz_add(name, root) })
}

// ReplaceDevice implements zfs.Backend as zpool replace does: a whole
// disk gets a GPT label, and the new device the pool's ashift property.
func (b *Backend) ReplaceDevice(ctx context.Context, pool, old, new string, force bool) error {
	ashift, err := b.poolAshift(ctx, pool)
	if err != nil {
		return err
	}
	if err := checkDevices(&zfs.Plan{Vdevs: []zfs.VdevSpec{{Type: "disk", Devices: []string{new}}}}, pool, force, true); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	nv, err := leaf(&cs, new, ashift)
	if err != nil {
		return err
	}
	kids := C.hz_array(1)
	C.hz_aset(kids, 0, nv)
	root := C.hz_root(kids, 1, nil, 0, nil, 0)
	C.hz_free_array(kids, 1)
	defer C.nvlist_free(root)
	cp, co, cn := cs.add(pool), cs.add(old), cs.add(new)
	hist := command(append(append([]string{"zpool", "replace"}, flag(force, "-f")...), pool, old, new)...)
	return call(ctx, "zpool replace "+pool, hist, func() C.int { return C.hz_replace(cp, co, cn, root) })
}

// poolAshift returns the pool's ashift property when it was set (at
// creation or later), which zpool add and replace give new vdevs; 0
// otherwise.
func (b *Backend) poolAshift(ctx context.Context, pool string) (uint64, error) {
	props, err := b.PoolProperties(ctx, pool, "ashift")
	if err != nil {
		return 0, err
	}
	if len(props) != 1 || props[0].Source == "default" {
		return 0, nil
	}
	n, _ := strconv.ParseUint(props[0].Value, 10, 64)
	return n, nil
}

// ImportPool implements zfs.Backend as zpool import NAME [NEWNAME] does,
// with -d, -f, -N and -R (which also sets cachefile=none).
func (b *Backend) ImportPool(ctx context.Context, name string, opts *zfs.ImportOptions) error {
	if opts == nil {
		opts = &zfs.ImportOptions{}
	}
	var cs cstrings
	defer cs.free()
	props := map[string]string{}
	args := []string{"zpool", "import"}
	for _, d := range opts.Dirs {
		args = append(args, "-d", d)
	}
	args = append(args, flag(opts.Force, "-f")...)
	args = append(args, flag(opts.NoMount, "-N")...)
	if opts.Altroot != "" {
		props["altroot"], props["cachefile"] = opts.Altroot, "none"
		args = append(args, "-R", opts.Altroot)
	}
	args = append(args, name)
	var newname *C.char
	if opts.NewName != "" {
		newname = cs.add(opts.NewName)
		args = append(args, opts.NewName)
	}
	nv := stringList(&cs, props)
	defer C.nvlist_free(nv)
	dirs, ndirs := cs.array(opts.Dirs)
	cn := cs.add(name)
	return call(ctx, "zpool import "+name, command(args...), func() C.int {
		return C.hz_import(cn, dirs, ndirs, newname, nv, cbool(opts.Force), cbool(opts.NoMount))
	})
}

// ExportPool implements zfs.Backend: file systems are unmounted first,
// as zpool export does.
func (b *Backend) ExportPool(ctx context.Context, pool string, force bool) error {
	hist := command(append(append([]string{"zpool", "export"}, flag(force, "-f")...), pool)...)
	return b.withPool(ctx, "zpool export", pool, func(p *gozfs.Pool) error { return p.Export(force, hist) })
}

// DestroyPool implements zfs.Backend: file systems are unmounted first
// (forcibly with force), as zpool destroy does.
func (b *Backend) DestroyPool(ctx context.Context, pool string, force bool) error {
	var cs cstrings
	defer cs.free()
	cp, hist := cs.add(pool), cs.add(command(append(append([]string{"zpool", "destroy"}, flag(force, "-f")...), pool)...))
	return call(ctx, "zpool destroy "+pool, "", func() C.int { return C.hz_destroy_pool(cp, cbool(force), hist) })
}

func (b *Backend) withPool(ctx context.Context, op, pool string, fn func(*gozfs.Pool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	p, err := gozfs.PoolOpen(pool)
	if err != nil {
		return &Error{Op: op + " " + pool, Errno: C.EZFS_NOENT, Msg: err.Error()}
	}
	defer p.Close()
	if err := fn(&p); err != nil {
		return &Error{Op: op + " " + pool, Errno: int(C.hz_errno()), Msg: err.Error()}
	}
	return nil
}

// PoolProperties implements zfs.Backend.
func (b *Backend) PoolProperties(ctx context.Context, pool string, names ...string) ([]zfs.Property, error) {
	var cs cstrings
	defer cs.free()
	cp := cs.add(pool)
	arr, n := cs.array(names)
	data, err := text(ctx, "zpool get "+pool, func(o **C.char) C.int { return C.hz_pool_props(cp, arr, n, o) })
	if err != nil {
		return nil, err
	}
	return zfs.ParseProperties("libzfs", data)
}

// SetPoolProperty implements zfs.Backend.
func (b *Backend) SetPoolProperty(ctx context.Context, pool, name, value string) error {
	var cs cstrings
	defer cs.free()
	cp, cn, cv := cs.add(pool), cs.add(name), cs.add(value)
	return call(ctx, "zpool set "+name+" "+pool, command("zpool", "set", name+"="+value, pool), func() C.int { return C.hz_pool_prop(cp, cn, cv) })
}

// UpgradePool implements zfs.Backend.
func (b *Backend) UpgradePool(ctx context.Context, pool string) error {
	var cs cstrings
	defer cs.free()
	cp := cs.add(pool)
	return call(ctx, "zpool upgrade "+pool, command("zpool", "upgrade", pool), func() C.int { return C.hz_upgrade(cp) })
}

// Scrub implements zfs.Backend.
func (b *Backend) Scrub(ctx context.Context, pool string, action zfs.ScrubAction) error {
	var cs cstrings
	defer cs.free()
	cp := cs.add(pool)
	args := []string{"zpool", "scrub"}
	args = append(args, map[zfs.ScrubAction][]string{zfs.ScrubPause: {"-p"}, zfs.ScrubStop: {"-s"}}[action]...)
	return call(ctx, "zpool scrub "+pool, command(append(args, pool)...), func() C.int { return C.hz_scrub(cp, C.int(action)) })
}

// Datasets implements zfs.Backend: it writes what zfs list -Hp would and
// reads it with the same parser.
func (b *Backend) Datasets(ctx context.Context, opts *zfs.ListOptions) ([]zfs.Dataset, error) {
	if opts == nil {
		opts = &zfs.ListOptions{}
	}
	types := C.int(0)
	for _, t := range opts.Types {
		switch t {
		case zfs.Filesystem:
			types |= C.ZFS_TYPE_FILESYSTEM
		case zfs.Volume:
			types |= C.ZFS_TYPE_VOLUME
		case zfs.Snapshot:
			types |= C.ZFS_TYPE_SNAPSHOT
		case zfs.Bookmark:
			types |= C.ZFS_TYPE_BOOKMARK
		}
	}
	if types == 0 {
		types = C.ZFS_TYPE_FILESYSTEM | C.ZFS_TYPE_VOLUME
	}
	depth := C.int(0)
	switch {
	case opts.Depth > 0:
		depth = C.int(opts.Depth)
	case opts.Recursive:
		depth = -1
	case types&(C.ZFS_TYPE_FILESYSTEM|C.ZFS_TYPE_VOLUME) == 0:
		depth = 1 // zfs list -t snapshot FS lists FS's snapshots
	}
	var cs cstrings
	defer cs.free()
	var root *C.char
	if opts.Root != "" {
		root = cs.add(opts.Root)
	}
	arr, n := cs.array(opts.Properties)
	data, err := text(ctx, "zfs list", func(o **C.char) C.int { return C.hz_list_datasets(root, arr, n, types, depth, 1, o) })
	if err != nil {
		return nil, err
	}
	ds, err := zfs.ParseDatasetList("libzfs", data, opts)
	if err != nil {
		return nil, err
	}
	// zfs list's order: by name, each snapshot after its dataset (the
	// helper lists snapshots in creation order, children as the kernel
	// returns them).
	slices.SortStableFunc(ds, func(a, b zfs.Dataset) int {
		an, _, asnap := strings.Cut(a.Name, "@")
		bn, _, bsnap := strings.Cut(b.Name, "@")
		if c := strings.Compare(an, bn); c != 0 || asnap == bsnap {
			return c
		}
		if asnap {
			return 1
		}
		return -1
	})
	return ds, nil
}

// DatasetProperties implements zfs.Backend.
func (b *Backend) DatasetProperties(ctx context.Context, dataset string, names ...string) ([]zfs.Property, error) {
	var cs cstrings
	defer cs.free()
	cd := cs.add(dataset)
	arr, n := cs.array(names)
	data, err := text(ctx, "zfs get "+dataset, func(o **C.char) C.int { return C.hz_get_props(cd, arr, n, o) })
	if err != nil {
		return nil, err
	}
	return zfs.ParseProperties("libzfs", data)
}

// SetDatasetProperty implements zfs.Backend.
func (b *Backend) SetDatasetProperty(ctx context.Context, dataset, name, value string) error {
	var cs cstrings
	defer cs.free()
	cd, cn, cv := cs.add(dataset), cs.add(name), cs.add(value)
	return call(ctx, "zfs set "+name+" "+dataset, command("zfs", "set", name+"="+value, dataset), func() C.int { return C.hz_dataset(cd, C.HZ_SET, cn, cv, nil) })
}

// keyPipe hands key material to libzfs as a file:///proc/self/fd/N
// location, so that it never touches the disk, argv or the environment.
// The caller closes the returned file after the libzfs call.
func keyPipe(key []byte) (string, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	_, err = w.Write(key) // at most 512 bytes: fits the pipe buffer
	w.Close()
	if err != nil {
		r.Close()
		return "", nil, err
	}
	return fmt.Sprintf("file:///proc/self/fd/%d", r.Fd()), r, nil
}

// encryptionProps returns the properties that set up encryption, and
// the key material to hand over when the key location is prompt.
func encryptionProps(e *zfs.Encryption, create bool) (map[string]string, []byte) {
	f, loc := cmp.Or(string(e.Format), string(zfs.Passphrase)), cmp.Or(e.Location, zfs.KeyLocationPrompt)
	props := map[string]string{"keyformat": f, "keylocation": loc}
	if create {
		props["encryption"] = cmp.Or(e.Algorithm, "on")
	}
	if e.PBKDF2Iters != 0 {
		props["pbkdf2iters"] = strconv.Itoa(e.PBKDF2Iters)
	}
	if loc != zfs.KeyLocationPrompt {
		return props, nil
	}
	return props, e.Key
}

// withKey runs fn with the key location of props pointing at a pipe that
// holds key, then sets the location back to prompt, which is what the
// zfs command stores after reading a key from its terminal.
func (b *Backend) withKey(ctx context.Context, dataset string, props map[string]string, key []byte, fn func() error) error {
	if key == nil {
		return fn()
	}
	uri, r, err := keyPipe(key)
	if err != nil {
		return err
	}
	defer r.Close()
	props["keylocation"] = uri
	if err := fn(); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	cd, cn, cv := cs.add(dataset), cs.add("keylocation"), cs.add(zfs.KeyLocationPrompt)
	return call(ctx, "zfs set keylocation "+dataset, "", func() C.int { return C.hz_dataset(cd, C.HZ_SET, cn, cv, nil) })
}

// CreateDataset implements zfs.Backend as zfs create does: a new file
// system is mounted, a new volume gets a refreservation unless sparse.
func (b *Backend) CreateDataset(ctx context.Context, o *zfs.CreateOptions) error {
	props := maps.Clone(o.Properties)
	if props == nil {
		props = map[string]string{}
	}
	if o.Volblocksize != 0 {
		props["volblocksize"] = strconv.FormatUint(o.Volblocksize, 10)
	}
	var key []byte
	if o.Encryption != nil {
		var enc map[string]string
		enc, key = encryptionProps(o.Encryption, true)
		maps.Copy(props, enc)
	}
	args := append([]string{"zfs", "create"}, flag(o.Parents, "-p")...)
	if o.Type == zfs.Volume {
		args = append(append(args, flag(o.Sparse, "-s")...), "-V", strconv.FormatUint(o.Volsize, 10))
	}
	hist := command(append(append(args, propArgs("-o", props)...), o.Name)...)
	return b.withKey(ctx, o.Name, props, key, func() error {
		var cs cstrings
		defer cs.free()
		nv := stringList(&cs, props)
		defer C.nvlist_free(nv)
		name := cs.add(o.Name)
		return call(ctx, "zfs create "+o.Name, hist, func() C.int {
			return C.hz_create_dataset(name, cbool(o.Type == zfs.Volume), C.uint64_t(o.Volsize), cbool(o.Sparse), cbool(o.Parents), nv)
		})
	})
}

// Snapshot implements zfs.Backend.
func (b *Backend) Snapshot(ctx context.Context, snapshot string, recursive bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(snapshot)
	return call(ctx, "zfs snapshot "+snapshot, command(append(append([]string{"zfs", "snapshot"}, flag(recursive, "-r")...), snapshot)...), func() C.int { return C.hz_snapshot(cn, cbool(recursive)) })
}

// Clone implements zfs.Backend.
func (b *Backend) Clone(ctx context.Context, snapshot, target string, props map[string]string) error {
	var cs cstrings
	defer cs.free()
	nv := stringList(&cs, props)
	defer C.nvlist_free(nv)
	cs1, ct := cs.add(snapshot), cs.add(target)
	hist := command(append(append([]string{"zfs", "clone"}, propArgs("-o", props)...), snapshot, target)...)
	return call(ctx, "zfs clone "+snapshot, hist, func() C.int { return C.hz_clone(cs1, ct, nv) })
}

// Rollback implements zfs.Backend.
func (b *Backend) Rollback(ctx context.Context, snapshot string, destroyNewer bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(snapshot)
	hist := command(append(append([]string{"zfs", "rollback"}, flag(destroyNewer, "-r")...), snapshot)...)
	return call(ctx, "zfs rollback "+snapshot, hist, func() C.int { return C.hz_rollback(cn, cbool(destroyNewer)) })
}

// DestroyDataset implements zfs.Backend.
func (b *Backend) DestroyDataset(ctx context.Context, dataset string, recursive bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	hist := command(append(append([]string{"zfs", "destroy"}, flag(recursive, "-r")...), dataset)...)
	return call(ctx, "zfs destroy "+dataset, hist, func() C.int { return C.hz_destroy(cn, cbool(recursive)) })
}

// Mount implements zfs.Backend.
func (b *Backend) Mount(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs mount "+dataset, "", func() C.int { return C.hz_dataset(cn, C.HZ_MOUNT, nil, nil, nil) })
}

// Unmount implements zfs.Backend.
func (b *Backend) Unmount(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs unmount "+dataset, "", func() C.int { return C.hz_dataset(cn, C.HZ_UNMOUNT, nil, nil, nil) })
}

// LoadKey implements zfs.Backend.
func (b *Backend) LoadKey(ctx context.Context, dataset string, key []byte) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	var loc *C.char
	if key != nil {
		uri, r, err := keyPipe(key)
		if err != nil {
			return err
		}
		defer r.Close()
		loc = cs.add(uri)
	}
	return call(ctx, "zfs load-key "+dataset, "", func() C.int { return C.hz_dataset(cn, C.HZ_LOAD_KEY, loc, nil, nil) })
}

// UnloadKey implements zfs.Backend.
func (b *Backend) UnloadKey(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs unload-key "+dataset, "", func() C.int { return C.hz_dataset(cn, C.HZ_UNLOAD_KEY, nil, nil, nil) })
}

// ChangeKey implements zfs.Backend.
func (b *Backend) ChangeKey(ctx context.Context, dataset string, enc *zfs.Encryption) error {
	props, key := encryptionProps(enc, false)
	hist := command(append(append([]string{"zfs", "change-key"}, propArgs("-o", props)...), dataset)...)
	return b.withKey(ctx, dataset, props, key, func() error {
		var cs cstrings
		defer cs.free()
		nv := stringList(&cs, props)
		defer C.nvlist_free(nv)
		cn := cs.add(dataset)
		return call(ctx, "zfs change-key "+dataset, hist, func() C.int { return C.hz_dataset(cn, C.HZ_CHANGE_KEY, nil, nil, nv) })
	})
}

// checkDevices refuses devices that hold data, as zpool does before it
// uses them: a device of another active pool always; unless force, one
// of an exported pool or a hot spare of another pool, or one with a
// file system (probed from its superblock, and for a whole disk with a
// partition table, from each partition's). A spare of pool itself may
// replace a device of it.
func checkDevices(p *zfs.Plan, pool string, force, replacing bool) error {
	spare := map[string]bool{}
	for _, d := range p.Spares {
		spare[d] = true
	}
	for _, d := range planDevices(p) {
		if err := checkDevice(d, pool, spare[d], force, replacing); err != nil {
			return err
		}
	}
	return nil
}

func planDevices(p *zfs.Plan) []string {
	var out []string
	for _, group := range [][]zfs.VdevSpec{p.Vdevs, p.Special, p.Log} {
		for _, v := range group {
			out = append(out, v.Devices...)
		}
	}
	return append(append(out, p.Cache...), p.Spares...)
}

func checkDevice(path, pool string, spare, force, replacing bool) error {
	f, err := os.Open(path)
	if err != nil {
		return &Error{Op: "cannot open " + path, Errno: C.EZFS_BADDEV, Msg: err.Error()}
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return &Error{Op: "cannot open " + path, Errno: C.EZFS_BADDEV, Msg: err.Error()}
	}
	type region struct {
		dev       string
		off, size int64
	}
	regions := []region{{path, 0, size}}
	if t, err := disk.Read(path); err == nil {
		real, _ := filepath.EvalSymlinks(path)
		for _, part := range t.Partitions {
			regions = append(regions, region{disk.PartitionDevice(real, part.Number), int64(part.Start) * int64(t.SectorSize), t.Bytes(part.Sectors())})
		}
	}
	for _, r := range regions {
		fsys, err := disk.Probe(io.NewSectionReader(f, r.off, r.size), r.size)
		if err != nil {
			continue
		}
		if fsys.Type != "zfs_member" {
			if !force {
				return &Error{Op: "cannot use " + path, Errno: C.EZFS_BADDEV, Msg: fmt.Sprintf("%s contains a filesystem of type '%s' (use force)", r.dev, fsys.Type)}
			}
			continue
		}
		state, name, ok := inUse(r.dev)
		switch {
		case !ok:
		case state == C.POOL_STATE_SPARE && (spare || replacing && name == pool):
		case state == C.POOL_STATE_ACTIVE || state == C.POOL_STATE_SPARE || !force:
			what := map[C.int]string{C.POOL_STATE_ACTIVE: "active pool", C.POOL_STATE_EXPORTED: "exported pool", C.POOL_STATE_POTENTIALLY_ACTIVE: "potentially active pool", C.POOL_STATE_SPARE: "hot spare of pool", C.POOL_STATE_L2CACHE: "cache of pool"}[state]
			if what == "" {
				what = "pool"
			}
			return &Error{Op: "cannot use " + path, Errno: C.EZFS_BADDEV, Msg: fmt.Sprintf("%s is part of %s '%s'", r.dev, what, name)}
		}
	}
	return nil
}

// inUse reads the ZFS label of a device: the state of its pool and the
// pool's name.
func inUse(dev string) (C.int, string, bool) {
	var cs cstrings
	defer cs.free()
	cd := cs.add(dev)
	var state C.int
	var name *C.char
	mu.Lock()
	defer mu.Unlock()
	if C.hz_in_use(cd, &state, &name) == 0 {
		return 0, "", false
	}
	defer C.free(unsafe.Pointer(name))
	return state, C.GoString(name), true
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func stringList(cs *cstrings, m map[string]string) *C.nvlist_t {
	nv := C.hz_nvlist()
	for k, v := range m {
		C.hz_add_string(nv, cs.add(k), cs.add(v))
	}
	return nv
}

// leaf describes a device or file as zpool does (a whole disk is
// labelled when the vdev is created).
func leaf(cs *cstrings, path string, ashift uint64) (*C.nvlist_t, error) {
	var errno C.int
	nv := C.hz_leaf(cs.add(path), C.uint64_t(ashift), &errno)
	if nv == nil {
		e := &Error{Op: "cannot open " + path, Errno: C.EZFS_BADDEV, Msg: syscall.Errno(errno).Error()}
		if syscall.Errno(errno) == syscall.ENOENT {
			e.Errno = C.EZFS_NODEVICE
		}
		return nil, e
	}
	return nv, nil
}

// leaves fills arr with the leaves of devs and returns how many it
// made, which the caller frees with the array, also on error.
func leaves(cs *cstrings, arr **C.nvlist_t, devs []string, ashift uint64) (int, error) {
	for i, d := range devs {
		nv, err := leaf(cs, d, ashift)
		if err != nil {
			return i, err
		}
		C.hz_aset(arr, C.int(i), nv)
	}
	return len(devs), nil
}

// vdevRoot builds the root vdev of a plan: data, special and log vdevs
// as children, cache and spare devices in their own arrays.
func vdevRoot(cs *cstrings, p *zfs.Plan, ashift uint64) (root *C.nvlist_t, err error) {
	type top struct {
		spec zfs.VdevSpec
		cls  C.int // 0 normal, 1 log, 2 special
	}
	var tops []top
	for _, v := range p.Vdevs {
		tops = append(tops, top{v, 0})
	}
	for _, v := range p.Special {
		tops = append(tops, top{v, 2})
	}
	for _, v := range p.Log {
		tops = append(tops, top{v, 1})
	}
	// Every list owns its nvlists until hz_root copies them.
	kids, nkids := C.hz_array(C.int(len(tops))), 0
	cache, ncache := C.hz_array(C.int(len(p.Cache))), 0
	spares, nspares := C.hz_array(C.int(len(p.Spares))), 0
	defer func() {
		C.hz_free_array(kids, C.int(nkids))
		C.hz_free_array(cache, C.int(ncache))
		C.hz_free_array(spares, C.int(nspares))
	}()
	for _, t := range tops {
		var nv *C.nvlist_t
		if t.spec.Type == "disk" {
			if nv, err = leaf(cs, t.spec.Devices[0], ashift); err != nil {
				return nil, err
			}
		} else {
			children := C.hz_array(C.int(len(t.spec.Devices)))
			n, err := leaves(cs, children, t.spec.Devices, ashift)
			if err != nil {
				C.hz_free_array(children, C.int(n))
				return nil, err
			}
			typ, parity := t.spec.Type, 0
			switch {
			case strings.HasPrefix(typ, "raidz"):
				typ, parity = "raidz", int(typ[5]-'0')
			case strings.HasPrefix(typ, "draid"):
				typ, parity = "draid", int(typ[5]-'0')
			}
			nv = C.hz_group(cs.add(typ), children, C.int(n), C.uint64_t(parity),
				C.uint64_t(t.spec.DRAIDData), C.uint64_t(t.spec.DRAIDSpares), C.uint64_t(t.spec.DRAIDGroups))
			C.hz_free_array(children, C.int(n))
		}
		C.hz_mark(nv, t.cls)
		C.hz_aset(kids, C.int(nkids), nv)
		nkids++
	}
	if ncache, err = leaves(cs, cache, p.Cache, ashift); err != nil {
		return nil, err
	}
	if nspares, err = leaves(cs, spares, p.Spares, ashift); err != nil {
		return nil, err
	}
	return C.hz_root(kids, C.int(nkids), cache, C.int(ncache), spares, C.int(nspares)), nil
}
