package zfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostadm/hostadm/boot/disk"
)

// bootImages makes a healthy installer-partitioned disk image and a
// blank one, with empty stand-ins for the partition nodes udev would
// create.
func bootImages(t *testing.T) (healthy, blank string) {
	t.Helper()
	dir := t.TempDir()
	healthy, blank = filepath.Join(dir, "healthy.img"), filepath.Join(dir, "new.img")
	for _, img := range []string{healthy, blank} {
		f, err := os.Create(img)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(1 << 30)
		f.Close()
	}
	tb, err := disk.InstallerLayout(1<<30/512, 512, &disk.LayoutOptions{DataType: disk.TypeZFS})
	if err != nil {
		t.Fatal(err)
	}
	if err := disk.Write(context.Background(), healthy, tb); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{healthy + "3", blank + "2", blank + "3"} {
		os.WriteFile(p, nil, 0o644)
	}
	return healthy, blank
}

func bootPoolStatus(healthy, old string) string {
	st := &PoolStatus{Name: "rpool", State: StateDegraded, Errors: "No known data errors",
		Root: &Vdev{Name: "rpool", Type: "root", State: StateDegraded, Children: []*Vdev{
			{Name: "mirror-0", Type: "mirror", State: StateDegraded, Children: []*Vdev{
				{Name: healthy, Type: "disk", State: StateOnline},
				{Name: old, Type: "disk", State: StateUnavail, Note: "cannot open"},
			}},
		}}}
	return string(st.Format())
}

func TestReplaceBootDiskPlainGRUB(t *testing.T) {
	healthy, blank := bootImages(t)
	c, f := newTestClient(t, "")
	old := "12345678901234567890"
	degraded := bootPoolStatus(healthy+"3", old)
	f.Expect("zpool", "status", "-pv", "rpool").Stdout(degraded)
	f.Expect("zpool", "replace", "-f", "rpool", old, blank+"3")
	f.Expect("grub-install", blank)
	f.Expect("zpool", "status", "-pv", "rpool").Stdout(strings.Replace(degraded, old+"\tUNAVAIL", blank+"3\tONLINE", 1))
	res, err := c.ReplaceBootDisk(context.Background(), &BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: old, New: blank, Mode: BootPlainGRUB})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sgdisk " + healthy + " -R " + blank, "sgdisk -G " + blank, "zpool replace -f rpool " + old + " " + blank + "3", "grub-install " + blank}
	if !slices.Equal(res.Steps, want) || res.Device != blank+"3" || res.ESP != "" || res.Status == nil {
		t.Errorf("result %+v, want steps %q", res, want)
	}
	src, _ := disk.Read(healthy)
	dst, err := disk.Read(blank)
	if err != nil || len(dst.Partitions) != 3 || dst.GUID == src.GUID || dst.Partitions[2].GUID == src.Partitions[2].GUID || dst.Partitions[2].Type != disk.TypeZFS {
		t.Errorf("new table %+v (%v), from %+v", dst, err, src)
	}
}

func TestReplaceBootDiskRefused(t *testing.T) {
	healthy, blank := bootImages(t)
	old := "/dev/disk/by-id/ata-FAILED-part3"
	status := bootPoolStatus(healthy+"3", old)
	tests := []struct {
		name   string
		r      BootDiskReplacement
		status string // zpool status output, "" when not reached
		want   error
	}{
		{"same disk", BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: old, New: healthy}, "", ErrInvalid},
		{"relative path", BootDiskReplacement{Pool: "rpool", Healthy: "sda", Old: old, New: blank}, "", ErrInvalid},
		{"bad mode", BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: old, New: blank, Mode: "lilo"}, "", ErrInvalid},
		{"same partitions", BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: old, New: blank, ZFSPartition: 2}, "", ErrInvalid},
		{"old not in pool", BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: "sdz3", New: blank}, status, ErrNotFound},
		{"healthy not in pool", BootDiskReplacement{Pool: "rpool", Healthy: blank, Old: old, New: healthy + "x"}, status, ErrInvalid},
		{"new disk in the pool", BootDiskReplacement{Pool: "rpool", Healthy: blank, Old: healthy + "3", New: healthy, Force: true}, bootPoolStatus(blank+"3", healthy+"3"), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newTestClient(t, "")
			if tt.status != "" {
				f.Expect("zpool", "status", "-pv", "rpool").Stdout(tt.status)
			}
			if _, err := c.ReplaceBootDisk(context.Background(), &tt.r); !errors.Is(err, tt.want) {
				t.Errorf("ReplaceBootDisk = %v, want %v", err, tt.want)
			}
		})
	}
	// A disk with a partition table is not blank.
	c, f := newTestClient(t, "")
	f.Expect("zpool", "status", "-pv", "rpool").Stdout(status)
	other, _ := bootImages(t)
	if _, err := c.ReplaceBootDisk(context.Background(), &BootDiskReplacement{Pool: "rpool", Healthy: healthy, Old: old, New: other, Mode: BootPlainGRUB}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "blank") {
		t.Errorf("onto a partitioned disk: %v", err)
	}
}

// TestWaitResilverWaitsForDetach follows a resilver to its end and to the
// kernel's detach of the replaced device.
func TestWaitResilverWaitsForDetach(t *testing.T) {
	c, f := newTestClient(t, "")
	replacing := &Vdev{Name: "replacing-1", Type: "replacing", State: StateDegraded, Children: []*Vdev{
		{Name: "123", Type: "disk", State: StateUnavail, Note: "was /dev/sdb3"},
		{Name: "sdc3", Type: "disk", State: StateOnline},
	}}
	status := func(scan string, second *Vdev) string {
		st := &PoolStatus{Name: "rpool", State: StateOnline, Scan: &Scan{Text: scan}, Errors: "No known data errors",
			Root: &Vdev{Name: "rpool", Type: "root", State: StateOnline, Children: []*Vdev{
				{Name: "mirror-0", Type: "mirror", State: StateOnline, Children: []*Vdev{{Name: "sda3", Type: "disk", State: StateOnline}, second}},
			}}}
		return string(st.Format())
	}
	running := "resilver in progress since Tue Oct 15 10:12:01 2024\n\t1G scanned at 1G/s, 512M issued at 512M/s, 2G total\n\t512M resilvered, 25.00% done, 00:00:03 to go"
	done := "resilvered 2G in 00:00:04 with 0 errors on Tue Oct 15 10:12:05 2024"
	for _, out := range []string{status(running, replacing), status(done, replacing), status(done, replacing), status(done, &Vdev{Name: "sdc3", Type: "disk", State: StateOnline})} {
		f.Expect("zpool", "status", "-pv", "rpool").Stdout(out)
	}
	var seen []string
	st, err := c.WaitResilver(context.Background(), "rpool", time.Millisecond, func(s *Scan) { seen = append(seen, s.State) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Find("replacing-1") != nil || !slices.Equal(seen, []string{"scanning", "finished", "finished", "finished"}) {
		t.Errorf("final status %s after %q", st.Format(), seen)
	}
}
