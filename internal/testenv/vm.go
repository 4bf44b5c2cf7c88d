package testenv

import (
	"os"
	"strings"
	"testing"
)

// The VM tier passes the devices it attached to the guest in environment
// variables, as comma-separated device paths or interface names. A package
// asks for devices in its testdata/vm.json (see internal/vmtest).
const (
	envVMDisks = "HOSTADM_VM_DISKS" // blank virtio/SCSI disks: /dev/vdb,...
	envVMSATA  = "HOSTADM_VM_SATA"  // emulated SATA disk: /dev/sda
	envVMNVMe  = "HOSTADM_VM_NVME"  // emulated NVMe namespace: /dev/nvme0n1
	envVMNICs  = "HOSTADM_VM_NICS"  // extra NICs: eth1,...
	envVMEFI   = "HOSTADM_VM_EFI"   // "1" when booted under OVMF
)

func vmList(tb testing.TB, env string, n int) []string {
	tb.Helper()
	RequireVM(tb)
	var out []string
	for _, s := range strings.Split(os.Getenv(env), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) < n {
		tb.Fatalf("test needs %d from %s, the VM has %q: ask for them in testdata/vm.json", n, env, out)
	}
	return out
}

// VMDisks returns the guest's blank disks, failing the test if it has
// fewer than n.
func VMDisks(tb testing.TB, n int) []string { tb.Helper(); return vmList(tb, envVMDisks, n) }

// VMSATADisk returns the guest's emulated SATA disk.
func VMSATADisk(tb testing.TB) string { tb.Helper(); return vmList(tb, envVMSATA, 1)[0] }

// VMNVMeDisk returns the guest's emulated NVMe namespace.
func VMNVMeDisk(tb testing.TB) string { tb.Helper(); return vmList(tb, envVMNVMe, 1)[0] }

// VMNICs returns the guest's extra network interfaces.
func VMNICs(tb testing.TB, n int) []string { tb.Helper(); return vmList(tb, envVMNICs, n) }

// RequireVMEFI fails the test unless the guest booted under OVMF.
func RequireVMEFI(tb testing.TB) {
	tb.Helper()
	RequireVM(tb)
	if os.Getenv(envVMEFI) != "1" {
		tb.Fatal("test needs OVMF: set \"ovmf\": true in testdata/vm.json")
	}
}
