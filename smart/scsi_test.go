package smart

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// SCSI responses of a SAS SSD, built to SPC-4/SBC-3 to match
// testdata/smartctl-sas-ssd.json.
func sasInquiry() []byte {
	b := make([]byte, 96)
	b[0], b[2], b[3], b[4] = 0x00, 0x06, 0x12, 91
	copy(b[8:16], "HGST    ")
	copy(b[16:32], "HUSMM3240ASS204 ")
	copy(b[32:36], "C342")
	return b
}

func sasSerial() []byte {
	return append([]byte{0x00, vpdUnitSerial, 0x00, 0x14}, []byte("            0LY1K2AB")...)
}

func sasCapacity() []byte {
	b := make([]byte, 32)
	binary.BigEndian.PutUint64(b, 781422768-1)
	binary.BigEndian.PutUint32(b[8:], 512)
	b[13] = 3 // 8 logical blocks per physical block
	return b
}

// modeIEC returns MODE SENSE(6) data with the IEC page; dexcpt disables
// informational exceptions.
func modeIEC(dexcpt bool) []byte {
	b := []byte{3 + 12, 0, 0, 0, modePageIEC, 10, 0x10, 0x04, 0, 0, 0, 0, 0, 0, 0, 1}
	if dexcpt {
		b[6] |= 0x08
	}
	return b
}

func logPage(page uint8, params ...[]byte) []byte {
	var body []byte
	for _, p := range params {
		body = append(body, p...)
	}
	h := []byte{page, 0, 0, 0}
	binary.BigEndian.PutUint16(h[2:], uint16(len(body)))
	return append(h, body...)
}

func param(code uint16, value ...byte) []byte {
	return append([]byte{byte(code >> 8), byte(code), 0x03, byte(len(value))}, value...)
}

func TestSCSIDecodeMatchesSmartctl(t *testing.T) {
	id, err := ParseInquiry(sasInquiry())
	if err != nil {
		t.Fatal(err)
	}
	if id.Serial, err = ParseUnitSerial(sasSerial()); err != nil {
		t.Fatal(err)
	}
	if id.Blocks, id.BlockSize, id.PhysicalBlockSize, err = ParseReadCapacity16(sasCapacity()); err != nil {
		t.Fatal(err)
	}
	h := &SCSIHealth{Temperature: 255, PercentUsed: -1}
	if h.IECEnabled, err = ParseIECModePage(modeIEC(false), false); err != nil {
		t.Fatal(err)
	}
	h.IECAvailable = true
	pages, err := ParseSupportedLogPages(logPage(0, []byte{0x00, 0x0d, 0x11, 0x2f}))
	if err != nil || !cmp.Equal(pages, []uint8{0, 0x0d, 0x11, 0x2f}) {
		t.Fatalf("supported pages %v, %v", pages, err)
	}
	_, params, err := ParseLogPage(logPage(logPageTemperature, param(0, 0, 34), param(1, 0, 70)))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := logParam(params, 0)
	h.Temperature = v[1]
	_, params, _ = ParseLogPage(logPage(logPageSSD, param(1, 0, 0, 0, 3)))
	v, _ = logParam(params, 1)
	h.PercentUsed = int(v[3])
	native := scsiReport("/dev/sdc", id, h)

	sc, _, err := ParseSmartctlJSON(readTestdata(t, "smartctl-sas-ssd.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc.PowerOnHours = nil // smartctl reads it from the background scan page, which this reader does not
	mustCompare(t, native, sc)
	if native.PhysicalBlockSize != 4096 || native.Wearout == nil || *native.Wearout != 97 {
		t.Errorf("native = %+v", native)
	}
}

func TestSCSIHealth(t *testing.T) {
	for _, tc := range []struct {
		h    SCSIHealth
		want Health
	}{
		{SCSIHealth{IECAvailable: true}, Passed},
		{SCSIHealth{IECAvailable: true, ASC: 0x5d, ASCQ: 0x10}, Failed}, // failure prediction threshold exceeded
		{SCSIHealth{ASC: 0x0b, ASCQ: 0x01}, Failed},                     // warning: specified temperature exceeded
		{SCSIHealth{}, Unknown},                                         // QEMU's scsi-hd: no IEC page
	} {
		if got := tc.h.Health(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.h, got, tc.want)
		}
	}
	if en, err := ParseIECModePage(modeIEC(true), false); err != nil || en {
		t.Errorf("DEXCPT set: enabled %v, %v", en, err)
	}
	ten := append([]byte{0, 14, 0, 0, 0, 0, 0, 0}, modeIEC(false)[4:]...)
	if en, err := ParseIECModePage(ten, true); err != nil || !en {
		t.Errorf("MODE SENSE(10): enabled %v, %v", en, err)
	}
	for _, bad := range [][]byte{nil, {0, 0, 0, 0}, {3, 0, 0, 0, 0x08, 10, 0}} {
		if _, err := ParseIECModePage(bad, false); !errors.Is(err, ErrShortBuffer) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestSCSICDBs(t *testing.T) {
	for _, tc := range []struct {
		got, want []byte
	}{
		{inquiryCDB(true, vpdUnitSerial, 252), []byte{0x12, 1, 0x80, 0, 252, 0}},
		{logSenseCDB(logPageIE, 252), []byte{0x4d, 0, 0x6f, 0, 0, 0, 0, 0, 252, 0}},
		{modeSense6CDB(modePageIEC, 252), []byte{0x1a, 0x08, 0x1c, 0, 252, 0}},
		{readCapacity16CDB()[:2], []byte{0x9e, 0x10}},
	} {
		if !cmp.Equal(tc.got, tc.want) {
			t.Errorf("CDB % x, want % x", tc.got, tc.want)
		}
	}
}

func FuzzParseSCSI(f *testing.F) {
	f.Add(sasInquiry(), sasCapacity(), logPage(logPageIE, param(0, 0x5d, 0x10, 40)), modeIEC(false))
	f.Fuzz(func(t *testing.T, inq, rc, lp, mode []byte) {
		if id, err := ParseInquiry(inq); err == nil && len(id.Vendor) > 8 {
			t.Fatalf("vendor %q", id.Vendor)
		}
		ParseUnitSerial(inq)
		if _, lb, pb, err := ParseReadCapacity16(rc); err == nil && lb != 0 && pb < lb {
			t.Fatalf("physical %d < logical %d", pb, lb)
		}
		ParseReadCapacity10(rc)
		if _, params, err := ParseLogPage(lp); err == nil {
			for _, p := range params {
				if len(p.Value) > len(lp) {
					t.Fatal("parameter longer than the page")
				}
			}
		}
		ParseSupportedLogPages(lp)
		ParseIECModePage(mode, false)
		ParseIECModePage(mode, true)
	})
}
