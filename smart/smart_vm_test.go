//go:build vmtest

package smart

import (
	"context"
	"encoding/base64"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hostadm/hostadm/internal/testenv"
	"golang.org/x/sys/unix"
)

// TestVMNativeMatchesSmartctl reads QEMU's emulated SATA and NVMe disks
// natively and through smartctl -a -j, and compares the two field by
// field.
func TestVMNativeMatchesSmartctl(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireTool(t, "smartctl")
	c := newTestClient(t, "")
	ctx := context.Background()
	for _, tc := range []struct {
		dev  string
		want Health
	}{
		{testenv.VMSATADisk(t), Passed},
		{testenv.VMNVMeDisk(t), Passed},
		// QEMU's scsi-hd has no informational exceptions: both sides
		// report the identity and no health.
		{testenv.VMDisks(t, 1)[0], Unknown},
	} {
		dev := tc.dev
		t.Run(filepath.Base(dev), func(t *testing.T) {
			native, err := c.ReadNative(ctx, dev)
			if err != nil {
				t.Fatal(err)
			}
			sc, st, err := c.Smartctl(ctx, dev, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s %s, health %s, smartctl exit status %d (%s)", dev, native.Model, native.Serial, native.Health, st, st)
			mustCompare(t, native, sc)
			if native.Health != tc.want {
				t.Errorf("health %s, want %s", native.Health, tc.want)
			}
			if tc.want == Passed && native.Temperature == nil {
				t.Error("no temperature")
			}
		})
	}
}

// TestVMEnableSMART runs SMART ENABLE OPERATIONS on the SATA disk and
// checks through smartctl that SMART stays enabled.
func TestVMEnableSMART(t *testing.T) {
	testenv.RequireVM(t)
	testenv.RequireTool(t, "smartctl")
	c := newTestClient(t, "")
	ctx := context.Background()
	dev := testenv.VMSATADisk(t)
	if err := c.EnableSMART(ctx, dev); err != nil {
		t.Fatal(err)
	}
	r, _, err := c.Smartctl(ctx, dev, "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.SMARTEnabled {
		t.Error("smartctl says SMART is disabled after SMART ENABLE OPERATIONS")
	}
	// NVMe has nothing to enable.
	if err := c.EnableSMART(ctx, testenv.VMNVMeDisk(t)); err != nil {
		t.Error(err)
	}
	// Read falls back to nothing here: both disks read natively.
	if r, err := c.Read(ctx, dev); err != nil || r.Source != SourceNative {
		t.Errorf("Read: %v, source %v", err, r)
	}
}

// TestVMDiscover finds the emulated disks in the guest's sysfs.
func TestVMDiscover(t *testing.T) {
	testenv.RequireVM(t)
	disks, err := newTestClient(t, "").Discover()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Transport{testenv.VMSATADisk(t): ATA, testenv.VMNVMeDisk(t): NVMe}
	for _, d := range disks {
		if tr, ok := want[d.Path]; ok {
			if d.Transport != tr || d.RAID || !d.HasSMART() {
				t.Errorf("%s: %+v", d.Path, d)
			}
			delete(want, d.Path)
		}
	}
	if len(want) != 0 {
		t.Errorf("not found: %v (found %+v)", want, disks)
	}
}

// BenchmarkHealth reads health and attributes of the SATA and NVMe disks
// natively and with smartctl -a -j.
func BenchmarkHealth(b *testing.B) {
	testenv.RequireVM(b)
	testenv.RequireTool(b, "smartctl")
	c := newTestClient(b, "")
	ctx := context.Background()
	devs := []string{testenv.VMSATADisk(b), testenv.VMNVMeDisk(b)}
	b.Run("hostadm", func(b *testing.B) {
		for b.Loop() {
			for _, d := range devs {
				if _, err := c.ReadNative(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("vs=smartctl", func(b *testing.B) {
		for b.Loop() {
			for _, d := range devs {
				if _, _, err := c.Smartctl(ctx, d, ""); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// TestVMRecordBuffers logs the raw device data of the emulated disks in
// base64 ("record NAME DATA" lines), so that the unit tests' recorded
// buffers can be refreshed from a real guest.
func TestVMRecordBuffers(t *testing.T) {
	testenv.RequireVM(t)
	sata, nvme := testenv.VMSATADisk(t), testenv.VMNVMeDisk(t)
	fd, err := openDevice(sata)
	if err != nil {
		t.Fatal(err)
	}
	defer unixClose(fd)
	for _, rec := range []struct {
		name string
		cmd  ataCommand
	}{
		{"identify", ataCommand{command: ataIdentifyDevice, count: 1, dataIn: true}},
		{"smart", smartCommand(smartReadData, true)},
		{"thresh", smartCommand(smartReadThresh, true)},
	} {
		buf := make([]byte, 512)
		if _, err := ataPassThrough(fd, rec.cmd, buf); err != nil {
			t.Fatalf("%s: %v", rec.name, err)
		}
		t.Logf("record vm-ata.%s %s", rec.name, base64.StdEncoding.EncodeToString(buf))
	}
	res, err := ioctlSGIO(fd, smartCommand(smartReturnStatus, false).cdb(), sgDxferNone, nil, ataTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("record vm-ata.sense %s (status %#x driver %#x)", base64.StdEncoding.EncodeToString(res.sense), res.status, res.driverStatus)
	regs, err := satOutcome(res.status, res.hostStatus, res.driverStatus, res.sense, true)
	if h, herr := ReturnStatusHealth(regs); err != nil || herr != nil || h != Passed {
		t.Errorf("RETURN STATUS: %+v %v %v %s", regs, err, herr, h)
	}
	nfd, err := openDevice(nvme)
	if err != nil {
		t.Fatal(err)
	}
	defer unixClose(nfd)
	id, err := nvmeIdentifyController(nfd)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("record vm-nvme.identify %s", base64.StdEncoding.EncodeToString(id))
	h, err := nvmeHealthLog(nfd)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("record vm-nvme.health %s", base64.StdEncoding.EncodeToString(h))
	out, err := exec.Command("smartctl", "-a", "-j", sata).Output()
	t.Logf("record vm-ata.smartctl.json %s (%v)", base64.StdEncoding.EncodeToString(out), err)
	out, err = exec.Command("smartctl", "-a", "-j", nvme).Output()
	t.Logf("record vm-nvme.smartctl.json %s (%v)", base64.StdEncoding.EncodeToString(out), err)
}

func unixClose(fd int) { unix.Close(fd) }
