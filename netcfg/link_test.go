package netcfg

import "testing"

// A key added after a line that ends the file with a backslash must not
// become that line's continuation.
func TestLinkSetAfterDanglingBackslash(t *testing.T) {
	lf, err := ParseLink("x.link", []byte("[Link]\nName=nic0 \\\n"))
	if err != nil {
		t.Fatal(err)
	}
	lf.Set("Link", "MTUBytes", "9000")
	again, err := ParseLink("x.link", lf.Format())
	if err != nil {
		t.Fatal(err)
	}
	name, _ := again.Get("Link", "Name")
	mtu, ok := again.Get("Link", "MTUBytes")
	if name != "nic0" || !ok || mtu != "9000" {
		t.Errorf("after Set: Name=%q MTUBytes=%q,%v\n%s", name, mtu, ok, lf.Format())
	}
}

// TestLinkContinuations reads backslash continuations as systemd does.
func TestLinkContinuations(t *testing.T) {
	for _, tc := range []struct {
		name, in    string
		nameValue   string
		description string
	}{
		{"escaped backslash ends the line", "[Link]\nName=nic0\\\\\nDescription=d\n", `nic0\\`, "d"},
		{"blank after the backslash", "[Link]\nName=nic0\\ \nDescription=d\n", `nic0\`, "d"},
		{"comment within is skipped", "[Link]\nDescription=a \\\n# Name=x\n  b\nName=nic0\n", "nic0", "a    b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lf, err := ParseLink("x.link", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(lf.Format()) != tc.in {
				t.Errorf("round trip changed the file")
			}
			name, _ := lf.Get("Link", "Name")
			desc, _ := lf.Get("Link", "Description")
			if name != tc.nameValue || desc != tc.description {
				t.Errorf("Name=%q Description=%q, want %q %q", name, desc, tc.nameValue, tc.description)
			}
		})
	}
	// A continuation open at the end of the file, past a comment, would
	// swallow a new key.
	lf, err := ParseLink("x.link", []byte("[Link]\nName=nic0 \\\n# c\n"))
	if err != nil {
		t.Fatal(err)
	}
	lf.Set("Link", "MTUBytes", "9000")
	again, _ := ParseLink("x.link", lf.Format())
	name, _ := again.Get("Link", "Name")
	if mtu, ok := again.Get("Link", "MTUBytes"); name != "nic0" || !ok || mtu != "9000" {
		t.Errorf("after Set: Name=%q MTUBytes=%q,%v\n%s", name, mtu, ok, lf.Format())
	}
}
