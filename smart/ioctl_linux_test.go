package smart

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/hostadm/hostadm/internal/testenv"
)

// TestStructLayouts checks the Go mirrors of the kernel's ioctl structures
// against the uapi headers, compiled with the system's C compiler.
func TestStructLayouts(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		if got := unsafe.Sizeof(sgIOHdr{}); got != sgIOHdrSize {
			t.Errorf("sizeof(sg_io_hdr) = %d, want %d", got, sgIOHdrSize)
		}
	}
	if got := unsafe.Sizeof(nvmeAdminCmd{}); got != nvmeAdminCmdSize {
		t.Errorf("sizeof(nvme_admin_cmd) = %d, want %d", got, nvmeAdminCmdSize)
	}
	if testenv.InVM() {
		return // the guest has no C compiler; the host tiers compile against the headers
	}
	testenv.RequireTool(t, "cc")
	testenv.RequireFile(t, "/usr/include/scsi/sg.h")
	testenv.RequireFile(t, "/usr/include/linux/nvme_ioctl.h")
	dir := t.TempDir()
	src := `#include <stdio.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <scsi/sg.h>
#include <linux/nvme_ioctl.h>
int main(void) {
	printf("%zu %zu %zu %zu %zu %zu %zu\n", sizeof(struct sg_io_hdr), offsetof(struct sg_io_hdr, dxferp),
		offsetof(struct sg_io_hdr, usr_ptr), offsetof(struct sg_io_hdr, status), offsetof(struct sg_io_hdr, info),
		sizeof(struct nvme_admin_cmd), offsetof(struct nvme_admin_cmd, addr));
	printf("%lu %lu\n", (unsigned long)SG_IO, (unsigned long)NVME_IOCTL_ADMIN_CMD);
	return 0;
}
`
	if err := os.WriteFile(filepath.Join(dir, "l.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "l")
	if out, err := exec.Command("cc", "-o", bin, filepath.Join(dir, "l.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, f := range strings.Fields(string(out)) {
		n, _ := strconv.ParseUint(f, 10, 64)
		got = append(got, n)
	}
	var h sgIOHdr
	var n nvmeAdminCmd
	want := []uint64{
		uint64(unsafe.Sizeof(h)), uint64(unsafe.Offsetof(h.Dxferp)), uint64(unsafe.Offsetof(h.UsrPtr)),
		uint64(unsafe.Offsetof(h.Status)), uint64(unsafe.Offsetof(h.Info)),
		uint64(unsafe.Sizeof(n)), uint64(unsafe.Offsetof(n.Addr)), sgIO, nvmeIoctlAdminCmd,
	}
	if len(got) != len(want) {
		t.Fatalf("C program printed %q", out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: C says %d, Go %d", i, got[i], want[i])
		}
	}
}
