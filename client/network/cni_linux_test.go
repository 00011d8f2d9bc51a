package network

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

// writeCNIConfig writes an operator's CNI config file into the world's config dir.
func (w *world) writeCNIConfig(file string, conf map[string]any) {
	w.t.Helper()
	b, err := json.MarshalIndent(conf, "", "  ")
	must.NoError(w.t, err)
	must.NoError(w.t, os.WriteFile(filepath.Join(w.cfg.CNIConfigDir, file), b, 0o644))
}

func testBridgePlugin(bridge, subnet, dataDir string) map[string]any {
	return map[string]any{
		"type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": true,
		"ipam": map[string]any{
			"type": "host-local", "dataDir": dataDir,
			"ranges": [][]map[string]string{{{"subnet": subnet}}},
			"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
		},
	}
}

var testPortmapPlugin = map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true}

// TestCNINetwork: cni/<name> runs the operator's config from the config dir
// (.conflist, or a .conf converted to a list), honours `to` through portmap, and
// leaves nothing behind on Teardown.
func TestCNINetwork(t *testing.T) {
	w := newWorld(t, nil)
	dataDir := filepath.Join(w.cfg.IPAMDataDir, "operator")
	w.writeCNIConfig("10-testnet.conflist", map[string]any{
		"cniVersion": "1.0.0", "name": "testnet",
		"plugins": []any{map[string]any{"type": "loopback"}, testBridgePlugin("cnitest0", "10.124.0.0/24", dataDir), testPortmapPlugin},
	})
	w.writeCNIConfig("20-single.conf", map[string]any{
		"cniVersion": "1.0.0", "name": "single", "type": "bridge", "bridge": "cnitest1", "isGateway": true,
		"ipam": testBridgePlugin("", "10.125.0.0/24", dataDir)["ipam"],
	})

	t.Run("conflist honours to", func(t *testing.T) {
		spec := &structs.NetworkResource{Mode: "cni/testnet"}
		a := newAlloc(port("http", 28090, 8080))
		st := w.setup(a, spec)
		must.True(t, netip.MustParsePrefix("10.124.0.0/24").Contains(netip.MustParseAddr(st.Address)))
		serveTCP(t, st.NetnsPath, ":8080", banner("operator-net"))
		mustReach(t, "host ip", "operator-net", func() (string, error) { return dialTCP(w.host, hostIP+":28090") })
		mustReach(t, "loopback", "operator-net", func() (string, error) { return dialTCP(w.host, "127.0.0.1:28090") })
		serveTCP(t, st.NetnsPath, "127.0.0.1:9000", banner("lo-up"))
		mustReach(t, "loopback plugin ran", "lo-up", func() (string, error) { return dialTCP(st.NetnsPath, "127.0.0.1:9000") })

		must.NoError(t, w.teardown(a, spec, st))
		w.mustBeGone(a.ID, st.Address, 0)
	})

	t.Run("conf file", func(t *testing.T) {
		spec := &structs.NetworkResource{Mode: "cni/single"}
		a := newAlloc()
		st := w.setup(a, spec)
		must.True(t, netip.MustParsePrefix("10.125.0.0/24").Contains(netip.MustParseAddr(st.Address)))
		must.NoError(t, w.teardown(a, spec, st))
		w.mustBeGone(a.ID, st.Address, 0)
	})

	t.Run("unknown network", func(t *testing.T) {
		a := newAlloc()
		_, err := w.trySetup(a, &structs.NetworkResource{Mode: "cni/nope"})
		must.ErrorContains(t, err, `failed to load cni network "nope"`)
		w.mustBeGone(a.ID, "", 0)
	})

	t.Run("unknown mode", func(t *testing.T) {
		_, err := w.trySetup(newAlloc(), &structs.NetworkResource{Mode: "weird"})
		must.ErrorContains(t, err, `network mode "weird" is not supported`)
	})
}

// TestSetupRollback: when the last plugin of the chain fails, everything the
// earlier plugins made is undone: no namespace, veth, IPAM file, rule or cache.
func TestSetupRollback(t *testing.T) {
	w := newWorld(t, nil)
	dataDir := filepath.Join(w.cfg.IPAMDataDir, "operator")
	w.writeCNIConfig("broken.conflist", map[string]any{
		"cniVersion": "1.0.0", "name": "broken",
		"plugins": []any{
			map[string]any{"type": "loopback"},
			testBridgePlugin("cnitest0", "10.124.0.0/24", dataDir),
			testPortmapPlugin,
			map[string]any{"type": "does-not-exist"},
		},
	})
	a := newAlloc(port("http", 28090, 8080))
	_, err := w.trySetup(a, &structs.NetworkResource{Mode: "cni/broken"})
	must.ErrorContains(t, err, "failed to configure network")
	must.ErrorContains(t, err, "does-not-exist")
	w.mustBeGone(a.ID, "10.124.0.2", 0)

	// The port is free again: a working network can take it.
	b := newAlloc(port("http", 28090, 8080))
	st := w.setup(b, bridgeSpec)
	serveTCP(t, st.NetnsPath, ":8080", banner("after-rollback"))
	mustReach(t, "port usable after rollback", "after-rollback", func() (string, error) { return dialTCP(w.host, hostIP+":28090") })
}
