package node

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const fixture = "../testdata/pve8"

func TestParseUPID(t *testing.T) {
	// The admin guide's example.
	const guide = "UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:"
	u, err := ParseUPID(guide)
	if err != nil {
		t.Fatal(err)
	}
	want := UPID{Node: "pve1", PID: 0x10D94, PStart: 0x1CA6EA, StartTime: time.Unix(0x6124E1B9, 0).UTC(), Type: "vzdump", ID: "100", User: "root@pam"}
	if diff := cmp.Diff(want, u, cmp.AllowUnexported(UPID{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("UPID mismatch (-want +got):\n%s", diff)
	}
	if u.String() != guide || want.String() != guide {
		t.Errorf("String = %q / %q", u.String(), want.String())
	}
	if p := u.LogPath(); p != "/var/log/pve/tasks/9/"+guide {
		t.Errorf("LogPath = %s", p)
	}
	// A long-running host: nine hex digits of pstart; lower case kept.
	long := "UPID:node-2:0012abcd:1A2B3C4D5:66C3FFA8:qmigrate:102:root@pam!token:"
	u, err = ParseUPID(long)
	if err != nil || u.PStart != 0x1A2B3C4D5 || u.String() != long || u.User != "root@pam!token" {
		t.Errorf("ParseUPID(%q) = %+v, %v", long, u, err)
	}
	if err := u.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{
		"", "UPID:pve1:10D94:001CA6EA:6124E1B9:vzdump:100:root@pam:", "UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam",
		"UPID:-pve:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:", "UPID:pve1:00010D94:1CA6EA:6124E1B9:vzdump:100:root@pam:",
		"UPID:pve1:00010D94:001CA6EA:6124E1B9::100:root@pam:", "UPID:pve1:00010D94:001CA6EA:6124E1B9:vz dump:100:root@pam:",
	} {
		if _, err := ParseUPID(bad); !errors.Is(err, ErrUPID) {
			t.Errorf("ParseUPID(%q) = %v", bad, err)
		}
	}
	if err := (UPID{Node: "pve1", Type: "x:y", User: "root@pam"}).Validate(); !errors.Is(err, ErrUPID) {
		t.Errorf("Validate: %v", err)
	}
	if err := (UPID{Node: "pve1", Type: "x", User: "root@pam", PStart: 1 << 40}).Validate(); !errors.Is(err, ErrUPID) {
		t.Errorf("Validate pstart: %v", err)
	}
}

func FuzzUPID(f *testing.F) {
	f.Add("UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:")
	f.Add("UPID:n:0012abcd:1A2B3C4D5:66C3FFA8:aptupdate::root@pam:")
	idx, _ := os.ReadFile(fixture + "/var/log/pve/tasks/index")
	for _, line := range strings.Split(string(idx), "\n") {
		if u, _, ok := strings.Cut(line, " "); ok {
			f.Add(u)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUPID(s)
		if err != nil {
			return
		}
		if u.String() != s {
			t.Fatalf("String = %q", u.String())
		}
		if err := u.Validate(); err != nil {
			t.Fatalf("parsed UPID does not validate: %v", err)
		}
		// Formatting from the fields parses to the same fields.
		u.raw = ""
		v, err := ParseUPID(u.String())
		if err != nil {
			t.Fatal(err)
		}
		v.raw = ""
		if v != u {
			t.Fatalf("re-parsed %+v, want %+v", v, u)
		}
		if !strings.HasSuffix(u.LogPath(), "/"+u.String()) {
			t.Fatal(u.LogPath())
		}
	})
}

func FuzzTaskIndex(f *testing.F) {
	idx, _ := os.ReadFile(fixture + "/var/log/pve/tasks/index")
	f.Add(string(idx))
	f.Add("UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam: 6124E2A0 WARNINGS: 3\n")
	f.Fuzz(func(t *testing.T, s string) {
		tasks, err := ParseTaskIndex("index", strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error does not wrap ErrSyntax: %v", err)
			}
			return
		}
		var b strings.Builder
		for _, tk := range tasks {
			b.WriteString(tk.IndexLine() + "\n")
		}
		again, err := ParseTaskIndex("index", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("formatted index does not parse: %v\n%s", err, b.String())
		}
		if diff := cmp.Diff(tasks, again, cmp.AllowUnexported(UPID{})); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

func newTestClient(t *testing.T, root string) *Client {
	t.Helper()
	c, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func upids(ts []Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.UPID.Type+":"+t.UPID.ID+":"+string(t.Kind))
	}
	return out
}

func TestTaskList(t *testing.T) {
	c := newTestClient(t, fixture)
	tests := []struct {
		name string
		f    TaskFilter
		want []string
	}{
		// pvenode task list --errors --vmid 100
		{"guide", TaskFilter{Errors: true, VMID: "100"}, []string{"vzdump:100:error"}},
		{"errors", TaskFilter{Errors: true}, []string{"qmstart:103:error", "qmigrate:102:warning", "vzdump:100:error"}},
		{"type", TaskFilter{Type: "qmstart"}, []string{"qmstart:103:error", "qmstart:101:ok", "qmstart:100:ok"}},
		{"user", TaskFilter{User: "PVE"}, []string{"qmstart:103:error", "vncproxy:100:ok"}},
		{"since", TaskFilter{Since: time.Date(2024, 8, 20, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 8, 20, 2, 15, 0, 0, time.UTC)}, []string{"qmigrate:102:warning", "vzdump:100:error"}},
		{"limit", TaskFilter{Limit: 2}, []string{"qmstart:103:error", "qmigrate:102:warning"}},
		{"active", TaskFilter{Source: "active"}, []string{"vzdump:101:running", "vncshell::ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Tasks(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, upids(got)); diff != "" {
				t.Errorf("tasks mismatch (-want +got):\n%s", diff)
			}
		})
	}
	all, _ := c.Tasks(TaskFilter{Source: "all"})
	if len(all) != 12 || all[0].UPID.Type != "vzdump" || !all[0].Active {
		t.Errorf("all: %v", upids(all))
	}
	if _, err := c.Tasks(TaskFilter{Source: "nope"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad source: %v", err)
	}
}

func TestTaskLogAndStatus(t *testing.T) {
	c := newTestClient(t, fixture)
	tasks, _ := c.Tasks(TaskFilter{Errors: true, VMID: "100"})
	u := tasks[0].UPID
	lines, err := c.TaskLog(u)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 8 || lines[7] != "TASK ERROR: job errors" {
		t.Errorf("log = %q", lines)
	}
	st, err := c.TaskStatus(u)
	if err != nil || st.Status != "job errors" || st.Kind != StatusError || st.Duration() != 31*time.Second {
		t.Errorf("status = %+v, %v", st, err)
	}
	running, _ := c.Tasks(TaskFilter{Source: "active", VMID: "101"})
	st, err = c.TaskStatus(running[0].UPID)
	if err != nil || st.Kind != StatusRunning || st.Status != "" {
		t.Errorf("running status = %+v, %v", st, err)
	}
	missing, _ := ParseUPID("UPID:pve1:00000001:00000001:66C3FFA8:qmstart:999:root@pam:")
	if _, err := c.TaskLog(missing); !errors.Is(err, ErrNoTask) {
		t.Errorf("missing log: %v", err)
	}
	for line, want := range map[string]string{"TASK OK": "OK", "TASK ERROR: boom": "boom", "TASK WARNINGS: 2": "WARNINGS: 2"} {
		if got, ok := StatusFromLog(line); !ok || got != want {
			t.Errorf("StatusFromLog(%q) = %q %v", line, got, ok)
		}
	}
}

func TestTaskListErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:\n", "index:1: want UPID ENDTIME STATUS"},
		{"\nUPID:x 6124E2A0 OK\n", "index:2: invalid UPID: \"UPID:x\""},
		{"UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam: 6124E2A OK\n", "index:1: bad end time \"6124E2A\""},
	} {
		_, err := ParseTaskIndex("index", strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: %v, want %s", tt.in, err, tt.want)
		}
	}
	if _, err := ParseActiveTasks("active", strings.NewReader("UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam: 2\n")); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad saved flag: %v", err)
	}
}
