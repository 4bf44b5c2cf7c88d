package smart

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/testenv"
)

func TestParseDriveDB(t *testing.T) {
	db, err := ParseDriveDB(readTestdata(t, "drivedb.h"))
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Entries) != 5 {
		t.Fatalf("%d entries, want 5", len(db.Entries))
	}
	if got := db.Default(); got != "-v 1,raw48,Raw_Read_Error_Rate -v 9,raw24(raw8),Power_On_Hours" {
		t.Errorf("Default = %q", got)
	}
	e := db.Lookup("Samsung SSD 870 EVO 1TB", "SVT02B6Q")
	if e == nil || e.Family != "Samsung based SSDs" {
		t.Fatalf("Lookup = %+v", e)
	}
	if diff := cmp.Diff([]string{"177,raw48,Wear_Leveling_Count", "235,raw48,POR_Recovery_Count", "241,raw48,Total_LBAs_Written"}, e.AttributeOptions()); diff != "" {
		t.Errorf("options mismatch (-want +got):\n%s", diff)
	}
	if e := db.Lookup("EXAMPLE DRIVE 7", "FW2.0"); e != nil {
		t.Errorf("firmware regex ignored: %+v", e)
	}
	if e := db.Lookup("EXAMPLE DRIVE 7", "FW1.0"); e == nil || e.Warning != `Firmware "FW1.0" loses data, update it` {
		t.Errorf("escaped quotes: %+v", e)
	}
	if e := db.Lookup("A Samsung SSD 870 EVO 1TB", ""); e != nil {
		t.Error("partial match accepted: expressions match the whole model")
	}
	for _, bad := range []string{`{ "a", "b" }`, `{ "a", "b", "c", "d", "e"`, `"x"`, `{ "a", "b", "c", "d", "e /* x`} {
		if _, err := ParseDriveDB([]byte(bad)); !errors.Is(err, ErrDriveDBSyntax) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// TestDriveDBNames decodes the recorded SSD buffers with a drive database:
// its names replace the defaults, and the family lands in the report.
func TestDriveDBNames(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(root+"/usr/share/smartmontools", 0o755)
	os.WriteFile(root+"/usr/share/smartmontools/drivedb.h", readTestdata(t, "drivedb.h"), 0o644)
	c, err := New(&Config{Root: root, AttributeDefs: []string{"241,raw48,Host_Writes_Test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := decodeATA(t, c, "ssd-ata", "sense-passed.bin")
	if r.ModelFamily != "Samsung based SSDs" {
		t.Errorf("family = %q", r.ModelFamily)
	}
	a, _ := r.Attribute(235)
	b, _ := r.Attribute(241)
	if a.Name != "POR_Recovery_Count" || b.Name != "Host_Writes_Test" {
		t.Errorf("names: 235 %q, 241 %q (user options must win over the database)", a.Name, b.Name)
	}
	if _, err := New(&Config{AttributeDefs: []string{"bogus"}}); err == nil {
		t.Error("bad AttributeDefs accepted")
	}
}

// TestSystemDriveDB parses the installed smartmontools drive database and
// checks that RE2 takes its expressions.
func TestSystemDriveDB(t *testing.T) {
	const p = "/usr/share/smartmontools/drivedb.h"
	testenv.RequireFile(t, p)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ParseDriveDB(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Entries) < 500 || db.Default() == "" {
		t.Fatalf("%d entries, DEFAULT %q", len(db.Entries), db.Default())
	}
	var failed []string
	for _, e := range db.Entries {
		if e.ModelRegex == "-" || e.Family == "DEFAULT" {
			continue
		}
		if _, err := compileWhole(e.ModelRegex); err != nil {
			failed = append(failed, e.Family+": "+err.Error())
		}
		for _, o := range e.AttributeOptions() {
			var d AttrDefs
			if err := d.Apply(o); err != nil {
				failed = append(failed, e.Family+": "+err.Error())
			}
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d entries RE2 or the -v parser cannot take:\n%v", len(failed), failed)
	}
	// The database's DEFAULT entry is the built-in table.
	var d AttrDefs
	for _, o := range (&DriveEntry{Presets: db.Default()}).AttributeOptions() {
		if err := d.apply(o, true); err != nil {
			t.Fatal(err)
		}
	}
	for id := range 256 {
		got, want := defaultDefs[id], d[id]
		got.set, want.set = false, false
		if got != want {
			t.Errorf("default of %d: built in %+v, drivedb.h %+v", id, got, want)
		}
	}
	for _, m := range []struct{ model, family string }{
		{"Samsung SSD 870 EVO 1TB", "Samsung based SSDs"},
		{"Crucial_CT500MX200SSD1", "Crucial/Micron Client SSDs"},
	} {
		if e := db.Lookup(m.model, ""); e == nil || e.Family != m.family {
			t.Errorf("Lookup(%q) = %+v, want family %q", m.model, e, m.family)
		}
	}
}

func FuzzParseDriveDB(f *testing.F) {
	f.Add(readTestdata(f, "drivedb.h"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseDriveDB(data)
		if err != nil {
			return
		}
		for _, e := range db.Entries {
			e.AttributeOptions()
		}
		db.Lookup("Samsung SSD 870 EVO 1TB", "SVT02B6Q")
	})
}
