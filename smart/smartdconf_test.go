package smart

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/rootfs"
)

func TestSmartdRoundTrip(t *testing.T) {
	for _, name := range []string{"smartd.conf.debian", "smartd.conf.custom"} {
		data := readTestdata(t, name)
		c, err := ParseSmartdConf(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(data), string(c.Format())); diff != "" {
			t.Errorf("%s: Format mismatch (-want +got):\n%s", name, diff)
		}
	}
}

func TestSmartdEntries(t *testing.T) {
	c, err := ParseSmartdConf("custom", readTestdata(t, "smartd.conf.custom"))
	if err != nil {
		t.Fatal(err)
	}
	var devs []string
	for _, e := range c.Entries() {
		devs = append(devs, e.Device)
	}
	want := []string{"DEFAULT", "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T123456A", "/dev/nvme0", "/dev/sdb", "DEVICESCAN"}
	if diff := cmp.Diff(want, devs); diff != "" {
		t.Errorf("devices mismatch (-want +got):\n%s", diff)
	}
	ssd := c.Entries()[1]
	if ssd.Schedule() != "(S/../.././02|L/../../6/03)" || ssd.Mail() != "root" || !ssd.MonitorsAll() || ssd.Line != 5 {
		t.Errorf("ssd entry = %+v", ssd)
	}
	if v, _ := ssd.Get("-M"); v != "exec /usr/share/smartmontools/smartd-runner" {
		t.Errorf("-M = %q", v)
	}
	if v, _ := c.Entry("/dev/sdb").Get("-d"); v != "megaraid,0" {
		t.Errorf("-d = %q", v)
	}
	scan, ok := c.Scan()
	// Debian's DEVICESCAN line has no monitoring directive: -a is implied.
	if !ok || !scan.MonitorsAll() || scan.Mail() != "root" {
		t.Errorf("scan = %+v", scan)
	}
	if (&SmartdEntry{Device: "/dev/sda", Directives: []Directive{{Name: "-H"}}}).MonitorsAll() {
		t.Error("-H alone monitors all")
	}
	deb, err := ParseSmartdConf("debian", readTestdata(t, "smartd.conf.debian"))
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := deb.Scan(); !ok || len(deb.Entries()) != 1 || e.Line == 0 {
		t.Errorf("Debian file: %d entries", len(deb.Entries()))
	}
}

func TestSmartdEdit(t *testing.T) {
	data := readTestdata(t, "smartd.conf.custom")
	c, err := ParseSmartdConf("custom", data)
	if err != nil {
		t.Fatal(err)
	}
	// Changing the multi-line entry rewrites only its lines.
	e := c.Entries()[1]
	e.Directives = append(e.Directives[:len(e.Directives)-2], Directive{Name: "-m", Arg: "ops@example.com"})
	if err := c.Set("/dev/sdc", []Directive{{Name: "-a"}, {Name: "-s", Arg: "L/../../7/04"}}); err != nil {
		t.Fatal(err)
	}
	if !c.Remove("/dev/nvme0") || c.Remove("/dev/nosuch") {
		t.Error("Remove results wrong")
	}
	got := string(c.Format())
	want := strings.Replace(string(data), "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T123456A -a -o on -S on \\\n    -s (S/../.././02|L/../../6/03) -W 4,45,55 -m root -M exec /usr/share/smartmontools/smartd-runner\n",
		"/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T123456A -a -o on -S on -s (S/../.././02|L/../../6/03) -W 4,45,55 -m ops@example.com\n", 1)
	want = strings.Replace(want, "/dev/nvme0 -a -m admin@example.com,root   # NVMe: one line per controller\n", "", 1)
	want = strings.Replace(want, "\nDEVICESCAN", "/dev/sdc -a -s L/../../7/04\n\nDEVICESCAN", 1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edit mismatch (-want +got):\n%s", diff)
	}
	again, err := ParseSmartdConf("again", c.Format())
	if err != nil {
		t.Fatal(err)
	}
	if again.Entry("/dev/sdc").Schedule() != "L/../../7/04" {
		t.Error("new entry lost")
	}
	for _, bad := range [][]Directive{{{Name: "a"}}, {{Name: "-m", Arg: "x#y"}}} {
		if err := c.Set("/dev/sdd", bad); err == nil {
			t.Errorf("Set(%v): no error", bad)
		}
	}
}

func TestSmartdParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"-a -m root\n", "f:1:1: line starts with directive"},
		{"# x\n  /dev/sda -m\n", "f:2:3: /dev/sda: directive -m needs an argument"},
		{"/dev/sda -a root\n", "f:1:1: /dev/sda: \"root\" is not a directive"},
	} {
		_, err := ParseSmartdConf("f", []byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, ErrSmartdSyntax) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestEditSmartdConf(t *testing.T) {
	root := t.TempDir()
	c := newTestClient(t, root)
	ctx := context.Background()
	p := filepath.Join(root, SmartdConfPath)
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, readTestdata(t, "smartd.conf.debian"), 0o644)
	err := c.EditSmartdConf(ctx, func(conf *SmartdConf) error {
		return conf.Set("DEVICESCAN", []Directive{{Name: "-a"}, {Name: "-m", Arg: "root"}, {Name: "-s", Arg: "(S/../.././02|L/../../6/03)"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, _, err := c.SmartdConf()
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := conf.Scan(); e.Schedule() != "(S/../.././02|L/../../6/03)" {
		t.Errorf("scan entry = %+v", e)
	}
	err = c.EditSmartdConf(ctx, func(conf *SmartdConf) error {
		os.WriteFile(p, []byte("/dev/sda -a\n"), 0o644)
		conf.Remove("DEVICESCAN")
		return nil
	})
	if !errors.Is(err, rootfs.ErrConflict) {
		t.Errorf("concurrent edit: %v", err)
	}
	if c.SmartdEnabled() {
		t.Error("SmartdEnabled on an empty root")
	}
	if !newTestClient(t, "../testdata/pve8").SmartdEnabled() {
		t.Error("fixture: smartd not enabled")
	}
}

func FuzzSmartdConf(f *testing.F) {
	f.Add(readTestdata(f, "smartd.conf.debian"))
	f.Add(readTestdata(f, "smartd.conf.custom"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseSmartdConf("fuzz", data)
		if err != nil {
			return
		}
		if string(c.Format()) != string(data) {
			t.Fatalf("round trip changed the text")
		}
		if err := c.Set("/dev/fuzz", []Directive{{Name: "-a"}, {Name: "-m", Arg: "root"}}); err != nil {
			t.Fatal(err)
		}
		again, err := ParseSmartdConf("fuzz", c.Format())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%s", err, c.Format())
		}
		if e := again.Entry("/dev/fuzz"); e == nil || e.Mail() != "root" {
			t.Fatalf("entry lost:\n%s", c.Format())
		}
		if len(again.Entries()) != len(c.Entries()) {
			t.Fatalf("%d entries, want %d", len(again.Entries()), len(c.Entries()))
		}
	})
}

// TestSmartdConfContinuation: as in smartd, a backslash continues a line
// when only blanks (or a comment) follow it.
func TestSmartdConfContinuation(t *testing.T) {
	for _, in := range []string{
		"/dev/sda -a \\ \n  -m root\n",
		"/dev/sda -a \\\t# all\n  -m root\n",
		"/dev/sda -a \\\n  -m root\n",
	} {
		c, err := ParseSmartdConf("smartd.conf", []byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		e := c.Entry("/dev/sda")
		if e == nil || !e.Has("-a") || e.Mail() != "root" || len(c.Entries()) != 1 {
			t.Errorf("%q: entries %+v", in, c.Entries())
		}
		if string(c.Format()) != in {
			t.Errorf("%q: round trip changed the file", in)
		}
	}
}
