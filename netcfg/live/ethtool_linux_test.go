package live

import (
	"testing"
	"unsafe"
)

// TestIoctlLayouts checks the ioctl structures against the kernel's sizes
// (struct ifreq is 40 bytes on 64-bit systems, 32 on 32-bit ones; struct
// ethtool_wolinfo is 20).
func TestIoctlLayouts(t *testing.T) {
	want := uintptr(40)
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 32
	}
	if got := unsafe.Sizeof(ifreqData{}); got != want {
		t.Errorf("sizeof(ifreq) = %d, want %d", got, want)
	}
	if got := unsafe.Sizeof(ethtoolWolinfo{}); got != 20 {
		t.Errorf("sizeof(ethtool_wolinfo) = %d, want 20", got)
	}
}

func TestWoLModes(t *testing.T) {
	for _, s := range []string{"d", "g", "pumbg", "pumbagsf"} {
		m, err := ParseWoLModes(s)
		if err != nil {
			t.Fatal(err)
		}
		if m.String() != s {
			t.Errorf("%q round trips to %q", s, m)
		}
	}
	if m, _ := ParseWoLModes("g"); m != WoLMagic {
		t.Errorf("g = %v", m)
	}
	for _, bad := range []string{"", "x", "gd"} {
		if _, err := ParseWoLModes(bad); err == nil {
			t.Errorf("ParseWoLModes(%q) accepted", bad)
		}
	}
}
