// Package libzfs is the cgo backend of package zfs: it calls libzfs (the
// library behind the zpool and zfs commands) through
// github.com/bicomsystems/go-libzfs v0.4.0 and its own C helpers,
// instead of running the commands. It returns the same types and errors
// as the command-line backend and passes the same test suite.
//
// It is built only with the build tag libzfs on Linux with cgo, against
// OpenZFS 2.1 (Debian 12's libzfslinux-dev); without the tag New returns
// an error wrapping errors.ErrUnsupported and nothing links libzfs.
//
// go-libzfs initializes libzfs in its package init, before any code of
// the program runs: libzfs_init probes /sys/module/zfs, waits up to ten
// seconds for /dev/zfs when the module is loaded but the device node is
// missing, runs modprobe when ZFS_MODULE_LOADING=yes is in the
// environment, and opens /dev/zfs. Without ZFS it leaves a NULL handle
// that crashes the process on the first libzfs call. This package
// therefore
//
//   - sets ZFS_MODULE_LOADING=no and, unless set, ZFS_MODULE_TIMEOUT=0
//     in a C constructor that runs before the Go runtime starts, so that
//     linking the backend never loads a module or stalls a program's
//     start (the change is visible to libzfs only, not to os.Getenv or
//     child processes);
//   - checks in New that /dev/zfs is a character device and that the
//     library handle exists, initializing libzfs again when ZFS became
//     available after the program started, and returns an error
//     matching zfs.ErrNoZFS otherwise, before any other libzfs call;
//   - serializes every call, since a libzfs handle is not safe for
//     concurrent use.
//
// Differences from the zpool command: devices are used as given (whole
// disks are not given a GPT label with a partition 1 and 9), and
// ImportPool supports only Dirs and Force.
//
// Usage:
//
//	b, err := libzfs.New()
//	if err != nil {
//		return err // errors.Is(err, zfs.ErrNoZFS) without ZFS
//	}
//	c, err := zfs.New(&zfs.Config{Backend: b})
package libzfs
