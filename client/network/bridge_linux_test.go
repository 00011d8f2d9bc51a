package network

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

// TestBridge_Traffic proves the bridge network with packets: mapped ports (TCP
// and UDP, `to` honoured) answer on the host's IP, on 127.0.0.1 and from an
// outside machine through a FORWARD DROP policy; an unmapped
// listener is not exposed; the allocation reaches the host and the outside
// through NAT; two allocations on one bridge both work.
func TestBridge_Traffic(t *testing.T) { forEachNATBackend(t, testBridgeTraffic) }

func testBridgeTraffic(t *testing.T, backend string) {
	w := newWorld(t, withNATBackend(backend))
	a := newAlloc(port("http", 28080, 8080), port("dns", 28053, 5353))
	b := newAlloc(port("http", 28081, 8080))
	stA := w.setup(a, bridgeSpec)
	stB := w.setup(b, bridgeSpec)

	subnet := netip.MustParsePrefix(DefaultBridgeSubnet)
	for _, st := range []*structs.AllocNetworkStatus{stA, stB} {
		must.Eq(t, "eth0", st.InterfaceName)
		must.True(t, subnet.Contains(netip.MustParseAddr(st.Address)), must.Sprintf("address %s", st.Address))
	}
	must.NotEq(t, stA.Address, stB.Address)
	must.Eq(t, w.c.NetnsPath(a.ID), stA.NetnsPath)

	serveTCP(t, stA.NetnsPath, ":8080", banner("alloc-a"))
	serveUDP(t, stA.NetnsPath, ":5353", "alloc-a-udp")
	serveTCP(t, stA.NetnsPath, ":9090", banner("unmapped"))
	serveTCP(t, stB.NetnsPath, ":8080", banner("alloc-b"))
	serveTCP(t, w.host, hostIP+":7001", remoteIP)
	serveTCP(t, w.client, clientIP+":7002", remoteIP)

	cases := []struct {
		name string
		from string
		ask  func(from string) (string, error)
		want string
	}{
		{"host ip to mapped port", w.host, tcp(hostIP + ":28080"), "alloc-a"},
		{"loopback to mapped port", w.host, tcp("127.0.0.1:28080"), "alloc-a"},
		{"outside machine through FORWARD DROP", w.client, tcp(hostIP + ":28080"), "alloc-a"},
		{"udp to mapped port", w.host, udp(hostIP + ":28053"), "alloc-a-udp"},
		{"udp from outside", w.client, udp(hostIP + ":28053"), "alloc-a-udp"},
		{"second alloc", w.host, tcp(hostIP + ":28081"), "alloc-b"},
		{"second alloc via loopback", w.host, tcp("127.0.0.1:28081"), "alloc-b"},
		{"alloc to alloc via host port", stB.NetnsPath, tcp(hostIP + ":28080"), "alloc-a"},
		{"alloc reaches the host through the gateway", stA.NetnsPath, tcp(hostIP + ":7001"), stA.Address},
		// The outside machine sees the host's address: NAT (ipMasq) out.
		{"alloc reaches outside, masqueraded", stA.NetnsPath, tcp(clientIP + ":7002"), hostIP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustReach(t, tc.name, tc.want, func() (string, error) { return tc.ask(tc.from) })
		})
	}

	t.Run("unmapped listener is not exposed on host addresses", func(t *testing.T) {
		for _, addr := range []string{hostIP + ":9090", "127.0.0.1:9090"} {
			_, err := dialTCP(w.host, addr)
			must.Error(t, err, must.Sprintf("%s reachable", addr))
		}
		// and it is not among the host's listeners
		out := w.sh(w.host, "ss", "-Hltn")
		must.StrNotContains(t, out, ":9090")
		must.StrNotContains(t, out, ":8080")
	})
}

// TestBridge_Hairpin: an allocation reaches its own mapped port through the
// host's address. With br_netfilter loaded (Docker hosts) the DNAT'd frame is
// bridged back out of the port it came in on, which needs hairpin mode: that is
// what bridge_network_hairpin_mode (Config.HairpinMode) is for.
func TestBridge_Hairpin(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.HairpinMode = true })
	a := newAlloc(port("http", 28080, 8080))
	st := w.setup(a, bridgeSpec)
	serveTCP(t, st.NetnsPath, ":8080", banner("self"))
	mustReach(t, "hairpin via host ip", "self", func() (string, error) { return dialTCP(st.NetnsPath, hostIP+":28080") })
}

func tcp(addr string) func(string) (string, error) {
	return func(ns string) (string, error) { return dialTCP(ns, addr) }
}

func udp(addr string) func(string) (string, error) {
	return func(ns string) (string, error) { return askUDP(ns, addr) }
}

// TestBridge_SameHostPortRefused: portmap does not reserve host ports, and a
// second DNAT rule for a port would silently lose to the first; Setup refuses it
// while the first allocation lives, and allows it once that one is gone.
func TestBridge_SameHostPortRefused(t *testing.T) {
	w := newWorld(t, nil)
	a := newAlloc(port("http", 28080, 8080))
	stA := w.setup(a, bridgeSpec)
	serveTCP(t, stA.NetnsPath, ":8080", banner("first"))

	c := newAlloc(port("web", 28080, 80))
	_, err := w.trySetup(c, bridgeSpec)
	must.ErrorContains(t, err, `host port 28080/tcp is already mapped to allocation "`+a.ID+`"`)
	w.mustBeGone(c.ID, "", 1)
	mustReach(t, "first keeps its port", "first", func() (string, error) { return dialTCP(w.host, hostIP+":28080") })

	must.NoError(t, w.teardown(a, bridgeSpec, stA))
	stC := w.setup(c, bridgeSpec)
	serveTCP(t, stC.NetnsPath, ":80", banner("second"))
	mustReach(t, "port moves to second", "second", func() (string, error) { return dialTCP(w.host, hostIP+":28080") })
}

// TestBridge_TeardownIdempotent: after Teardown nothing of the allocation
// remains; Teardown twice, and Teardown without Setup, are fine.
func TestBridge_TeardownIdempotent(t *testing.T) { forEachNATBackend(t, testBridgeTeardownIdempotent) }

func testBridgeTeardownIdempotent(t *testing.T, backend string) {
	w := newWorld(t, withNATBackend(backend))
	a := newAlloc(port("http", 28080, 8080))
	st, err := w.trySetup(a, bridgeSpec)
	must.NoError(t, err)
	must.SliceNotEmpty(t, w.leftovers(a.ID, st.Address, 0)) // the check can see things

	must.NoError(t, w.teardown(a, bridgeSpec, st))
	must.NoError(t, w.teardown(a, bridgeSpec, st))
	must.NoError(t, w.teardown(a, bridgeSpec, nil))
	w.mustBeGone(a.ID, st.Address, 0)

	never := newAlloc(port("http", 28081, 8080))
	must.NoError(t, w.teardown(never, bridgeSpec, nil))
	must.NoError(t, w.teardown(never, noneSpec, nil))
}

// TestBridge_Check: CHECK passes on a healthy network and fails when the
// allocation's interface or namespace is gone.
func TestBridge_Check(t *testing.T) {
	w := newWorld(t, nil)
	a := newAlloc(port("http", 28080, 8080))
	st := w.setup(a, bridgeSpec)
	check := func() error {
		return w.do(func() error { return w.c.Check(context.Background(), a, bridgeSpec, st) })
	}
	must.NoError(t, check())

	w.sh(st.NetnsPath, "ip", "link", "del", "eth0")
	must.Error(t, check())

	must.NoError(t, w.teardown(a, bridgeSpec, st))
	must.ErrorContains(t, check(), "is missing")
}

// TestNone: the namespace has only lo, UP, and 127.0.0.1 works inside.
func TestNone(t *testing.T) {
	w := newWorld(t, nil)
	a := newAlloc(port("http", 28080, 8080))
	st := w.setup(a, noneSpec)
	must.Eq(t, "", st.Address)
	must.True(t, isNetns(st.NetnsPath))

	var ifs []net.Interface
	must.NoError(t, WithNetNS(st.NetnsPath, func() error {
		var err error
		ifs, err = net.Interfaces()
		return err
	}))
	must.SliceLen(t, 1, ifs)
	must.Eq(t, "lo", ifs[0].Name)
	must.True(t, ifs[0].Flags&net.FlagUp != 0, must.Sprint("lo is down"))

	serveTCP(t, st.NetnsPath, "127.0.0.1:8080", banner("inside"))
	mustReach(t, "loopback inside", "inside", func() (string, error) { return dialTCP(st.NetnsPath, "127.0.0.1:8080") })
	_, err := dialTCP(w.host, hostIP+":28080")
	must.Error(t, err)

	must.NoError(t, w.teardown(a, noneSpec, st))
	must.NoError(t, w.teardown(a, noneSpec, st))
	_, err = os.Lstat(st.NetnsPath)
	must.True(t, os.IsNotExist(err))
	err = w.do(func() error { return w.c.Check(context.Background(), a, noneSpec, nil) })
	must.ErrorContains(t, err, "is missing")
}

// TestBridge_AdminChain: on a host whose FORWARD policy is DROP (Docker), the
// NOMAD-ADMIN rule is what lets an outside machine reach a mapped port; Setup
// puts it back when it is missing.
func TestBridge_AdminChain(t *testing.T) {
	w := newWorld(t, nil)
	a := newAlloc(port("http", 28080, 8080))
	st := w.setup(a, bridgeSpec)
	serveTCP(t, st.NetnsPath, ":8080", banner("a"))
	fromOutside := func() (string, error) { return dialTCP(w.client, hostIP+":28080") }
	mustReach(t, "outside", "a", fromOutside)

	rule := []string{"-d", DefaultBridgeSubnet, "-o", DefaultBridgeName, "-j", "ACCEPT"}
	w.sh(w.host, append([]string{"iptables", "-w", "-D", DefaultAdminChain}, rule...)...)
	_, err := fromOutside()
	must.Error(t, err, must.Sprint("reachable from outside without the NOMAD-ADMIN rule"))

	w.setup(newAlloc(), bridgeSpec)
	mustReach(t, "outside after the rule came back", "a", fromOutside)
	out := w.sh(w.host, "iptables", "-w", "-S", DefaultAdminChain)
	must.Eq(t, 1, countLines(out, "-o "+DefaultBridgeName+" -j ACCEPT"))
}

// TestBridge_SetupReplacesLeftovers: a Setup interrupted by an agent crash
// leaves a namespace behind and its status is never persisted, so the restarted
// agent calls Setup again: the leftovers are removed first, and the allocation
// ends up with exactly one address, veth and set of rules.
func TestBridge_SetupReplacesLeftovers(t *testing.T) {
	forEachNATBackend(t, testBridgeSetupReplacesLeftovers)
}

func testBridgeSetupReplacesLeftovers(t *testing.T, backend string) {
	w := newWorld(t, withNATBackend(backend))
	a := newAlloc(port("http", 28080, 8080))
	_, err := w.trySetup(a, bridgeSpec)
	must.NoError(t, err)
	st := w.setup(a, bridgeSpec)

	serveTCP(t, st.NetnsPath, ":8080", banner("again"))
	mustReach(t, "port after second setup", "again", func() (string, error) { return dialTCP(w.host, hostIP+":28080") })
	veths := 0
	for _, l := range w.links() {
		if strings.HasPrefix(l, "veth") {
			veths++
		}
	}
	must.Eq(t, 1, veths)
	reservations := ipamReservations(filepath.Join(w.cfg.IPAMDataDir, BridgeNetworkName))
	must.MapLen(t, 1, reservations)
	must.Eq(t, a.ID, reservations[st.Address])
	if backend == NATBackendNFTables {
		must.Eq(t, 1, countLines(w.sh(w.host, "nft", "list", "table", "inet", "cni_plugins_masquerade"), "ip saddr "+st.Address+" "))
		must.Eq(t, 2, countLines(w.sh(w.host, "nft", "list", "chain", "ip", "cni_hostport", "hostports"), "dnat to "+st.Address+":8080"))
		return
	}
	must.Eq(t, 1, countLines(w.sh(w.host, "iptables-save", "-t", "nat"), "-A POSTROUTING -s "+st.Address+"/32"))
}

// TestPrepare: at client start the host rules every bridge setup needs are made
// once — the admin rule, the firewall plugin's chain and jumps, the localnet
// guard — before any allocation; the first setup adds none of them again.
func TestPrepare(t *testing.T) {
	w := newWorld(t, nil)
	must.NoError(t, w.do(func() error { return w.c.Prepare(context.Background()) }))
	rules := w.sh(w.host, "iptables-save", "-t", "filter")
	for _, want := range []string{
		"-A " + DefaultAdminChain + " -d " + DefaultBridgeSubnet + " -o " + DefaultBridgeName + " -j ACCEPT",
		`-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD`,
		`-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j ` + DefaultAdminChain,
		"-A INPUT -j " + LocalnetGuardChain,
	} {
		must.Eq(t, 1, countLines(rules, want), must.Sprintf("want once: %s\n%s", want, rules))
	}

	w.setup(newAlloc(port("http", 28080, 8080)), bridgeSpec)
	after := w.sh(w.host, "iptables-save", "-t", "filter")
	must.Eq(t, 1, countLines(after, "-j CNI-FORWARD"), must.Sprint(after))
	must.Eq(t, 1, countLines(after, "-o "+DefaultBridgeName+" -j ACCEPT"), must.Sprint(after))
}
