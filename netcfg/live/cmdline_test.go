package live

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHook(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       hookAction
	}{
		{name: "echo to proc", line: "echo 1 > /proc/sys/net/ipv4/ip_forward", want: hookAction{Param: "net/ipv4/ip_forward", Value: "1"}},
		{name: "echo no blanks", line: "echo 1>/proc/sys/net/ipv4/conf/eno0/proxy_arp", want: hookAction{Param: "net/ipv4/conf/eno0/proxy_arp", Value: "1"}},
		{name: "sysctl -w", line: "sysctl -w net.ipv4.conf.eno1.5.forwarding=1", want: hookAction{Param: "net/ipv4/conf/eno1/5/forwarding", Value: "1"}},
		{name: "sysctl -q", line: "/sbin/sysctl -q net/ipv6/conf/all/forwarding=1", want: hookAction{Param: "net/ipv6/conf/all/forwarding", Value: "1"}},
		{name: "quoted argv", line: "iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE",
			want: hookAction{Argv: []string{"iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.10.10.0/24", "-o", "eno1", "-j", "MASQUERADE"}}},
		{name: "plus sign", line: "iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1", want: hookAction{Argv: strings.Fields("iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1")}},
		{name: "double quotes", line: `ip link set dev vmbr0 alias "uplink one"`, want: hookAction{Argv: []string{"ip", "link", "set", "dev", "vmbr0", "alias", "uplink one"}}},
		{name: "backslash", line: `logger a\ b`, want: hookAction{Argv: []string{"logger", "a b"}}},
		{name: "echo elsewhere", line: "echo 1 > /tmp/x", want: hookAction{Shell: "redirection"}},
		{name: "append to proc", line: "echo 1 >> /proc/sys/net/ipv4/ip_forward", want: hookAction{Shell: "redirection"}},
		{name: "pipe", line: "ip link | grep vmbr0", want: hookAction{Shell: "pipe"}},
		{name: "list", line: "true && false", want: hookAction{Shell: "command list"}},
		{name: "semicolon", line: "true; false", want: hookAction{Shell: "command list"}},
		{name: "variable", line: "logger $IFACE", want: hookAction{Shell: "expansion"}},
		{name: "variable in double quotes", line: `logger "$IFACE up"`, want: hookAction{Shell: "expansion in double quotes"}},
		{name: "glob", line: "cat /sys/class/net/*/mtu", want: hookAction{Shell: "glob"}},
		{name: "assignment", line: "FOO=1 logger x", want: hookAction{Shell: "variable assignment"}},
		{name: "option with equals", line: "ethtool --set-priv-flags eno1 a=on", want: hookAction{Argv: strings.Fields("ethtool --set-priv-flags eno1 a=on")}},
		{name: "comment", line: "logger x # note", want: hookAction{Shell: "comment"}},
		{name: "tilde", line: "cat ~/x", want: hookAction{Shell: "tilde expansion"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseHook(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseHook(%q) mismatch (-want +got):\n%s", tc.line, diff)
			}
		})
	}
	for _, bad := range []string{"", "  ", "echo 'x", `echo "x`, `echo x\`} {
		if _, err := parseHook(bad); err == nil {
			t.Errorf("parseHook(%q) accepted", bad)
		}
	}
}

// FuzzSplitWords checks that a line split without a shell splits into the
// same words again once they are quoted back.
func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{"iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o eno1 -j MASQUERADE", `a "b c" d\ e`, "echo 1 > /proc/sys/x", "a|b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, reason, err := splitWords(line)
		if err != nil || reason != "" {
			return
		}
		again, reason, err := splitWords(strings.Join(quoteAll(words), " "))
		if err != nil || reason != "" || !cmp.Equal(words, again, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") })) {
			t.Fatalf("%q: %q, then %q (%q, %v)", line, words, again, reason, err)
		}
	})
}
