package rootfs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTree(t testing.TB) (*FS, string) {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc/pve/nodes/pve1"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "usr/share/zoneinfo"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "usr/share/zoneinfo/UTC"), []byte("TZif"), 0o644))
	must(os.Symlink("/usr/share/zoneinfo/UTC", filepath.Join(dir, "etc/localtime")))
	must(os.Symlink("nodes/pve1", filepath.Join(dir, "etc/pve/local")))
	must(os.Symlink("../../../../../../..", filepath.Join(dir, "etc/up")))
	must(os.Symlink("/etc/loop2", filepath.Join(dir, "etc/loop1")))
	must(os.Symlink("/etc/loop1", filepath.Join(dir, "etc/loop2")))
	must(os.WriteFile(filepath.Join(dir, "etc/pve/nodes/pve1/config"), []byte("description: x\n"), 0o640))
	f, err := Open(dir)
	must(err)
	t.Cleanup(func() { f.Close() })
	return f, dir
}

func TestResolve(t *testing.T) {
	f, _ := newTree(t)
	tests := []struct {
		name, in, want string
	}{
		{"absolute link stays in root", "/etc/localtime", "usr/share/zoneinfo/UTC"},
		{"relative name", "etc/localtime", "usr/share/zoneinfo/UTC"},
		{"relative directory link", "/etc/pve/local/config", "etc/pve/nodes/pve1/config"},
		{"dotdot clamps at root", "/../../etc/pve/../pve/local", "etc/pve/nodes/pve1"},
		{"link climbing above root", "/etc/up/usr/share", "usr/share"},
		{"missing components kept", "/etc/pve/local/new/file", "etc/pve/nodes/pve1/new/file"},
		{"root", "/", "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Resolve(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if _, err := f.Resolve("/etc/loop1"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("link loop: got %v, want too many links", err)
	}
}

func TestReadFollowsLinksInsideRoot(t *testing.T) {
	f, _ := newTree(t)
	b, err := f.ReadFile("/etc/localtime")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "TZif" {
		t.Errorf("got %q", b)
	}
	_, err = f.ReadFile("/etc/missing")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v, want fs.ErrNotExist", err)
	}
	if err != nil && !strings.Contains(err.Error(), "/etc/missing") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestWriteFileKeepsModeAndLink(t *testing.T) {
	f, dir := newTree(t)
	if err := f.WriteFile("/etc/pve/local/config", []byte("description: y\n"), nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "etc/pve/local"))
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi, err)
	}
	target := filepath.Join(dir, "etc/pve/nodes/pve1/config")
	fi, err = os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(target)
	if string(b) != "description: y\n" {
		t.Errorf("content = %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(target))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteFileNewAndMode(t *testing.T) {
	f, dir := newTree(t)
	if err := f.WriteFile("/etc/new/dir/key", []byte("k"), &WriteOptions{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "etc/new/dir/key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if err := f.WriteFile("/", nil, nil); err == nil {
		t.Error("writing the root directory succeeded")
	}
	if err := f.WriteFile("/etc/pve", nil, nil); err == nil {
		t.Error("writing over a directory succeeded")
	}
}

func TestWriteFileDigest(t *testing.T) {
	f, dir := newTree(t)
	name := "/etc/pve/local/config"
	b, d, err := f.ReadFileDigest(name)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else edits the file.
	os.WriteFile(filepath.Join(dir, "etc/pve/nodes/pve1/config"), []byte("edited\n"), 0o640)
	err = f.WriteFile(name, append(b, "wakeonlan: aa\n"...), &WriteOptions{Expect: &d})
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want *ConflictError", err)
	}
	if ce.Path != name || !ce.Exists || ce.Want != d {
		t.Errorf("conflict = %+v", ce)
	}
	got, _ := f.ReadFile(name)
	if string(got) != "edited\n" {
		t.Errorf("concurrent edit overwritten: %q", got)
	}
	// With the current digest the write goes through.
	_, d2, _ := f.ReadFileDigest(name)
	if err := f.WriteFile(name, []byte("mine\n"), &WriteOptions{Expect: &d2}); err != nil {
		t.Fatal(err)
	}

	// A zero digest means "I saw no file".
	var none Digest
	if err := f.WriteFile("/etc/fresh", []byte("1"), &WriteOptions{Expect: &none}); err != nil {
		t.Fatal(err)
	}
	err = f.WriteFile("/etc/fresh", []byte("2"), &WriteOptions{Expect: &none})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "created") {
		t.Errorf("file created meanwhile: got %v", err)
	}
	// A removed file is a conflict too.
	_, d3, _ := f.ReadFileDigest("/etc/fresh")
	f.Remove("/etc/fresh")
	err = f.WriteFile("/etc/fresh", []byte("3"), &WriteOptions{Expect: &d3})
	if !errors.As(err, &ce) || ce.Exists {
		t.Errorf("file removed meanwhile: got %v", err)
	}
}

func TestEscapeRefused(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A link that would escape is resolved inside the root instead.
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "abs"))
	if _, err := f.ReadFile("/abs"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absolute link read outside root: %v", err)
	}
	if _, err := f.ReadFile("../" + filepath.Base(outside) + "/secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dotdot read outside root: %v", err)
	}
	if err := f.WriteFile("/abs", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(outside, "secret"))
	if string(b) != "s" {
		t.Errorf("write escaped the root: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, outside, "secret")); err != nil {
		t.Errorf("write did not land inside the root: %v", err)
	}
}

func TestLockExcludes(t *testing.T) {
	f, _ := newTree(t)
	ctx := context.Background()
	l1, err := f.Lock(ctx, "/run/lock/test.lck")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f.Lock(short, "/run/lock/test.lck"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: got %v, want deadline exceeded", err)
	}
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		l2, err := f.Lock(ctx, "/run/lock/test.lck")
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		order = append(order, "second")
		mu.Unlock()
		l2.Unlock()
	}()
	time.Sleep(30 * time.Millisecond)
	mu.Lock()
	order = append(order, "first")
	mu.Unlock()
	l1.Unlock()
	wg.Wait()
	if diff := cmp.Diff([]string{"first", "second"}, order); diff != "" {
		t.Errorf("lock order mismatch (-want +got):\n%s", diff)
	}
}

// TestKilledWriter kills a process in the middle of atomic writes and checks
// that the file holds either the old or the new content, never a mix.
func TestKilledWriter(t *testing.T) {
	if os.Getenv("HOSTADM_ROOTFS_WRITER") != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, b := bytes.Repeat([]byte("A"), 4<<20), bytes.Repeat([]byte("B"), 4<<20)
	if err := f.WriteFile("/data", a, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		cmd := exec.Command(exe, "-test.run=^TestWriterChild$")
		cmd.Env = append(os.Environ(), "HOSTADM_ROOTFS_WRITER="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+i*15) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := f.ReadFile("/data")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("round %d: file is neither old nor new (%d bytes, starts %q, ends %q)",
				i, len(got), got[:1], got[len(got)-1:])
		}
	}
}

// TestWriterChild is the child of TestKilledWriter: it rewrites the file
// until it is killed.
func TestWriterChild(t *testing.T) {
	dir := os.Getenv("HOSTADM_ROOTFS_WRITER")
	if dir == "" {
		t.Skip("child process of TestKilledWriter")
	}
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := bytes.Repeat([]byte("A"), 4<<20), bytes.Repeat([]byte("B"), 4<<20)
	for i := 0; ; i++ {
		data := a
		if i%2 == 0 {
			data = b
		}
		if err := f.WriteFile("/data", data, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGlobAndReadDir(t *testing.T) {
	f, _ := newTree(t)
	got, err := f.Glob("/etc/pve/local/*")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/etc/pve/local/config"}, got); diff != "" {
		t.Errorf("Glob mismatch (-want +got):\n%s", diff)
	}
	ents, err := f.ReadDir("/etc/pve/local")
	if err != nil || len(ents) != 1 || ents[0].Name() != "config" {
		t.Errorf("ReadDir = %v, %v", ents, err)
	}
}
