package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Unix(1722988800, 123456789).UTC()

func TestAppendLine(t *testing.T) {
	tests := []struct {
		name string
		p    Point
		want string
	}{
		{"proxmox node", Point{Measurement: "cpustat", Tags: []Tag{{"object", "nodes"}, {"host", "pve1"}}, Fields: []Field{{"cpu", 0.25}, {"cpus", int64(8)}}, Time: t0},
			"cpustat,object=nodes,host=pve1 cpu=0.25,cpus=8i 1722988800123456789\n"},
		{"escapes", Point{Measurement: "my meas,x", Tags: []Tag{{"ta g", "v=1,2"}}, Fields: []Field{{"f,k=", `say "hi" \o/`}}, Time: t0},
			`my\ meas\,x,ta\ g=v\=1\,2 f\,k\=="say \"hi\" \\o/" 1722988800123456789` + "\n"},
		{"backslashes", Point{Measurement: `a\`, Tags: []Tag{{"t", `x\,y`}}, Fields: []Field{{`k\\`, true}}},
			`a\\,t=x\\\,y k\\\\=true` + "\n"},
		{"nan dropped", Point{Measurement: "m", Fields: []Field{{"a", math.NaN()}, {"b", 1.5}, {"c", math.Inf(1)}}, Time: t0},
			"m b=1.5 1722988800123456789\n"},
		{"only nan", Point{Measurement: "m", Fields: []Field{{"a", math.NaN()}}}, ""},
		{"uint", Point{Measurement: "m", Fields: []Field{{"a", uint64(7)}, {"b", uint64(math.MaxUint64)}, {"c", 1e21}}},
			"m a=7i,b=18446744073709551615u,c=1e+21\n"},
		{"empty tag dropped", Point{Measurement: "m", Tags: []Tag{{"a", ""}}, Fields: []Field{{"f", 1.0}}}, "m f=1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendLine(nil, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("line mismatch (-want +got):\n%s", diff)
			}
		})
	}
	for _, p := range []Point{
		{Fields: []Field{{"a", 1.0}}},
		{Measurement: "#comment", Fields: []Field{{"a", 1.0}}},
		{Measurement: "m", Fields: []Field{{"a", "x\ny"}}},
		{Measurement: "m", Tags: []Tag{{"t", "a\nb"}}, Fields: []Field{{"a", 1.0}}},
		{Measurement: "m", Fields: []Field{{"a", []int{1}}}},
	} {
		if b, err := AppendLine([]byte("keep"), p); !errors.Is(err, ErrBadPoint) || string(b) != "keep" {
			t.Errorf("AppendLine(%+v) = %q, %v", p, b, err)
		}
	}
}

func TestGraphite(t *testing.T) {
	p := Point{Measurement: "nics", Tags: []Tag{{"object", "nodes"}, {"host", "pve1.example.com"}, {"instance", "vmbr0.100"}},
		Fields: []Field{{"receive", uint64(1234)}, {"name", "x"}, {"rate", 0.5}, {"bad", math.NaN()}, {"up", true}}, Time: t0}
	got := string(AppendGraphite(nil, "proxmox.lab", p))
	want := "proxmox.lab.nodes.pve1-example-com.nics.vmbr0-100.receive 1234 1722988800\n" +
		"proxmox.lab.nodes.pve1-example-com.nics.vmbr0-100.rate 0.5 1722988800\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("graphite mismatch (-want +got):\n%s", diff)
	}
	sys := Point{Measurement: "system", Tags: []Tag{{"object", "nodes"}, {"host", "pve1"}}, Fields: []Field{{"up time", int64(5)}}, Time: t0}
	if got := GraphitePath("proxmox", &sys, "up time"); got != "proxmox.nodes.pve1.up_time" {
		t.Errorf("path = %s", got)
	}
}

func TestParseLinesErrors(t *testing.T) {
	for _, in := range []string{"m", "m f", "m f=", "m,t f=1", "m f=1 x", `m f="x`, "m f=1.2.3", "m f=nan", "m f=1i2", " f=1"} {
		if _, err := ParseLines([]byte(in)); !errors.Is(err, ErrLineProtocol) {
			t.Errorf("ParseLines(%q) = %v", in, err)
		}
	}
	got, err := ParseLines([]byte("# c\n\nm,t=1 a=1i,b=2u,c=F,d=\"x\" -5\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{{Measurement: "m", Tags: []Tag{{"t", "1"}}, Fields: []Field{{"a", int64(1)}, {"b", uint64(2)}, {"c", false}, {"d", "x"}}, Time: time.Unix(0, -5).UTC()}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("points mismatch (-want +got):\n%s", diff)
	}
}

// FuzzLineProtocol encodes arbitrary names and values and decodes them
// with ParseLines, written from the line protocol reference: what comes
// back must be what went in.
func FuzzLineProtocol(f *testing.F) {
	f.Add("cpustat", "host", "pve1", "cpu", "x", 0.25, int64(3), int64(1722988800123456789))
	f.Add(`a\`, `t,k`, `v= `, `f\"`, `"\`, math.NaN(), int64(-1), int64(0))
	f.Add("m e", "a=b", `\\`, "k", "", 1e300, int64(math.MinInt64), int64(-1))
	f.Fuzz(func(t *testing.T, meas, tk, tv, fk, sv string, fv float64, iv, ts int64) {
		p := Point{Measurement: meas, Tags: []Tag{{tk, tv}}, Fields: []Field{{fk, fv}, {fk + "i", iv}, {fk + "s", sv}}, Time: time.Unix(0, ts).UTC()}
		line, err := AppendLine(nil, p)
		if err != nil {
			if !errors.Is(err, ErrBadPoint) {
				t.Fatalf("error does not wrap ErrBadPoint: %v", err)
			}
			return
		}
		got, err := ParseLines(line)
		if err != nil {
			t.Fatalf("decoding %q: %v", line, err)
		}
		if len(got) != 1 {
			t.Fatalf("%q decoded to %d points", line, len(got))
		}
		want := p
		if tk == "" || tv == "" {
			want.Tags = nil
		}
		want.Fields = nil
		if !math.IsNaN(fv) && !math.IsInf(fv, 0) {
			want.Fields = append(want.Fields, Field{fk, fv})
		}
		want.Fields = append(want.Fields, Field{fk + "i", iv}, Field{fk + "s", sv})
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Fatalf("%q round trip mismatch (-want +got):\n%s", line, diff)
		}
		if strings.Count(string(line), "\n") != 1 {
			t.Fatalf("%q is not one line", line)
		}
	})
}

// FuzzParseLines decodes arbitrary input; what decodes must encode to
// line protocol that decodes to the same points.
func FuzzParseLines(f *testing.F) {
	f.Add([]byte("cpustat,object=nodes,host=pve1 cpu=0.25,cpus=8i 1722988800123456789\n"))
	f.Add([]byte(`my\ meas\,x,ta\ g=v\=1\,2 f\,k\=="say \"hi\" \\o/",b=t,u=3u -1` + "\n# c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := ParseLines(data)
		if err != nil {
			if !errors.Is(err, ErrLineProtocol) {
				t.Fatalf("error does not wrap ErrLineProtocol: %v", err)
			}
			return
		}
		var enc []byte
		for _, p := range pts {
			if enc, err = AppendLine(enc, p); err != nil {
				return // names the encoder refuses (line breaks, leading '#')
			}
		}
		again, err := ParseLines(enc)
		if err != nil {
			t.Fatalf("re-encoded %q: %v", enc, err)
		}
		// Unsigned values that fit are written as integers, for InfluxDB
		// 1.x.
		for i := range pts {
			for j, f := range pts[i].Fields {
				if u, ok := f.Value.(uint64); ok && u <= math.MaxInt64 {
					pts[i].Fields[j].Value = int64(u)
				}
			}
		}
		if diff := cmp.Diff(pts, again); diff != "" {
			t.Fatalf("%q -> %q mismatch (-want +got):\n%s", data, enc, diff)
		}
	})
}
