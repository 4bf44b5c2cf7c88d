package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cpioEntry is one entry of a newc archive, as readNewc decodes it.
type cpioEntry struct {
	Name       string
	Mode       uint32
	Data       string
	Major, Min uint32
}

// readNewc decodes a newc archive the way the kernel's initramfs
// unpacker does, checking the magic and the 4-byte alignment.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	field := func(h []byte, i int) uint32 {
		v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("bad header field %d: %v", i, err)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("offset %d: no newc header", off)
		}
		h := b[off : off+110]
		size, nameSize := int(field(h, 6)), int(field(h, 11))
		name := string(b[off+110 : off+110+nameSize-1])
		if b[off+110+nameSize-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		data := align(off + 110 + nameSize)
		if name == "TRAILER!!!" {
			if end := align(data + size); end != len(b) {
				t.Fatalf("trailer ends at %d, archive at %d", end, len(b))
			}
			return out
		}
		out = append(out, cpioEntry{Name: name, Mode: field(h, 1), Data: string(b[data : data+size]), Major: field(h, 9), Min: field(h, 10)})
		off = align(data + size)
	}
}

func TestCPIOWriter(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/tool"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("usr/bin", filepath.Join(dir, "bin")))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/suid"), []byte("x"), 0o755))
	must(os.Chmod(filepath.Join(dir, "usr/bin/suid"), 0o755|os.ModeSetuid))

	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	c.CharDev("dev/console", 0o600, 5, 1)
	c.Bytes("/hostadm/job.json", 0o644, []byte(`{"tests":[]}`))
	must(c.Tree(dir, "root"))
	c.Dir("hostadm", 0o755) // already there: no second entry
	must(c.Close())

	got := readNewc(t, buf.Bytes())
	want := []cpioEntry{
		{Name: "dev", Mode: 0o40755},
		{Name: "dev/console", Mode: 0o20600, Major: 5, Min: 1},
		{Name: "hostadm", Mode: 0o40755},
		{Name: "hostadm/job.json", Mode: 0o100644, Data: `{"tests":[]}`},
		{Name: "root", Mode: 0o40700},
		{Name: "root/bin", Mode: 0o120777, Data: "usr/bin"},
		{Name: "root/usr", Mode: 0o40755},
		{Name: "root/usr/bin", Mode: 0o40755},
		{Name: "root/usr/bin/suid", Mode: 0o104755, Data: "x"},
		{Name: "root/usr/bin/tool", Mode: 0o100755, Data: "#!/bin/sh\n"},
	}
	// The temporary directory's own mode depends on the umask.
	for i := range got {
		if got[i].Name == "root" {
			got[i].Mode = 0o40700
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive mismatch (-want +got):\n%s", diff)
	}
}

func TestCPIOWriterLargeName(t *testing.T) {
	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("d/%s%d", string(bytes.Repeat([]byte("n"), i)), i)
		c.Bytes(name, 0o644, bytes.Repeat([]byte("x"), i))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readNewc(t, buf.Bytes())); n != 6 {
		t.Errorf("%d entries, want 6", n)
	}
}
