package fingerprint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/nomad/structs"
)

// nopConfigurator stands in for the client's network configurator.
type nopConfigurator struct{ interfaces.NetworkConfigurator }

// fakePlugin writes an executable that answers CNI_COMMAND=VERSION as CNI
// plugins do.
func fakePlugin(t *testing.T, dir, name string) {
	t.Helper()
	script := `#!/bin/sh
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'; exit 0; fi
echo "CNI ` + name + ` plugin v1.2.3" >&2
`
	must.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755))
}

// TestFingerprint_CNIPluginsPerMode: the node offers bridge and its CNI
// networks and says which plugins each runs, also when some are missing, so
// that the scheduler can name what a node lacks.
func TestFingerprint_CNIPluginsPerMode(t *testing.T) {
	binDir, confDir := t.TempDir(), t.TempDir()
	for _, p := range []string{"loopback", "bridge", "host-local", "firewall", "macvlan"} { // no portmap
		fakePlugin(t, binDir, p)
	}
	confs := map[string]string{
		"10-mynet.conflist": `{"cniVersion":"1.0.0","name":"mynet","plugins":[
			{"type":"bridge","bridge":"mynet0","ipam":{"type":"host-local","subnet":"10.88.0.0/16"}},
			{"type":"portmap","capabilities":{"portMappings":true}}]}`,
		"20-lan.conf": `{"cniVersion":"1.0.0","name":"lan","type":"macvlan","master":"eth0","ipam":{"type":"host-local"}}`,
	}
	for name, body := range confs {
		must.NoError(t, os.WriteFile(filepath.Join(confDir, name), []byte(body), 0o644))
	}
	cfg := &config.Config{CNIPath: binDir, CNIConfigDir: confDir, NetworkConfigurator: nopConfigurator{}}
	cfg.Canonicalize()
	node := &structs.Node{Attributes: map[string]string{}, NodeResources: &structs.NodeResources{}}
	fingerprintNetworkModes(cfg, node, cfg.Logger)

	must.Eq(t, "v1.2.3", node.Attributes["plugins.cni.version.bridge"])
	must.MapNotContainsKey(t, node.Attributes, "plugins.cni.version.portmap")
	must.Eq(t, "bridge,host-local,portmap", node.Attributes["plugins.cni.network.mynet.plugins"])
	must.Eq(t, "macvlan,host-local", node.Attributes["plugins.cni.network.lan.plugins"])

	var modes []string
	for _, n := range node.NodeResources.Networks {
		modes = append(modes, n.Mode)
	}
	if network.BridgeSupported() {
		must.Eq(t, []string{"none", "bridge", "cni/lan", "cni/mynet"}, modes, must.Sprint("bridge is offered though portmap is missing"))
		must.Eq(t, "loopback,bridge,host-local,firewall,portmap", node.Attributes["plugins.cni.bridge.plugins"])
	} else {
		must.Eq(t, []string{"none", "cni/lan", "cni/mynet"}, modes)
		must.MapNotContainsKey(t, node.Attributes, "plugins.cni.bridge.plugins")
	}

	// A client that cannot build group networks offers no mode and no lists.
	plain := &structs.Node{Attributes: map[string]string{}, NodeResources: &structs.NodeResources{}}
	cfg.NetworkConfigurator = nil
	fingerprintNetworkModes(cfg, plain, cfg.Logger)
	must.SliceEmpty(t, plain.NodeResources.Networks)
	must.MapNotContainsKey(t, plain.Attributes, "plugins.cni.network.mynet.plugins")
	must.Eq(t, "v1.2.3", plain.Attributes["plugins.cni.version.macvlan"])
}
