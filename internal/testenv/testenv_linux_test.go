//go:build linux && integration

package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNetNS(t *testing.T) {
	ns := NewNetNS(t)
	var hostIno, nsIno uint64
	var st unix.Stat_t
	unix.Stat("/proc/thread-self/ns/net", &st)
	hostIno = st.Ino
	if err := ns.Do(func() error {
		var st unix.Stat_t
		if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
			return err
		}
		nsIno = st.Ino
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if nsIno == hostIno || nsIno == 0 {
		t.Fatalf("Do ran in the host namespace (%d == %d)", nsIno, hostIno)
	}
	if _, err := exec.LookPath("ip"); err == nil {
		out, err := exec.Command("ip", "-n", ns.Name, "-o", "link").CombinedOutput()
		if err != nil {
			t.Fatalf("ip -n: %v %s", err, out)
		}
		if lines := strings.Count(string(out), "\n"); lines != 1 || !strings.Contains(string(out), "lo:") {
			t.Errorf("fresh namespace has more than lo: %s", out)
		}
	}
	if _, err := os.Stat(ns.Path()); err != nil {
		t.Error(err)
	}
}

func TestLoopDevice(t *testing.T) {
	dev := NewLoopDevice(t, 64<<20)
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil || size != 64<<20 {
		t.Errorf("size = %d, %v; want %d", size, err, 64<<20)
	}
}
