package apt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"8.2.4", "8.2.10", -1},
		{"1.0-1", "1.0", 1},
		{"1.0", "1.0-0", 0},    // an empty revision equals "0"
		{"0:1.0", "1.0", 0},    // epoch 0 is the default
		{"1:0.1", "9.9", 1},    // epoch wins
		{"1.0~rc1", "1.0", -1}, // tilde sorts before the end
		{"1.0~~", "1.0~", -1},  // and before another tilde
		{"1.0~", "1.0~a", -1},  // the end before a letter
		{"1.0a", "1.0+", -1},   // letters before other characters
		{"1.0+", "1.0.", -1},   // "+" (43) before "." (46)
		{"1.0-1", "1.0-1+b1", -1},
		{"3.20230808.1~deb12u1", "3.20230512.1", 1},
		{"1.001", "1.1", 0},                            // leading zeros do not count
		{"1.00000000000000000000000000001", "1.2", -1}, // digits without a length limit
		{"2.30-1ubuntu1", "2.30-1", 1},
		{"1.2-3-4", "1.2-3", 1}, // revision after the last hyphen
		{"  1.0  ", "1.0", 0},   // surrounding blanks are ignored
		{"1:2:3", "1:2:3", 0},   // colons in upstream after an epoch
		{"\n1:2", "1:2", 0},     // strtol skips leading white space in the epoch
		{"-0:1", "1", 0},        // ...and takes a sign
		{"+2:1", "1:9", 1},
		{"2147483647:1", "1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			got, err := CompareVersions(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			rev, _ := CompareVersions(tt.b, tt.a)
			if rev != -tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, rev, -tt.want)
			}
		})
	}
}

func TestInvalidVersions(t *testing.T) {
	tests := []struct {
		v, reason string
	}{
		{"", "version string is empty"},
		{"  ", "version string is empty"},
		{"1.0 2", "version string has embedded spaces"},
		{":1.0", "epoch in version is empty"},
		{"a:1.0", "epoch in version is empty"},
		{"1a:1.0", "epoch in version is not number"},
		{"-1:1.0", "epoch in version is negative"},
		{"2147483648:1", "epoch in version is too big"},
		{"99999999999999999999:1", "epoch in version is too big"},
		{"1:", "nothing after colon in version number"},
		{"1.0-", "revision number is empty"},
		{"-1", "version number is empty"},
		{"1:-1", "version number is empty"},
		{"a1.0", "version number does not start with digit"},
		{"~1", "version number does not start with digit"},
		{"1.0_1", "invalid character in version number"},
		{"1.0\x00", "invalid character in version number"},
		{"1.0é", "invalid character in version number"},
		{"1:1.0-1:2", "invalid character in revision number"},
		{"1.0-1_2", "invalid character in revision number"},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			_, err := ParseVersion(tt.v)
			var ve *VersionError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidVersion) {
				t.Fatalf("ParseVersion(%q) = %v, want a *VersionError", tt.v, err)
			}
			if ve.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", ve.Reason, tt.reason)
			}
			if _, err := CompareVersions("1", tt.v); !errors.Is(err, ErrInvalidVersion) {
				t.Errorf("CompareVersions accepted %q", tt.v)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		str  string
	}{
		{"1.0", Version{Upstream: "1.0"}, "1.0"},
		{"1:2.3-4", Version{Epoch: 1, Upstream: "2.3", Revision: "4"}, "1:2.3-4"},
		{"0:2.3-a-b", Version{Upstream: "2.3-a", Revision: "b"}, "2.3-a-b"},
		{" 3.20230808.1~deb12u1 ", Version{Upstream: "3.20230808.1~deb12u1"}, "3.20230808.1~deb12u1"},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseVersion(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		if got.String() != tt.str {
			t.Errorf("String() = %q, want %q", got.String(), tt.str)
		}
	}
}

func TestCompareVersionsAllocs(t *testing.T) {
	pairs := [][2]string{
		{"1:2.36.1-8+deb12u1", "1:2.36.1-8+deb12u2"},
		{"3.20230808.1~deb12u1", "3.20230512.1"},
		{"8.2.4", "8.2.10"},
	}
	allocs := testing.AllocsPerRun(1000, func() {
		for _, p := range pairs {
			if _, err := CompareVersions(p[0], p[1]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("CompareVersions allocates %.1f times per run, want 0", allocs)
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][2]string{
		{"1.0", "1.0-1"}, {"1:2.3~rc1-4", "2.3"}, {"a", "1"}, {"1.0~", "1.0"},
		{"3.20230808.1~deb12u1", "3.20230512.1"}, {"-0:1", "\n1:1"}, {"", " "},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := CompareVersions(a, b)
		ba, errB := CompareVersions(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("validity depends on the order: %v / %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("Compare(%q,%q)=%d but Compare(%q,%q)=%d", a, b, ab, b, a, ba)
		}
		// Round trip: a parsed version formats to a string that parses
		// to an equal version.
		va := MustParseVersion(a)
		again, err := ParseVersion(va.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", a, va.String(), err)
		}
		if va.Compare(again) != 0 {
			t.Fatalf("%q -> %q compares unequal", a, va.String())
		}
		if aa, _ := CompareVersions(a, a); aa != 0 {
			t.Fatalf("%q is not equal to itself", a)
		}
	})
}
