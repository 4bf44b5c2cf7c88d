package zfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/sysctl"
)

// swapRoot is a root with the kernel's vm.swappiness and Debian's sysctl
// files: /etc/sysctl.conf read through the 99-sysctl.conf link.
func swapRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc/sysctl.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sysctl.conf", filepath.Join(dir, "etc/sysctl.d/99-sysctl.conf")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSwappiness(t *testing.T) {
	conf := "# /etc/sysctl.conf - Configuration file for setting system variables\n#kernel.domainname = example.com\n"
	tests := []struct {
		name  string
		files map[string]string
		want  *SwappinessState
	}{
		{"kernel default", map[string]string{"proc/sys/vm/swappiness": "60\n", "etc/sysctl.conf": conf},
			&SwappinessState{Runtime: 60, Boot: 60, Strategy: "The default value."}},
		{"guide's value in sysctl.conf", map[string]string{"proc/sys/vm/swappiness": "10\n", "etc/sysctl.conf": conf + "vm.swappiness = 10\n"},
			&SwappinessState{Runtime: 10, Boot: 10, File: "/etc/sysctl.d/99-sysctl.conf", Line: 3, Strategy: SwappinessTable[2].Strategy}},
		{"value outside the table", map[string]string{"proc/sys/vm/swappiness": "30\n", "etc/sysctl.conf": conf, "etc/sysctl.d/80-swap.conf": "vm/swappiness=30\n"},
			&SwappinessState{Runtime: 30, Boot: 30, File: "/etc/sysctl.d/80-swap.conf", Line: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, swapRoot(t, tt.files))
			got, err := c.Swappiness(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Swappiness mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetSwappiness(t *testing.T) {
	ctx := context.Background()
	conf := "# local settings\nkernel.panic = 10\n"
	root := swapRoot(t, map[string]string{"proc/sys/vm/swappiness": "60\n", "etc/sysctl.conf": conf})
	c, _ := newTestClient(t, root)
	ch, err := c.SetSwappiness(ctx, SwappinessSettings{Value: RecommendedSwappiness, Runtime: true, Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&SwappinessChange{Runtime: true, Persisted: true, File: SwappinessFile}, ch); diff != "" {
		t.Errorf("change mismatch (-want +got):\n%s", diff)
	}
	for file, want := range map[string]string{"proc/sys/vm/swappiness": "10\n", "etc/sysctl.conf": conf + "vm.swappiness = 10\n"} {
		if got, _ := os.ReadFile(filepath.Join(root, file)); string(got) != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// A second change edits the line in place.
	if _, err := c.SetSwappiness(ctx, SwappinessSettings{Value: 1, Persistent: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "etc/sysctl.conf")); string(got) != conf+"vm.swappiness = 1\n" {
		t.Errorf("sysctl.conf after the second change: %q", got)
	}
	st, err := c.Swappiness(ctx)
	if err != nil || st.Runtime != 10 || st.Boot != 1 {
		t.Errorf("state %+v, %v", st, err)
	}

	// A later file overrides the one written.
	os.WriteFile(filepath.Join(root, "etc/sysctl.d/zz-tuning.conf"), []byte("vm.swappiness = 60\n"), 0o644)
	ch, err = c.SetSwappiness(ctx, SwappinessSettings{Value: 10, Persistent: true})
	if err != nil || ch.OverriddenBy != "/etc/sysctl.d/zz-tuning.conf:1" {
		t.Errorf("override: %+v, %v", ch, err)
	}
}

func TestSetSwappinessRefused(t *testing.T) {
	ctx := context.Background()
	root := swapRoot(t, map[string]string{"proc/sys/vm/swappiness": "60\n", "etc/sysctl.conf": ""})
	c, _ := newTestClient(t, root)
	for _, s := range []SwappinessSettings{{Value: -1, Runtime: true}, {Value: 201, Persistent: true}, {Value: 10}} {
		if _, err := c.SetSwappiness(ctx, s); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetSwappiness(%+v) = %v, want ErrInvalid", s, err)
		}
	}
	// sysctl.conf without Debian's link is not read at boot: written,
	// and reported.
	os.Remove(filepath.Join(root, "etc/sysctl.d/99-sysctl.conf"))
	ch, err := c.SetSwappiness(ctx, SwappinessSettings{Value: 10, Persistent: true})
	if !errors.Is(err, sysctl.ErrNotApplied) || !ch.Persisted {
		t.Errorf("without the link: %+v, %v", ch, err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "etc/sysctl.conf")); string(got) != "vm.swappiness = 10\n" {
		t.Errorf("sysctl.conf: %q", got)
	}
}

func TestSwappinessStrategy(t *testing.T) {
	for v, want := range map[int]string{0: SwappinessTable[0].Strategy, 100: "The kernel will swap aggressively.", 30: ""} {
		if got := SwappinessStrategy(v); got != want {
			t.Errorf("SwappinessStrategy(%d) = %q, want %q", v, got, want)
		}
	}
}
