package zfs

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/runner/runnertest"
)

func newTestClient(t *testing.T, root string) (*Client, *runnertest.Fake) {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := runnertest.New(t)
	c.run = f
	return c, f
}

func TestCLIPoolsAndStatus(t *testing.T) {
	c, f := newTestClient(t, "")
	f.Expect(PoolListArgs()...).Stdout(string(readTestdata(t, "list/zpool-list.txt")))
	pools, err := c.Pools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "list/zpool-list.golden", pools)

	f.Expect("zpool", "status", "-pv", "rpool").Stdout(string(readTestdata(t, "status/resilver.txt")))
	st, err := c.Status(context.Background(), "rpool")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateDegraded || st.Scan.Function != "resilver" {
		t.Errorf("status %s scan %+v", st.State, st.Scan)
	}
}

func TestCLIDatasets(t *testing.T) {
	c, f := newTestClient(t, "")
	opts := &ListOptions{Root: "rpool", Recursive: true, Types: []DatasetType{Snapshot}, Properties: []string{"creation", "written"}}
	f.Expect("zfs", "list", "-Hp", "-o", "name,type,used,available,referenced,mountpoint,creation,written", "-t", "snapshot", "-r", "rpool").
		Stdout(string(readTestdata(t, "list/zfs-list-snapshots.txt")))
	ds, err := c.Datasets(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "list/zfs-list-snapshots.golden", ds)
}

func TestCLINotFoundAndNoZFS(t *testing.T) {
	c, f := newTestClient(t, "")
	f.Expect("zpool", "status", "-pv", "nope").Exit(1).Stderr("cannot open 'nope': no such pool\n")
	if _, err := c.Status(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	f.Expect(PoolListArgs()...).Exit(1).Stderr("The ZFS modules are not loaded.\nTry running '/sbin/modprobe zfs' as root to load them.\n")
	if _, err := c.Pools(context.Background()); !errors.Is(err, ErrNoZFS) {
		t.Errorf("err = %v, want ErrNoZFS", err)
	}
	f.Expect(PoolListArgs()...).Fail(exec.ErrNotFound)
	if _, err := c.Pools(context.Background()); !errors.Is(err, ErrNoZFS) {
		t.Errorf("missing zpool: err = %v, want ErrNoZFS", err)
	}
}

func TestCLICreatePoolFromPlan(t *testing.T) {
	c, f := newTestClient(t, "")
	l := &Layout{Pool: "tank", Level: RAID10, Disks: byID("a", "b", "c", "d"), Special: byID("e", "f"), SpecialMirror: true, Compression: "lz4"}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	f.Expect(p.Argv...)
	if err := c.CreatePool(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// TestPassphraseNeverInArgv checks that key material reaches zfs on its
// standard input only, and is redacted from errors.
func TestPassphraseNeverInArgv(t *testing.T) {
	const pass = "correct horse battery staple"
	c, f := newTestClient(t, "")
	f.Expect("zfs", "create", "-o", "encryption=on", "-o", "keyformat=passphrase", "-o", "keylocation=prompt", "tank/encrypted_data").WantStdin(pass)
	err := c.CreateDataset(context.Background(), &CreateOptions{Name: "tank/encrypted_data", Encryption: &Encryption{Key: []byte(pass)}})
	if err != nil {
		t.Fatal(err)
	}
	f.Expect("zfs", "load-key", "-L", "prompt", "tank/encrypted_data").WantStdin(pass).Exit(255).Stderr("Key load error: Incorrect key provided for '" + pass + "'.\n")
	err = c.MountWithKey(context.Background(), "tank/encrypted_data", []byte(pass))
	if err == nil || strings.Contains(err.Error(), pass) {
		t.Errorf("load-key error %q leaks the passphrase or is nil", err)
	}
	f.Expect("zfs", "load-key", "-L", "prompt", "tank/encrypted_data").WantStdin(pass)
	f.Expect("zfs", "mount", "tank/encrypted_data")
	if err := c.MountWithKey(context.Background(), "tank/encrypted_data", []byte(pass)); err != nil {
		t.Fatal(err)
	}
	raw := strings.Repeat("\x01", 32)
	f.Expect("zfs", "change-key", "-o", "keyformat=raw", "-o", "keylocation=prompt", "tank/encrypted_data").WantStdin(raw)
	if err := c.ChangeKey(context.Background(), "tank/encrypted_data", &Encryption{Format: RawKey, Key: []byte(raw)}); err != nil {
		t.Fatal(err)
	}
	f.Expect("zfs", "change-key", "-o", "keyformat=raw", "-o", "keylocation=file:///path/to/keyfile", "tank/encrypted_data").WantStdin("")
	if err := c.ChangeKey(context.Background(), "tank/encrypted_data", &Encryption{Format: RawKey, Location: "file:///path/to/keyfile"}); err != nil {
		t.Fatal(err)
	}
	for _, call := range f.Calls() {
		for _, a := range call.Args {
			if strings.Contains(a, pass) || strings.Contains(a, raw) {
				t.Errorf("key material in argv %q", call.Args)
			}
		}
		if call.Stdin != nil && len(call.Secrets) == 0 {
			t.Errorf("stdin of %q is not marked secret", call.Args)
		}
	}
}

func TestEncryptionValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encryption
		ok   bool
	}{
		{"passphrase", Encryption{Key: []byte("12345678")}, true},
		{"short passphrase", Encryption{Key: []byte("1234567")}, false},
		{"newline", Encryption{Key: []byte("1234567\n8")}, false},
		{"raw 32", Encryption{Format: RawKey, Key: make([]byte, 32)}, true},
		{"raw 31", Encryption{Format: RawKey, Key: make([]byte, 31)}, false},
		{"hex", Encryption{Format: HexKey, Key: []byte(strings.Repeat("ab", 32))}, true},
		{"hex bad", Encryption{Format: HexKey, Key: []byte(strings.Repeat("zz", 32))}, false},
		{"keyfile", Encryption{Format: RawKey, Location: "file:///root/key"}, true},
		{"keyfile and key", Encryption{Format: RawKey, Location: "file:///root/key", Key: make([]byte, 32)}, false},
		{"relative keyfile", Encryption{Location: "file://key"}, false},
		{"algorithm", Encryption{Algorithm: "aes-256-gcm", Key: []byte("12345678")}, true},
		{"bad algorithm", Encryption{Algorithm: "rot13", Key: []byte("12345678")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.enc.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalid) || len(tc.enc.Key) > 0 && strings.Contains(err.Error(), string(tc.enc.Key))) {
				t.Errorf("error %q: not ErrInvalid or leaks the key", err)
			}
		})
	}
}

func TestCLIErrorIsExitError(t *testing.T) {
	c, f := newTestClient(t, "")
	f.Expect("zfs", "snapshot", "tank/a@1").Exit(1).Stderr("cannot create snapshot 'tank/a@1': dataset already exists\n")
	err := c.Snapshot(context.Background(), "tank/a@1", false)
	var ee *runner.ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 1 || errors.Is(err, ErrNotFound) {
		t.Errorf("err = %#v", err)
	}
	if diff := cmp.Diff([]string{"zfs", "snapshot", "tank/a@1"}, ee.Argv); diff != "" {
		t.Errorf("argv mismatch (-want +got):\n%s", diff)
	}
}

func byID(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "/dev/disk/by-id/ata-DISK_" + n
	}
	return out
}

func TestCLIScrub(t *testing.T) {
	c, f := newTestClient(t, "")
	ctx := context.Background()
	f.Expect("zpool", "scrub", "tank")
	f.Expect("zpool", "scrub", "-p", "tank")
	f.Expect("zpool", "scrub", "-s", "tank")
	for _, a := range []ScrubAction{ScrubStart, ScrubPause, ScrubStop} {
		if err := c.Scrub(ctx, "tank", a); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Scrub(ctx, "tank", ScrubAction(7)); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
}
