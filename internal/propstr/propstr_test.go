package propstr

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	p, err := Parse("example.com,plugin=ovh,alias=challenge.example.net", "domain")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range p.Keys() {
		got[k], _ = p.Get(k)
	}
	want := map[string]string{"domain": "example.com", "plugin": "ovh", "alias": "challenge.example.net"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.example", "b.example"}, List("a.example;;b.example;")); diff != "" {
		t.Errorf("List mismatch (-want +got):\n%s", diff)
	}
}

func TestEdit(t *testing.T) {
	p, err := Parse("account=default,domains=a.example", "")
	if err != nil {
		t.Fatal(err)
	}
	p.Set("domains", JoinList([]string{"a.example", "b.example"}))
	p.Set("extra", "1")
	if got, want := p.String(), "account=default,domains=a.example;b.example,extra=1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p.Delete("account")
	if got, want := p.String(), "domains=a.example;b.example,extra=1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	d, _ := Parse("plugin=x", "domain")
	d.Set("domain", "c.example")
	if got, want := d.String(), "c.example,plugin=x"; got != want {
		t.Errorf("default key: got %q, want %q", got, want)
	}
	if err := d.Set("plugin", "a,b"); !errors.Is(err, ErrSyntax) {
		t.Errorf("comma in value accepted: %v", err)
	}
}

func TestErrors(t *testing.T) {
	for _, in := range []string{"=x", "k=", "a=1,a=2", "bare"} {
		if _, err := Parse(in, ""); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
	if _, err := Parse("a.example,b.example", "domain"); !errors.Is(err, ErrSyntax) {
		t.Errorf("two default values accepted: %v", err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		"account=default,domains=example.com;www.example.com",
		"example.proxmox.com,plugin=example_plugin",
		"virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0,firewall=1",
		"a=1,,b=2,",
	} {
		f.Add(s, "domain")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, def string) {
		p, err := Parse(s, def)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("untouched %q formatted as %q", s, got)
		}
		keys := p.Keys()
		for _, k := range keys {
			v, _ := p.Get(k)
			if err := p.Set(k, v+"x"); err != nil {
				continue
			}
		}
		again, err := Parse(p.String(), def)
		if err != nil {
			t.Fatalf("edited %q does not parse: %v", p.String(), err)
		}
		if diff := cmp.Diff(keys, again.Keys()); diff != "" {
			t.Fatalf("keys changed (-want +got):\n%s", diff)
		}
	})
}
