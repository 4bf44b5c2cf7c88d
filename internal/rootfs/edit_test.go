package rootfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEdit(t *testing.T) {
	errRefused := errors.New("refused")
	tests := []struct {
		name    string
		file    string // edited file below the tree of newTree
		opt     *EditOptions
		fn      func(old []byte, exists bool) ([]byte, error)
		wantErr error
		want    string // content afterwards; "-" for no file
		perm    fs.FileMode
		lock    string // lock file expected to exist afterwards
	}{
		{
			name: "change keeps mode",
			file: "/etc/pve/local/config",
			fn:   func(old []byte, _ bool) ([]byte, error) { return append(old, "wakeonlan: aa\n"...), nil },
			want: "description: x\nwakeonlan: aa\n", perm: 0o640,
			lock: "/run/lock/hostadm/config.lock",
		},
		{
			name: "new file with perm and own lock",
			file: "/etc/new.conf",
			opt:  &EditOptions{Lock: "/run/lock/own.lck", Perm: 0o600},
			fn: func(old []byte, exists bool) ([]byte, error) {
				if old != nil || exists {
					return nil, fmt.Errorf("missing file read as %q, exists %v", old, exists)
				}
				return []byte("x = 1\n"), nil
			},
			want: "x = 1\n", perm: 0o600, lock: "/run/lock/own.lck",
		},
		{
			name: "mode applied to an existing file",
			file: "/etc/pve/local/config",
			opt:  &EditOptions{Mode: 0o600},
			fn:   func(old []byte, _ bool) ([]byte, error) { return []byte("description: y\n"), nil },
			want: "description: y\n", perm: 0o600,
		},
		{
			name:    "failing fn writes nothing",
			file:    "/etc/pve/local/config",
			fn:      func(old []byte, _ bool) ([]byte, error) { return []byte("lost\n"), errRefused },
			wantErr: errRefused,
			want:    "description: x\n", perm: 0o640,
		},
		{
			name: "empty content for a missing file creates nothing",
			file: "/etc/absent",
			fn:   func(old []byte, _ bool) ([]byte, error) { return []byte{}, nil },
			want: "-",
		},
		{
			name: "empty content empties an existing file",
			file: "/etc/pve/local/config",
			fn:   func(old []byte, _ bool) ([]byte, error) { return nil, nil },
			want: "", perm: 0o640,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, dir := newTree(t)
			err := f.Edit(context.Background(), tt.file, tt.opt, tt.fn)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Edit: got %v, want %v", err, tt.wantErr)
			}
			got, err := f.ReadFile(tt.file)
			switch {
			case tt.want == "-" && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("file exists (%q, %v), want none", got, err)
			case tt.want != "-" && err != nil:
				t.Fatal(err)
			case tt.want != "-":
				if diff := cmp.Diff(tt.want, string(got)); diff != "" {
					t.Errorf("content mismatch (-want +got):\n%s", diff)
				}
				fi, err := f.Stat(tt.file)
				if err != nil || fi.Mode().Perm() != tt.perm {
					t.Errorf("mode = %v (%v), want %v", fi.Mode().Perm(), err, tt.perm)
				}
			}
			if tt.lock != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.lock)); err != nil {
					t.Errorf("lock file: %v", err)
				}
			}
		})
	}
}

// TestEditUnchanged checks the fast path: content returned as read leaves
// the file itself alone, not only its bytes.
func TestEditUnchanged(t *testing.T) {
	f, dir := newTree(t)
	host := filepath.Join(dir, "etc/pve/nodes/pve1/config")
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(host, past, past); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(host)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = f.Edit(context.Background(), "/etc/pve/local/config", nil, func(old []byte, exists bool) ([]byte, error) {
		calls++
		if !exists || string(old) != "description: x\n" {
			t.Errorf("fn got %q, exists %v", old, exists)
		}
		return []byte(string(old)), nil // equal content in another slice
	})
	if err != nil || calls != 1 {
		t.Fatalf("Edit: %v after %d calls of fn", err, calls)
	}
	after, err := os.Stat(host)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(past) {
		t.Errorf("file rewritten: same file %v, mtime %v, want %v", os.SameFile(before, after), after.ModTime(), past)
	}
}

// TestEditConflict has fn stand in for a writer that does not take the
// lock: its change must survive and the edit fail with ErrConflict.
func TestEditConflict(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		other string // what the other writer leaves; "-" removes the file
	}{
		{"file edited meanwhile", "/etc/pve/local/config", "description: theirs\n"},
		{"file created meanwhile", "/etc/absent", "theirs\n"},
		{"file removed meanwhile", "/etc/pve/local/config", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, dir := newTree(t)
			host, err := f.Resolve(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			host = filepath.Join(dir, host)
			err = f.Edit(context.Background(), tt.file, nil, func(old []byte, _ bool) ([]byte, error) {
				if tt.other == "-" {
					os.Remove(host)
				} else if err := os.WriteFile(host, []byte(tt.other), 0o644); err != nil {
					t.Fatal(err)
				}
				return append(old, "mine\n"...), nil
			})
			var ce *ConflictError
			if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) {
				t.Fatalf("Edit: got %v, want a *ConflictError", err)
			}
			got, err := os.ReadFile(host)
			if tt.other == "-" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("removed file came back: %q", got)
				}
				return
			}
			if string(got) != tt.other {
				t.Errorf("other writer's content overwritten: %q", got)
			}
		})
	}
}

// TestEditSerialises runs concurrent edits that each append a line: with
// the lock held around each cycle, none is lost and none conflicts.
func TestEditSerialises(t *testing.T) {
	f, _ := newTree(t)
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.Edit(context.Background(), "/etc/counter", nil, func(old []byte, _ bool) ([]byte, error) {
				return fmt.Appendf(old, "%d\n", i), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := f.ReadFile("/etc/counter")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(got), "\n"); lines != n {
		t.Errorf("%d lines after %d edits:\n%s", lines, n, got)
	}
}

func TestEditLockWait(t *testing.T) {
	f, _ := newTree(t)
	lk, err := f.Lock(context.Background(), "/run/lock/hostadm/config.lock")
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = f.Edit(ctx, "/etc/pve/local/config", nil, func(old []byte, _ bool) ([]byte, error) {
		t.Error("fn called without the lock")
		return old, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Edit with the lock held elsewhere: got %v, want deadline exceeded", err)
	}
}

// lines is a parsed file whose parser drops trailing blanks of lines, so
// that formatting does not give every file's bytes back.
type lines []string

func parseLines(name string, data []byte) (*lines, error) {
	var l lines
	for s := range strings.Lines(string(data)) {
		if strings.HasPrefix(s, "!") {
			return nil, fmt.Errorf("%s: bad line %q", name, s)
		}
		l = append(l, strings.TrimRight(s, " \t\n"))
	}
	return &l, nil
}

func (l *lines) Format() []byte {
	var b []byte
	for _, s := range *l {
		b = append(b, s+"\n"...)
	}
	return b
}

func TestEditParsed(t *testing.T) {
	const orig = "a  \nb\n"
	tests := []struct {
		name    string
		content string
		fn      func(*lines) error
		want    string
		wantErr string
	}{
		{"no change keeps bytes the parser would not", orig, func(*lines) error { return nil }, orig, ""},
		{"change and back keeps bytes", orig, func(l *lines) error { *l = append(*l, "c"); *l = (*l)[:2]; return nil }, orig, ""},
		{"change writes the formatted value", orig, func(l *lines) error { *l = append(*l, "c"); return nil }, "a\nb\nc\n", ""},
		{"parse error", "!\n", func(*lines) error { t.Error("fn called after a parse error"); return nil }, "!\n", "/etc/l: bad line"},
		{"fn error", orig, func(l *lines) error { *l = nil; return errors.New("no") }, orig, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newTree(t)
			if err := f.WriteFile("/etc/l", []byte(tt.content), nil); err != nil {
				t.Fatal(err)
			}
			err := EditParsed(context.Background(), f, "/etc/l", nil, parseLines, tt.fn)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("EditParsed: got %v, want %q", err, tt.wantErr)
			}
			got, _ := f.ReadFile("/etc/l")
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("content mismatch (-want +got):\n%s", diff)
			}
		})
	}

	// A missing file is parsed from nil and created only by a change.
	f, _ := newTree(t)
	if err := EditParsed(context.Background(), f, "/etc/new", nil, parseLines, func(*lines) error { return nil }); err != nil || f.Exists("/etc/new") {
		t.Errorf("no-op edit of a missing file: %v, exists %v", err, f.Exists("/etc/new"))
	}
	if err := EditParsed(context.Background(), f, "/etc/new", nil, parseLines, func(l *lines) error { *l = append(*l, "x"); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ReadFile("/etc/new"); string(got) != "x\n" {
		t.Errorf("new file = %q", got)
	}
}
