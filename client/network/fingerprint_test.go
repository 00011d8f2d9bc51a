package network

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/shoenig/test/must"
)

func TestDetectNetworks(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"10-a.conflist":   `{"cniVersion":"1.0.0","name":"alpha","plugins":[{"type":"bridge"}]}`,
		"20-b.conf":       `{"cniVersion":"1.0.0","name":"beta","type":"bridge"}`,
		"30-c.json":       `{"cniVersion":"1.0.0","name":"gamma","type":"macvlan"}`,
		"40-dup.conflist": `{"cniVersion":"1.0.0","name":"alpha","plugins":[{"type":"ptp"}]}`,
		"50-bad.conflist": `{not json`,
		"README.md":       `# not a config`,
	}
	for name, body := range files {
		must.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{name: "configs", dir: dir, want: []string{"alpha", "beta", "gamma"}},
		{name: "missing dir", dir: filepath.Join(dir, "nope"), want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DetectNetworks(tc.dir)
			must.NoError(t, err)
			if len(tc.want) == 0 {
				must.SliceEmpty(t, got)
				return
			}
			must.Eq(t, tc.want, got)
		})
	}
}

func TestDetectNetworkPlugins(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"10-a.conflist": `{"cniVersion":"1.0.0","name":"alpha","plugins":[
			{"type":"bridge","ipam":{"type":"host-local"}},
			{"type":"firewall"},
			{"type":"portmap","capabilities":{"portMappings":true}},
			{"type":"bridge"}]}`,
		"20-b.conf":       `{"cniVersion":"1.0.0","name":"beta","type":"macvlan","ipam":{"type":"dhcp"}}`,
		"40-dup.conflist": `{"cniVersion":"1.0.0","name":"alpha","plugins":[{"type":"ptp"}]}`,
		"50-bad.conflist": `{not json`,
	}
	for name, body := range files {
		must.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	got, err := DetectNetworkPlugins(dir)
	must.NoError(t, err)
	must.Eq(t, map[string][]string{
		"alpha": {"bridge", "host-local", "firewall", "portmap"},
		"beta":  {"macvlan", "dhcp"},
	}, got)
}

func TestDetectPlugins(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	dir := t.TempDir()
	scripts := map[string]string{
		// A CNI plugin as the reference ones behave.
		"fake-cni": `#!/bin/sh
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}'; exit 0; fi
echo "CNI fake-cni plugin v9.8.7" >&2`,
		// A plugin whose build was not stamped.
		"unstamped": `#!/bin/sh
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.0.0"}'; exit 0; fi
echo "CNI unstamped plugin version unknown" >&2`,
		// Not a CNI plugin at all.
		"not-cni": "#!/bin/sh\necho hello 1.2.3\n",
	}
	for name, body := range scripts {
		must.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body+"\n"), 0o755))
	}
	must.NoError(t, os.WriteFile(filepath.Join(dir, "not-executable"), []byte("x"), 0o644))

	got := DetectPlugins([]string{filepath.Join(dir, "missing"), dir})
	must.Eq(t, map[string]string{"fake-cni": "v9.8.7", "unstamped": "unknown"}, got)
}

// TestDetectPlugins_Installed checks the plugins scripts/install-cni.sh builds.
func TestDetectPlugins_Installed(t *testing.T) {
	got := DetectPlugins([]string{"/opt/cni/bin"})
	if len(got) == 0 {
		missingCapability(t, "no CNI plugins in /opt/cni/bin (run scripts/install-cni.sh)")
	}
	for _, p := range []string{"bridge", "loopback", "host-local", "firewall", "portmap"} {
		must.Eq(t, "v1.10.0", got[p], must.Sprintf("plugin %s", p))
	}
}

func TestSplitCNIPath(t *testing.T) {
	must.Eq(t, []string{"/a", "/b c"}, SplitCNIPath("/a::/b c: "))
	t.Setenv("CNI_PATH", "/x:/y")
	must.Eq(t, []string{"/x", "/y"}, DefaultCNIPathList())
	t.Setenv("CNI_PATH", "")
	must.Eq(t, []string{DefaultCNIPath}, DefaultCNIPathList())
}
