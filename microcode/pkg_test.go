package microcode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/apt"
)

// fakeAPT is a stateful package manager: installs change the installed
// version, holds stick, enabling non-free-firmware makes the lists carry
// the package.
type fakeAPT struct {
	installed map[string]string
	held      map[string]bool
	nonFree   bool
	updated   bool
	versions  []string // newest first, once non-free-firmware is on and updated
	calls     []string
}

func (f *fakeAPT) InstalledVersion(name string) (string, error) {
	if v, ok := f.installed[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%s: %w", name, apt.ErrNotInstalled)
}
func (f *fakeAPT) Held(name string) (bool, error)        { return f.held[name], nil }
func (f *fakeAPT) NonFreeFirmwareEnabled() (bool, error) { return f.nonFree, nil }
func (f *fakeAPT) EnableNonFreeFirmware(context.Context) ([]string, error) {
	f.calls = append(f.calls, "enable-non-free-firmware")
	if f.nonFree {
		return nil, nil
	}
	f.nonFree = true
	return []string{"/etc/apt/sources.list"}, nil
}
func (f *fakeAPT) Update(context.Context, apt.ProgressFunc) error {
	f.calls = append(f.calls, "update")
	f.updated = f.nonFree
	return nil
}
func (f *fakeAPT) Install(_ context.Context, name, version string, opt *apt.InstallOptions) error {
	f.calls = append(f.calls, fmt.Sprintf("install %s=%s downgrade=%v held=%v", name, version, opt.AllowDowngrade, opt.AllowHeld))
	if !f.updated {
		return errors.New("E: Package 'intel-microcode' has no installation candidate")
	}
	if version == "" {
		version = f.versions[0]
	}
	if !slices.Contains(f.versions, version) {
		return fmt.Errorf("E: Version '%s' for '%s' was not found", version, name)
	}
	if old, ok := f.installed[name]; ok && !opt.AllowDowngrade {
		if n, _ := apt.CompareVersions(version, old); n < 0 {
			return errors.New("E: downgrade refused")
		}
	}
	f.installed[name] = version
	return nil
}
func (f *fakeAPT) Hold(_ context.Context, names ...string) error {
	for _, n := range names {
		f.calls = append(f.calls, "hold "+n)
		f.held[n] = true
	}
	return nil
}
func (f *fakeAPT) Versions(name string) ([]apt.PackageVersion, error) {
	var out []apt.PackageVersion
	if !f.updated {
		return nil, nil
	}
	for i, v := range f.versions {
		out = append(out, apt.PackageVersion{Name: name, Version: v, Candidate: i == 0, Installed: f.installed[name] == v})
	}
	return out, nil
}

func TestSetupAndDowngrade(t *testing.T) {
	c := newClient(t, fixture)
	fake := &fakeAPT{installed: map[string]string{}, held: map[string]bool{},
		versions: []string{"3.20240910.1~deb12u1", "3.20230808.1~deb12u1", "3.20230512.1"}}
	c.pm = fake
	ctx := context.Background()

	st, err := c.Package(Intel)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&PackageState{Name: "intel-microcode"}, st); diff != "" {
		t.Errorf("before setup (-want +got):\n%s", diff)
	}
	res, err := c.Setup(ctx, Intel, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &SetupResult{Package: "intel-microcode", SourcesChanged: []string{"/etc/apt/sources.list"}, Version: "3.20240910.1~deb12u1", RebootNeeded: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Setup (-want +got):\n%s", diff)
	}
	// The admin guide's downgrade: apt install intel-microcode=3.202305*, then hold.
	got, err := c.Downgrade(ctx, Intel, "3.202305*", true, nil)
	if err != nil || got != "3.20230512.1" {
		t.Fatalf("Downgrade = %q, %v", got, err)
	}
	st, err = c.Package(Intel)
	if err != nil {
		t.Fatal(err)
	}
	want2 := &PackageState{Name: "intel-microcode", Installed: true, Version: "3.20230512.1", Held: true, NonFreeFirmware: true}
	if diff := cmp.Diff(want2, st); diff != "" {
		t.Errorf("after downgrade (-want +got):\n%s", diff)
	}
	if cand, err := c.Candidate(Intel); err != nil || cand != "3.20240910.1~deb12u1" {
		t.Errorf("Candidate = %q, %v", cand, err)
	}
	wantCalls := []string{"enable-non-free-firmware", "update", "install intel-microcode= downgrade=false held=false",
		"install intel-microcode=3.20230512.1 downgrade=true held=true", "hold intel-microcode"}
	if diff := cmp.Diff(wantCalls, fake.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if _, err := c.Downgrade(ctx, Intel, "2.0", false, nil); err == nil || !strings.Contains(err.Error(), "3.20230512.1") {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := c.Setup(ctx, "CentaurHauls", nil); !errors.Is(err, ErrNoPackage) {
		t.Errorf("other vendor: %v", err)
	}
}

// TestPackageFixture reads the fixture's dpkg status through apt.
func TestPackageFixture(t *testing.T) {
	st, err := newClient(t, fixture).Package(Intel)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Installed || st.Version == "" || st.Name != "intel-microcode" {
		t.Errorf("fixture package = %+v", st)
	}
}
