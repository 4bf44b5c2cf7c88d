package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// NetNS is a network namespace made for one test.
type NetNS struct {
	// Name is the namespace's name under /run/netns, so that
	// `ip -n NAME ...` can be used as an oracle.
	Name string
	fd   int
}

// NewNetNS creates a fresh network namespace, removed when the test ends.
// It needs root (or fails under CI).
func NewNetNS(tb testing.TB) *NetNS {
	tb.Helper()
	RequireRoot(tb)
	var b [4]byte
	rand.Read(b[:])
	name := fmt.Sprintf("hostadm-test-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
	fd, err := unshareNet()
	if err != nil {
		tb.Fatalf("create network namespace: %v", err)
	}
	ns := &NetNS{Name: name, fd: fd}
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join("/run/netns", name)
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		tb.Fatal(err)
	}
	if err := unix.Mount(fmt.Sprintf("/proc/self/fd/%d", fd), path, "", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		tb.Fatalf("bind namespace to %s: %v", path, err)
	}
	tb.Cleanup(func() {
		unix.Unmount(path, unix.MNT_DETACH)
		os.Remove(path)
		unix.Close(ns.fd)
	})
	return ns
}

// FD returns a file descriptor of the namespace, for netlink's NetNS
// option. It stays valid until the test ends.
func (n *NetNS) FD() int { return n.fd }

// Path returns the namespace's bind-mount path.
func (n *NetNS) Path() string { return filepath.Join("/run/netns", n.Name) }

// Do runs fn on an OS thread that has entered the namespace.
func (n *NetNS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			errc <- fmt.Errorf("setns back: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// unshareNet creates a network namespace and returns a descriptor of it,
// leaving the calling thread in its original namespace.
func unshareNet() (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, err}
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, fmt.Errorf("unshare: %w", err)}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if serr := unix.Setns(orig, unix.CLONE_NEWNET); serr != nil {
			ch <- result{-1, fmt.Errorf("setns back: %w", serr)}
			return // thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}
