package timesync

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTracking(t *testing.T) {
	got, err := ParseTracking(readTestdata(t, "tracking.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Tracking{
		RefID: "7F000001", RefName: "127.0.0.1", Stratum: 9,
		RefTime: time.Unix(1795647844, 827953201).UTC(),
		Offset:  0.0000019, LastOffset: 0.000000014, RMSOffset: 0.00000003,
		Frequency: 0.04, ResidualFreq: 0.002, Skew: 0.099,
		RootDelay: 0.000005912, RootDispersion: 0.000000999, UpdateInterval: 0.1, Leap: LeapNormal,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tracking mismatch (-want +got):\n%s", diff)
	}
	if !got.Synchronised() {
		t.Error("not synchronised")
	}
	unsync, err := ParseTracking([]byte("00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n"))
	if err != nil || unsync.Synchronised() || !unsync.RefTime.IsZero() {
		t.Errorf("unsynchronised: %+v, %v", unsync, err)
	}
	for _, bad := range []string{"", "a,b\n", "7F000001,x,nine,1,1,1,1,1,1,1,1,1,1,Normal\n"} {
		if _, err := ParseTracking([]byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseTracking(%q) = %v, want ErrSyntax", bad, err)
		}
	}
}

func TestParseSources(t *testing.T) {
	got, err := ParseSources(readTestdata(t, "sources.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []SourceState{
		{Mode: "^", State: "*", Address: "127.0.0.1", Stratum: 8, Poll: -4, Reach: 0o377, LastRx: 0, Offset: 0.000000076, Measured: 0.00000009, Error: 0.000003349},
		{Mode: "^", State: "?", Address: "127.0.0.2", Stratum: 0, Poll: 6, Reach: 0, LastRx: -1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if !got[0].Selected() || !got[0].Reachable() || got[1].Reachable() {
		t.Error("Selected/Reachable wrong")
	}
	if _, err := ParseSources([]byte("^,*,a,1,2,999,0,0,0,0\n")); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad reach: %v", err)
	}
}

func TestParseTimesyncStatus(t *testing.T) {
	got, err := ParseTimesyncStatus(readTestdata(t, "timesync-status.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != "10.0.0.1" || got.ServerName != "ntp1.example.com" || got.PollInterval != 64*time.Second ||
		got.Offset != 316*time.Microsecond || got.Delay != 349*time.Microsecond || got.RootDistance != 335*time.Microsecond ||
		got.Stratum != 2 || got.Frequency != -8.802 || got.PacketCount != 1 || got.Leap != "normal" || got.Fields["Precision"] != "1us (-20)" {
		t.Errorf("status = %+v", got)
	}
}

func TestParseTimespan(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "+1.234ms": 1234 * time.Microsecond, "-99us": -99 * time.Microsecond,
		"1min 4s": 64 * time.Second, "34min 8s": 2048 * time.Second, "5s": 5 * time.Second, "2h": 2 * time.Hour,
	} {
		if got, err := ParseTimespan(in); err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ms", "1parsec", "1.2.3s"} {
		if _, err := ParseTimespan(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseTimespan(%q) = %v", bad, err)
		}
	}
}

func TestParseJournal(t *testing.T) {
	got, err := ParseJournal(bytes.NewReader(readTestdata(t, "journal.json")))
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		Kind          EventKind
		Address, Name string
	}
	var kinds []ev
	for _, e := range got {
		kinds = append(kinds, ev{e.Kind, e.Address, e.Name})
	}
	want := []ev{
		{EventStart, "", ""},
		{EventSelected, "10.0.0.1", "ntp1.example.com"},
		{EventOther, "", ""},
		{EventUsing, "10.0.0.1", "ntp1.example.com"},
		{EventSample, "", ""},
		{EventUnreachable, "2001:db8::1", "ntp2.example.com"},
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if got[1].PID != 4873 || got[1].Ident != "chronyd" || !got[1].Time.Equal(time.Unix(1629975615, 0)) {
		t.Errorf("event = %+v", got[1])
	}
	if _, err := ParseJournal(strings.NewReader("{\n")); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad journal: %v", err)
	}
}

func TestParseChronyLog(t *testing.T) {
	in := "2026-11-25T23:04:00Z chronyd version 4.3 starting (+CMDMON)\n2026-11-25T23:04:00Z Selected source 127.0.0.1\n2026-11-25T23:05:00Z Can't synchronise: no selectable sources\n"
	got, err := ParseChronyLog(strings.NewReader(in))
	if err != nil || len(got) != 3 {
		t.Fatal(got, err)
	}
	if got[1].Kind != EventSelected || got[1].Address != "127.0.0.1" || got[2].Kind != EventUnsynchronised || got[0].Kind != EventStart {
		t.Errorf("events = %+v", got)
	}
}

// FuzzReports feeds arbitrary text to the parsers of daemon output: they
// must return an error or a value, never panic, and parsed numbers must
// survive.
func FuzzReports(f *testing.F) {
	f.Add(readTestdata(f, "tracking.csv"))
	f.Add(readTestdata(f, "sources.csv"))
	f.Add(readTestdata(f, "timesync-status.txt"))
	f.Add(readTestdata(f, "journal.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tr, err := ParseTracking(data); err == nil && tr == nil {
			t.Fatal("nil tracking without error")
		}
		if ss, err := ParseSources(data); err == nil {
			for _, s := range ss {
				if s.LastRx < -1 {
					t.Fatalf("LastRx %d", s.LastRx)
				}
			}
		}
		ParseTimesyncStatus(data)
		ParseJournal(bytes.NewReader(data))
		ParseChronyLog(bytes.NewReader(data))
		ClassifyMessage(string(data))
	})
}
