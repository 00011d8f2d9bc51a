package fingerprint

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// fpDriver is a driver that only fingerprints.
type fpDriver struct {
	drivers.Driver
	name string
	fp   *drivers.Fingerprint
}

func (d *fpDriver) Name() string                                     { return d.name }
func (d *fpDriver) Fingerprint(context.Context) *drivers.Fingerprint { return d.fp }

func TestFingerprint_Attributes(t *testing.T) {
	cfg := &config.Config{DataDir: t.TempDir(), Drivers: map[string]drivers.Driver{
		"raw_exec": &fpDriver{name: "raw_exec", fp: &drivers.Fingerprint{Detected: true, Healthy: true, Attributes: map[string]string{"version": "1"}}},
		"docker":   &fpDriver{name: "docker", fp: &drivers.Fingerprint{Detected: false, HealthDescription: "no docker"}},
	}}
	cfg.Canonicalize()
	node, err := Fingerprint(context.Background(), cfg, &structs.Node{ID: "n1"}, cfg.Logger)
	must.NoError(t, err)

	for _, k := range []string{
		"kernel.name", "kernel.version", "kernel.arch", "os.name", "cpu.arch", "cpu.numcores",
		"cpu.frequency", "cpu.totalcompute", "memory.totalbytes", "unique.hostname",
		"unique.network.ip-address", "network.ip-address", "nomad.version",
	} {
		t.Run(k, func(t *testing.T) {
			must.MapContainsKey(t, node.Attributes, k)
			must.NotEq(t, "", node.Attributes[k])
		})
	}
	must.Eq(t, "linux", node.Attributes["kernel.name"])
	must.Eq(t, "1", node.Attributes["driver.raw_exec"])
	must.Eq(t, "1", node.Attributes["driver.raw_exec.version"])
	must.MapNotContainsKey(t, node.Attributes, "driver.docker")
	must.False(t, node.Drivers["docker"].Healthy)
	must.True(t, node.Drivers["raw_exec"].Healthy)
	must.Eq(t, "n1", node.ID)

	total, err := strconv.ParseInt(node.Attributes["cpu.totalcompute"], 10, 64)
	must.NoError(t, err)
	must.Eq(t, total, node.NodeResources.CPUShares)
	must.Positive(t, node.NodeResources.MemoryMB)
	must.Positive(t, node.NodeResources.DiskMB)
	must.Eq(t, structs.DefaultMinDynamicPort, node.NodeResources.MinDynamicPort)

	must.Len(t, 1, node.NodeResources.Networks)
	hostNet := node.NodeResources.Networks[0]
	must.Eq(t, structs.NetworkModeHost, hostNet.Mode)
	must.Eq(t, node.Attributes["unique.network.ip-address"], hostNet.IP)
	must.NotNil(t, net.ParseIP(hostNet.IP))
}

func TestHostNetwork_Interface(t *testing.T) {
	for _, tc := range []struct {
		name    string
		iface   string
		wantIP  string
		wantErr bool
	}{
		{name: "loopback", iface: "lo", wantIP: "127.0.0.1"},
		{name: "missing falls back to loopback", iface: "does-not-exist0", wantIP: "127.0.0.1", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := HostNetwork(tc.iface)
			must.Eq(t, tc.wantErr, err != nil)
			must.Eq(t, tc.wantIP, n.IP)
		})
	}
	if _, err := defaultRouteInterface(); err == nil {
		n, err := HostNetwork("")
		must.NoError(t, err)
		must.NotEq(t, "lo", n.Device)
	}
}

func TestFingerprint_ConnectMetaDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta map[string]string
		want map[string]string
	}{
		{"defaults", nil, map[string]string{
			"connect.sidecar_image":     DefaultConnectSidecarImage,
			"connect.log_level":         "info",
			"connect.proxy_concurrency": "1",
		}},
		{"operator meta wins", map[string]string{"connect.log_level": "debug", "rack": "r1"}, map[string]string{
			"connect.sidecar_image":     DefaultConnectSidecarImage,
			"connect.log_level":         "debug",
			"connect.proxy_concurrency": "1",
			"rack":                      "r1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{DataDir: t.TempDir()}
			cfg.Canonicalize()
			node, err := Fingerprint(context.Background(), cfg, &structs.Node{ID: "n1", Meta: tc.meta}, cfg.Logger)
			must.NoError(t, err)
			must.Eq(t, tc.want, node.Meta)
		})
	}
}
