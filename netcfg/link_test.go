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
