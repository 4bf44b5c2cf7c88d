//go:build integration

package live

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostadm/hostadm/internal/testenv"
	"github.com/hostadm/hostadm/netcfg"
)

func TestLinksMatchIP(t *testing.T) {
	testenv.RequireTool(t, "ip")
	c, ns := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	mac, _ := net.ParseMAC("02:00:00:00:01:01")
	if err := c.Create(ctx, &Link{Name: "vmbr0", Kind: "bridge", MAC: mac}, &BridgeOptions{STP: ptr(false), ForwardDelay: ptr(0)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMaster(ctx, "eth1", "vmbr0"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLearning(ctx, "eth1", false); err != nil {
		t.Fatal(err)
	}
	if err := c.SetUp(ctx, "vmbr0", true); err != nil {
		t.Fatal(err)
	}
	links, err := c.Links(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ip []struct {
		Index     int      `json:"ifindex"`
		Name      string   `json:"ifname"`
		Flags     []string `json:"flags"`
		MTU       int      `json:"mtu"`
		Master    string   `json:"master"`
		OperState string   `json:"operstate"`
		Address   string   `json:"address"`
		Link      string   `json:"link"`
		Info      struct {
			Kind      string         `json:"info_kind"`
			Data      map[string]any `json:"info_data"`
			SlaveKind string         `json:"info_slave_kind"`
			SlaveData map[string]any `json:"info_slave_data"`
		} `json:"linkinfo"`
	}
	ipJSON(t, ns, &ip, "-d", "link", "show")
	if len(ip) != len(links) {
		t.Fatalf("ip shows %d links, Links %d", len(ip), len(links))
	}
	for _, want := range ip {
		var got *Link
		for i := range links {
			if links[i].Name == want.Name {
				got = &links[i]
			}
		}
		if got == nil {
			t.Errorf("%s missing", want.Name)
			continue
		}
		up := strings.Contains(","+strings.Join(want.Flags, ",")+",", ",UP,")
		kind := want.Info.Kind
		if want.Name == "lo" {
			kind = "loopback"
		}
		if got.Index != want.Index || got.MTU != want.MTU || got.Master != want.Master || got.Up != up ||
			got.MAC.String() != want.Address && want.Name != "lo" || got.Kind != kind {
			t.Errorf("%s: got %+v, ip says %+v", want.Name, *got, want)
		}
		if want.Link != "" && got.Parent != want.Link {
			t.Errorf("%s: parent %q, ip says %q", want.Name, got.Parent, want.Link)
		}
		if kind == "bridge" {
			if float64(got.Bridge.ForwardDelay) != want.Info.Data["forward_delay"] || boolNum(got.Bridge.STP) != want.Info.Data["stp_state"] {
				t.Errorf("%s: bridge %+v, ip says %v", want.Name, *got.Bridge, want.Info.Data)
			}
		}
		if want.Info.SlaveKind == "bridge" {
			if got.Port == nil || got.Port.Learning != want.Info.SlaveData["learning"] {
				t.Errorf("%s: port %+v, ip says %v", want.Name, got.Port, want.Info.SlaveData)
			}
		}
	}
}

const bridgeFile = `auto lo
iface lo inet loopback

iface eth1 inet manual

auto vmbr0
iface vmbr0 inet static
        address 192.168.10.2/24
        gateway 192.168.10.1
        address 2001:db8::2/64
        bridge-ports eth1
        bridge-stp off
        bridge-fd 0
        mtu 1400
`

func TestApplyBridgeAndReapply(t *testing.T) {
	c, ns := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	n := network(t, bridgeFile)
	res, err := c.Apply(ctx, n, nil)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Plan)
	}
	if res.NoOp() {
		t.Fatal("first apply did nothing")
	}
	st, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	br := st.Link("vmbr0")
	if br == nil || br.Kind != "bridge" || !br.Up || br.MTU != 1400 || br.Bridge.STP || br.Bridge.ForwardDelay != 0 {
		t.Fatalf("vmbr0: %+v", br)
	}
	if p := st.Link("eth1"); p.Master != "vmbr0" || !p.Up {
		t.Errorf("eth1: %+v", p)
	}
	var addrs []netip.Prefix
	for _, a := range st.AddressesOf("vmbr0") {
		if !a.Prefix.Addr().IsLinkLocalUnicast() {
			addrs = append(addrs, a.Prefix)
		}
	}
	if diff := cmp.Diff([]netip.Prefix{netip.MustParsePrefix("192.168.10.2/24"), netip.MustParsePrefix("2001:db8::2/64")}, addrs, stateOpts); diff != "" {
		t.Errorf("addresses mismatch (-want +got):\n%s", diff)
	}
	// ip agrees on the default route.
	var routes []struct {
		Dst, Gateway, Dev, Protocol string
	}
	ipJSON(t, ns, &routes, "route", "show", "default")
	if len(routes) != 1 || routes[0].Gateway != "192.168.10.1" || routes[0].Dev != "vmbr0" {
		t.Errorf("ip route show default: %+v", routes)
	}

	res, err = c.Apply(ctx, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.NoOp() {
		t.Errorf("second apply is not a no-op:\n%s", res.Plan)
	}
	if !strings.Contains(res.Plan.String(), "nothing to do") {
		t.Errorf("no-op plan says %q", res.Plan)
	}

	// Changing the file changes only what differs.
	n2 := network(t, strings.Replace(strings.Replace(bridgeFile, "mtu 1400", "mtu 1300", 1), "192.168.10.2/24", "192.168.10.3/24", 1))
	p, err := c.Plan(ctx, n2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range p.Steps {
		texts = append(texts, s.Text)
	}
	want := []string{"ip link set vmbr0 mtu 1300", "ip addr del 192.168.10.2/24 dev vmbr0", "ip addr add 192.168.10.3/24 dev vmbr0"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("plan mismatch (-want +got):\n%s", diff)
	}
}

func TestMACLearningAndFDB(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "ens18", "peer0")
	veth(t, c, "tap100i0", "peer1") // a guest NIC
	file := `auto vmbr0
iface vmbr0 inet static
        address 10.10.10.2/24
        gateway 10.10.10.1
        bridge-ports ens18
        bridge-stp off
        bridge-fd 0
        bridge-disable-mac-learning 1
`
	mac, _ := net.ParseMAC("bc:24:11:00:00:01")
	n := network(t, file)
	// The guest port joins the bridge as qemu-server does.
	if _, err := c.Apply(ctx, n, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMaster(ctx, "tap100i0", "vmbr0"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLearning(ctx, "tap100i0", false); err != nil {
		t.Fatal(err)
	}
	opts := &Options{FDB: []FDBEntry{{Port: "tap100i0", MAC: mac}}}
	res, err := c.Apply(ctx, n, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Steps) != 1 || res.Plan.Steps[0].Op != OpFDBAdd {
		t.Errorf("plan:\n%s", res.Plan)
	}
	st, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Link("ens18").Port; p == nil || p.Learning {
		t.Errorf("ens18 learning still on: %+v", p)
	}
	if p := st.Link("tap100i0"); p.Master != "vmbr0" {
		t.Errorf("the guest port was released: %+v", p)
	}
	if diff := cmp.Diff([]FDBEntry{{Port: "tap100i0", MAC: mac}}, st.FDB); diff != "" {
		t.Errorf("FDB mismatch (-want +got):\n%s", diff)
	}
	// bridge(8) sees the entry as static.
	out, err := exec.Command("ip", "netns", "exec", nsName(t, c), "bridge", "fdb", "show", "dev", "tap100i0").Output()
	if err != nil || !strings.Contains(string(out), "bc:24:11:00:00:01 master vmbr0 static") {
		t.Errorf("bridge fdb show: %s %v", out, err)
	}
	if res, err := c.Apply(ctx, n, opts); err != nil || !res.NoOp() {
		t.Errorf("re-apply: %v\n%s", err, res.Plan)
	}
	// Turning learning back on.
	n2 := network(t, strings.Replace(file, "bridge-disable-mac-learning 1", "bridge-disable-mac-learning 0", 1))
	if _, err := c.Apply(ctx, n2, nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.Link(ctx, "ens18"); l.Port == nil || !l.Port.Learning {
		t.Errorf("ens18 learning not back on: %+v", l.Port)
	}
}

// prepared gives a namespace some state an apply changes: a bridge with
// an address and route, a port, a sysctl.
func prepared(t *testing.T) (*Client, *State) {
	t.Helper()
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	veth(t, c, "eth2", "peer2")
	old := network(t, `auto eth1
iface eth1 inet static
        address 198.51.100.5/24
        gateway 198.51.100.1
        mtu 1450

auto vmbr9
iface vmbr9 inet static
        address 10.9.9.1/24
        bridge-ports eth2
        bridge-stp off
        bridge-fd 2
`)
	if _, err := c.Apply(ctx, old, nil); err != nil {
		t.Fatal(err)
	}
	snap, err := c.State(ctx, "net.ipv4.ip_forward", "net.ipv4.conf.eth1.proxy_arp")
	if err != nil {
		t.Fatal(err)
	}
	return c, snap
}

// newFile changes everything prepared set up.
const newFile = `auto eth1
iface eth1 inet static
        address 198.51.100.6/24
        gateway 198.51.100.254
        mtu 1500
        post-up echo 1 > /proc/sys/net/ipv4/ip_forward
        post-up echo 1 > /proc/sys/net/ipv4/conf/eth1/proxy_arp

auto vmbr9
iface vmbr9 inet static
        address 10.9.9.2/24
        bridge-ports none
        bridge-stp off
        bridge-fd 0

auto vmbr0
iface vmbr0 inet static
        address 10.10.10.1/24
        bridge-ports eth2
        bridge-stp on
        bridge-fd 4
        post-up ip link set dev vmbr0 alias applied
`

func TestFailedApplyRestores(t *testing.T) {
	c, snap := prepared(t)
	ctx := context.Background()
	n := network(t, newFile+"        post-up /bin/false\n")
	res, err := c.Apply(ctx, n, &Options{Previous: network(t, "auto vmbr9\niface vmbr9 inet manual\n    bridge-ports eth2\n")})
	if !errors.Is(err, ErrRestored) {
		t.Fatalf("apply error %v, want ErrRestored\n%s", err, res.Plan)
	}
	var se *StepError
	if !errors.As(err, &se) || len(se.Step.Argv) == 0 || se.Step.Argv[0] != "/bin/false" {
		t.Errorf("error %v does not name the failed step", err)
	}
	if res.Done == 0 || res.Done >= len(res.Plan.Steps) || res.Restore == nil || res.Restore.Empty() {
		t.Errorf("done %d of %d, restore %v", res.Done, len(res.Plan.Steps), res.Restore)
	}
	sameState(t, c, snap)
}

func TestUnconfirmedApplyRestores(t *testing.T) {
	c, snap := prepared(t)
	ctx := context.Background()
	// Long enough to read the applied state first on a loaded machine.
	tx, err := c.ApplyConfirm(ctx, network(t, newFile), nil, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.State(ctx, "net.ipv4.ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	if st.Link("vmbr0") == nil || st.Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Fatalf("not applied: %+v", st.Sysctls)
	}
	select {
	case <-tx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("no rollback after the deadline")
	}
	if !errors.Is(tx.Err(), ErrNotConfirmed) {
		t.Errorf("Err() = %v, want ErrNotConfirmed", tx.Err())
	}
	if err := tx.Confirm(); !errors.Is(err, ErrFinished) {
		t.Errorf("late Confirm: %v", err)
	}
	sameState(t, c, snap)
}

func TestConfirmedApplyStays(t *testing.T) {
	c, _ := prepared(t)
	ctx := context.Background()
	n := network(t, newFile)
	tx, err := c.ApplyConfirm(ctx, n, nil, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Confirm(); err != nil {
		t.Fatalf("confirm within the deadline: %v", err)
	}
	select {
	case <-tx.Done():
	default:
		t.Fatal("a confirmed transaction is not done")
	}
	time.Sleep(700 * time.Millisecond) // past the deadline: nothing is undone
	if err := tx.Err(); err != nil {
		t.Fatal(err)
	}
	st, err := c.State(ctx, "net.ipv4.ip_forward", "net.ipv4.conf.eth1.proxy_arp")
	if err != nil {
		t.Fatal(err)
	}
	br := st.Link("vmbr0")
	if br == nil || !br.Bridge.STP || br.Bridge.ForwardDelay != 400 || st.Link("eth2").Master != "vmbr0" {
		t.Fatalf("vmbr0 %+v, eth2 %+v", br, st.Link("eth2"))
	}
	if st.Sysctls["net.ipv4.ip_forward"] != "1" || st.Sysctls["net.ipv4.conf.eth1.proxy_arp"] != "1" {
		t.Errorf("sysctls %v", st.Sysctls)
	}
	// The post-up hook ran in the namespace (its argv without a shell).
	out, err := exec.Command("ip", "netns", "exec", nsName(t, c), "ip", "-o", "link", "show", "vmbr0").Output()
	if err != nil || !strings.Contains(string(out), "alias applied") {
		t.Errorf("post-up did not run: %s %v", out, err)
	}
	if res, err := c.Apply(ctx, n, nil); err != nil || !res.NoOp() {
		t.Errorf("re-apply: %v\n%s", err, res.Plan)
	}
}

func TestShellHookRunsInNamespace(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	dir := t.TempDir()
	n := network(t, `auto vmbr1
iface vmbr1 inet manual
        bridge-ports none
        post-up ip -o link show | grep -c . > `+dir+`/count
`)
	res, err := c.Apply(ctx, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := res.Plan.Steps[len(res.Plan.Steps)-1]
	if last.Shell != "pipe" {
		t.Errorf("hook step %+v: want a shell for the pipe", last)
	}
	b, err := os.ReadFile(dir + "/count")
	if err != nil {
		t.Fatal(err)
	}
	// lo and vmbr1: the host's links are not visible.
	if strings.TrimSpace(string(b)) != "2" {
		t.Errorf("hook saw %s links, want 2 (inside the namespace)", b)
	}
}

// stagedHost writes the live and staging interfaces files under a
// temporary root.
func stagedHost(t *testing.T, live, staged string) (*netcfg.Host, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "network")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "interfaces"), []byte(live), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "interfaces.new"), []byte(staged), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := netcfg.New(&netcfg.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, dir
}

const liveFile = `auto lo
iface lo inet loopback

iface eth1 inet manual

auto vmbr0
iface vmbr0 inet static
        address 192.168.10.2/24
        bridge-ports eth1
        bridge-stp off
        bridge-fd 0
`

func TestCommitAppliesAndKeeps(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	if _, err := c.Apply(ctx, network(t, liveFile), nil); err != nil {
		t.Fatal(err)
	}
	staged := strings.Replace(liveFile, "vmbr0", "vmbr1", -1)
	h, dir := stagedHost(t, liveFile, staged)
	tx, err := c.Commit(ctx, h, "", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces")); string(b) != staged {
		t.Errorf("live file not committed:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "interfaces.new")); !os.IsNotExist(err) {
		t.Errorf("interfaces.new still there: %v", err)
	}
	st, _ := c.State(ctx)
	if st.Link("vmbr0") != nil || st.Link("vmbr1") == nil || st.Link("eth1").Master != "vmbr1" {
		t.Errorf("not applied: vmbr0 %v, vmbr1 %v, eth1 %+v\n%s", st.Link("vmbr0"), st.Link("vmbr1"), st.Link("eth1"), tx.Result.Plan)
	}
}

func TestCommitFailureRestoresFileAndState(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	if _, err := c.Apply(ctx, network(t, liveFile), nil); err != nil {
		t.Fatal(err)
	}
	snap, _ := c.State(ctx)
	staged := strings.Replace(liveFile, "vmbr0", "vmbr1", -1) + "        post-up /bin/false\n"
	h, dir := stagedHost(t, liveFile, staged)
	_, err := c.Commit(ctx, h, "", nil, 0)
	if !errors.Is(err, ErrRestored) {
		t.Fatalf("commit: %v, want ErrRestored", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces")); string(b) != liveFile {
		t.Errorf("old file not restored:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces.new")); string(b) != staged {
		t.Errorf("staged change lost:\n%s", b)
	}
	sameState(t, c, snap)
}

func TestCommitUnconfirmedRestoresFileAndState(t *testing.T) {
	c, _ := nsClient(t)
	ctx := context.Background()
	veth(t, c, "eth1", "peer1")
	if _, err := c.Apply(ctx, network(t, liveFile), nil); err != nil {
		t.Fatal(err)
	}
	snap, _ := c.State(ctx)
	staged := strings.Replace(liveFile, "192.168.10.2/24", "192.168.10.3/24", 1)
	h, dir := stagedHost(t, liveFile, staged)
	tx, err := c.Commit(ctx, h, "", nil, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	<-tx.Done()
	if !errors.Is(tx.Err(), ErrNotConfirmed) {
		t.Errorf("Err() = %v", tx.Err())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces")); string(b) != liveFile {
		t.Errorf("old file not restored:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces.new")); string(b) != staged {
		t.Errorf("staged change lost:\n%s", b)
	}
	sameState(t, c, snap)
}

func TestCommitRefusesUnplannable(t *testing.T) {
	c, _ := nsClient(t)
	staged := "auto vmbr0\niface vmbr0 inet manual\n        bridge-ports eno7\n"
	h, dir := stagedHost(t, "", staged)
	_, err := c.Commit(context.Background(), h, "", nil, 0)
	if !errors.Is(err, ErrPlan) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("commit: %v, want ErrPlan or ErrInvalid", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "interfaces.new")); string(b) != staged {
		t.Errorf("staged file touched:\n%s", b)
	}
}

// network parses an interfaces file.
func network(t *testing.T, text string) *netcfg.Network {
	t.Helper()
	f, err := netcfg.Parse("/etc/network/interfaces", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return netcfg.NewNetwork(f)
}

// nsName finds the name of the client's namespace under /run/netns.
func nsName(t *testing.T, c *Client) string {
	t.Helper()
	want, err := os.Stat(c.k.nsPath())
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if fi, err := os.Stat(filepath.Join("/run/netns", e.Name())); err == nil && os.SameFile(fi, want) {
			return e.Name()
		}
	}
	t.Fatal("namespace has no name")
	return ""
}
