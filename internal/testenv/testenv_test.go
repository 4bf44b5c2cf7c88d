package testenv

import (
	"os"
	"testing"
)

func TestSkipFailsUnderCI(t *testing.T) {
	t.Setenv("CI", "true")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Skip(ft, "missing %s", "tool")
	}()
	if !ft.fataled || ft.skipped {
		t.Errorf("under CI: fataled=%v skipped=%v, want a failure", ft.fataled, ft.skipped)
	}
	t.Setenv("CI", "")
	ft = &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Skip(ft, "missing tool")
	}()
	if ft.fataled || !ft.skipped {
		t.Errorf("outside CI: fataled=%v skipped=%v, want a skip", ft.fataled, ft.skipped)
	}
}

type fakeTB struct {
	testing.TB
	fataled, skipped bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.fataled = true; panic("fatal") }
func (f *fakeTB) Skip(...any)           { f.skipped = true; panic("skip") }

func TestRequireTool(t *testing.T) {
	RequireTool(t, "sh")
	if os.Getenv("HOSTADM_VM") == "" && InVM() {
		t.Error("InVM without HOSTADM_VM")
	}
}
