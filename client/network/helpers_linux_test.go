package network

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
	"golang.org/x/sys/unix"

	"github.com/netnomad/netnomad/nomad/structs"
)

const (
	testCNIPath = "/opt/cni/bin"
	hostIP      = "10.123.0.1" // the "host" namespace's address on its uplink
	clientIP    = "10.123.0.2" // an outside machine, behind the host's uplink
)

var testPlugins = []string{"loopback", "bridge", "host-local", "firewall", "portmap"}

// requireNetTest skips (locally) or fails (CI=true) unless we are root and have
// iptables, iproute2 and the reference CNI plugins (scripts/install-cni.sh).
func requireNetTest(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, cmd := range []string{"iptables", "iptables-save", "iptables-restore", "ip"} {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd)
		}
	}
	for _, p := range testPlugins {
		if _, err := os.Stat(filepath.Join(testCNIPath, p)); err != nil {
			missing = append(missing, filepath.Join(testCNIPath, p))
		}
	}
	if len(missing) == 0 {
		return
	}
	missingCapability(t, fmt.Sprintf("network test needs %s (run scripts/install-cni.sh as root)", strings.Join(missing, ", ")))
}

// world is a throwaway host: a "host" network namespace in which the code under
// test runs (bridge, iptables rules and alloc namespaces all live in it, or under
// the test's temp dir), plus a "client" namespace standing for an outside machine
// on the host's uplink (10.123.0.0/24). The host's FORWARD policy is DROP, as on a
// machine running Docker. Everything goes away in t.Cleanup.
type world struct {
	t      testing.TB
	host   string
	client string
	cfg    Config
	c      *Configurator
}

func newWorld(t testing.TB, mutate func(*Config)) *world {
	t.Helper()
	requireNetTest(t)
	dir := t.TempDir()
	nsDir := filepath.Join(dir, "worlds")
	w := &world{t: t, host: filepath.Join(nsDir, "host"), client: filepath.Join(nsDir, "client")}
	t.Cleanup(func() { _ = unix.Unmount(nsDir, unix.MNT_DETACH) })
	for _, p := range []string{w.host, w.client} {
		must.NoError(t, createNetns(p))
		t.Cleanup(func() { _ = destroyNetns(p) })
	}
	w.sh(w.host, "ip", "link", "set", "lo", "up")
	w.sh(w.client, "ip", "link", "set", "lo", "up")
	w.sh(w.host, "ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "eth0", "netns", w.client)
	w.sh(w.host, "ip", "addr", "add", hostIP+"/24", "dev", "uplink0")
	w.sh(w.host, "ip", "link", "set", "uplink0", "up")
	w.sh(w.client, "ip", "addr", "add", clientIP+"/24", "dev", "eth0")
	w.sh(w.client, "ip", "link", "set", "eth0", "up")
	w.sh(w.client, "ip", "route", "add", "default", "via", hostIP)
	w.sh(w.host, "iptables", "-w", "-P", "FORWARD", "DROP")

	w.cfg = Config{
		Logger:       testLogger(t),
		CNIPath:      []string{testCNIPath},
		CNIConfigDir: filepath.Join(dir, "cni-config"),
		NetnsDir:     filepath.Join(dir, "netns"),
		CNICacheDir:  filepath.Join(dir, "cni-cache"),
		IPAMDataDir:  filepath.Join(dir, "ipam"),
	}
	if mutate != nil {
		mutate(&w.cfg)
	}
	must.NoError(t, os.MkdirAll(w.cfg.CNIConfigDir, 0o755))
	t.Cleanup(func() { _ = unix.Unmount(w.cfg.NetnsDir, unix.MNT_DETACH) })
	c, err := NewConfigurator(w.cfg)
	must.NoError(t, err)
	w.c = c
	w.cfg = c.cfg // with defaults
	return w
}

// natBackends are the Config.NATBackend values the data-path tests run under.
var natBackends = []string{NATBackendIPTables, NATBackendNFTables}

// forEachNATBackend runs test once per NAT backend, as a subtest named after it.
func forEachNATBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range natBackends {
		t.Run(b, func(t *testing.T) {
			if b == NATBackendNFTables && !nftablesUsable() {
				missingCapability(t, "nftables backend needs the nft command (Debian package nftables)")
			}
			test(t, b)
		})
	}
}

// withNATBackend is a newWorld mutator selecting the NAT backend.
func withNATBackend(backend string) func(*Config) {
	return func(c *Config) { c.NATBackend = backend }
}

// sh runs a command inside the namespace at ns and fails the test on error.
func (w *world) sh(ns string, args ...string) string {
	w.t.Helper()
	out, err := shIn(ns, args...)
	must.NoError(w.t, err)
	return out
}

func shIn(ns string, args ...string) (string, error) {
	var out []byte
	err := WithNetNS(ns, func() error {
		var err error
		out, err = exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
		}
		return nil
	})
	return string(out), err
}

// do runs fn inside the host namespace.
func (w *world) do(fn func() error) error { return WithNetNS(w.host, fn) }

// setup sets up alloc in the host namespace and registers its teardown.
func (w *world) setup(alloc *structs.Allocation, spec *structs.NetworkResource) *structs.AllocNetworkStatus {
	w.t.Helper()
	st, err := w.trySetup(alloc, spec)
	must.NoError(w.t, err)
	w.t.Cleanup(func() { _ = w.teardown(alloc, spec, st) })
	return st
}

func (w *world) trySetup(alloc *structs.Allocation, spec *structs.NetworkResource) (*structs.AllocNetworkStatus, error) {
	var st *structs.AllocNetworkStatus
	err := w.do(func() error {
		var err error
		st, err = w.c.Setup(context.Background(), alloc, spec)
		return err
	})
	return st, err
}

func (w *world) teardown(alloc *structs.Allocation, spec *structs.NetworkResource, st *structs.AllocNetworkStatus) error {
	return w.do(func() error { return w.c.Teardown(context.Background(), alloc, spec, st) })
}

// leftovers lists what remains on the host of the allocation id (empty = none),
// given that otherVeths veths belong to other, live allocations.
func (w *world) leftovers(id, ip string, otherVeths int) []string {
	var out []string
	if _, err := os.Lstat(w.c.NetnsPath(id)); err == nil {
		out = append(out, "netns file")
	}
	var veths []string
	for _, l := range w.links() {
		if strings.HasPrefix(l, "veth") {
			veths = append(veths, l)
		}
	}
	if len(veths) > otherVeths {
		out = append(out, fmt.Sprintf("veths %v (want %d)", veths, otherVeths))
	}
	rules, err := shIn(w.host, "iptables-save")
	if err != nil {
		out = append(out, err.Error())
	}
	for _, line := range strings.Split(rules, "\n") {
		if strings.Contains(line, id) || (ip != "" && strings.Contains(line, ip+"/32")) {
			out = append(out, "rule "+line)
		}
	}
	// the nftables backends' rules (tables cni_hostport, cni_plugins_masquerade)
	var nft string
	if _, err := exec.LookPath("nft"); err == nil {
		if nft, err = shIn(w.host, "nft", "list", "ruleset"); err != nil {
			out = append(out, err.Error())
		}
	}
	for _, line := range strings.Split(nft, "\n") {
		if strings.Contains(line, id) || (ip != "" && (strings.Contains(line, " "+ip+" ") || strings.Contains(line, " "+ip+":"))) {
			out = append(out, "nft rule "+strings.TrimSpace(line))
		}
	}
	filepath.WalkDir(w.cfg.IPAMDataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(id)) {
				out = append(out, "ipam "+p)
			}
		}
		return nil
	})
	filepath.WalkDir(w.cfg.CNICacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, id) {
			out = append(out, "cache "+p)
		}
		return nil
	})
	return out
}

// mustBeGone waits until nothing of alloc id remains (veths die asynchronously
// after their namespace). otherVeths is the number of live allocations' veths.
func (w *world) mustBeGone(id, ip string, otherVeths int) {
	w.t.Helper()
	must.Wait(w.t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		if l := w.leftovers(id, ip, otherVeths); len(l) > 0 {
			return fmt.Errorf("leftovers of %s: %v", id, l)
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond)))
}

// links lists the interfaces of the host namespace.
func (w *world) links() []string {
	var names []string
	_ = w.do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	})
	slices.Sort(names)
	return names
}

// newAlloc returns an allocation with a fresh ID and the given group ports.
func newAlloc(ports ...structs.AllocatedPortMapping) *structs.Allocation {
	return &structs.Allocation{
		ID: uuid.NewString(),
		AllocatedResources: &structs.AllocatedResources{
			Shared: structs.AllocatedSharedResources{Ports: ports},
		},
	}
}

func port(label string, value, to int) structs.AllocatedPortMapping {
	return structs.AllocatedPortMapping{Label: label, Value: value, To: to}
}

var (
	bridgeSpec = &structs.NetworkResource{Mode: structs.NetworkModeBridge}
	noneSpec   = &structs.NetworkResource{Mode: structs.NetworkModeNone}
)

// serveTCP listens on addr inside ns and answers every connection with
// reply(conn) and a newline.
func serveTCP(t testing.TB, ns, addr string, reply func(net.Conn) string) {
	t.Helper()
	var ln net.Listener
	must.NoError(t, WithNetNS(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	}))
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(conn, reply(conn))
			conn.Close()
		}
	}()
}

func banner(s string) func(net.Conn) string { return func(net.Conn) string { return s } }

func remoteIP(c net.Conn) string { return c.RemoteAddr().(*net.TCPAddr).IP.String() }

// serveUDP answers every datagram on addr inside ns with reply.
func serveUDP(t testing.TB, ns, addr, reply string) {
	t.Helper()
	var pc net.PacketConn
	must.NoError(t, WithNetNS(ns, func() error {
		var err error
		pc, err = net.ListenPacket("udp", addr)
		return err
	}))
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(reply), from)
		}
	}()
}

// dialTCP connects to addr from inside ns and returns the server's line.
func dialTCP(ns, addr string) (string, error) {
	var line string
	err := WithNetNS(ns, func() error {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		line, err = bufio.NewReader(conn).ReadString('\n')
		line = strings.TrimSpace(line)
		if err == io.EOF && line != "" {
			err = nil
		}
		return err
	})
	return line, err
}

// askUDP sends one datagram to addr from inside ns and returns the reply.
func askUDP(ns, addr string) (string, error) {
	var reply string
	err := WithNetNS(ns, func() error {
		conn, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := conn.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 1500)
		n, err := conn.Read(buf)
		reply = string(buf[:n])
		return err
	})
	return reply, err
}

// mustReach waits until ask returns want (first packets may race ARP/setup).
func mustReach(t testing.TB, what, want string, ask func() (string, error)) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		got, err := ask()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if got != want {
			return fmt.Errorf("%s: got %q, want %q", what, got, want)
		}
		return nil
	}), wait.Timeout(5*time.Second), wait.Gap(50*time.Millisecond)))
}

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// countLines counts the lines of s containing substr.
func countLines(s, substr string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}
