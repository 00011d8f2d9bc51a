package network

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// pluginProbeTimeout bounds each run of a candidate plugin binary.
const pluginProbeTimeout = 3 * time.Second

var semverToken = regexp.MustCompile(`v?\d+\.\d+\.\d+[0-9A-Za-z.+-]*`)

// DetectPlugins returns the CNI plugins found in cniPath, mapped to their build
// version (e.g. "bridge" -> "v1.10.0"), for the node attributes
// plugins.cni.version.<name>. An executable counts as a CNI plugin when, run with
// CNI_COMMAND=VERSION, it prints the CNI version JSON; its build version is the
// first semver token of what it prints when run without a command (the plugins'
// "about" line, `CNI bridge plugin v1.10.0`), or "unknown". The first directory
// in cniPath that holds a name wins, as in plugin lookup.
func DetectPlugins(cniPath []string) map[string]string {
	out := map[string]string{}
	for _, dir := range cniPath {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if _, seen := out[name]; seen || e.IsDir() {
				continue
			}
			path := filepath.Join(dir, name)
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
				continue
			}
			if !isCNIPlugin(path) {
				continue
			}
			out[name] = pluginBuildVersion(path)
		}
	}
	return out
}

// isCNIPlugin runs path with CNI_COMMAND=VERSION and checks for the version JSON.
func isCNIPlugin(path string) bool {
	stdout, _, err := probe(path, "CNI_COMMAND=VERSION")
	if err != nil {
		return false
	}
	var info struct {
		CNIVersion        string   `json:"cniVersion"`
		SupportedVersions []string `json:"supportedVersions"`
	}
	if json.Unmarshal(bytes.TrimSpace(stdout), &info) != nil {
		return false
	}
	return info.CNIVersion != "" || len(info.SupportedVersions) > 0
}

// pluginBuildVersion extracts the build version from the plugin's about line.
func pluginBuildVersion(path string) string {
	stdout, stderr, _ := probe(path)
	for _, b := range [][]byte{stderr, stdout} {
		if v := semverToken.Find(b); v != nil {
			return string(v)
		}
	}
	return "unknown"
}

// probe runs path with exactly env (no inherited environment) and no stdin.
func probe(path string, env ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), pluginProbeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// DetectNetworks returns the sorted, distinct names of the CNI networks defined
// by the .conflist, .conf and .json files in configDir: the networks a group can
// ask for as "cni/<name>". Files that do not parse are skipped. A missing
// directory is not an error (no networks).
func DetectNetworks(configDir string) ([]string, error) {
	plugins, err := DetectNetworkPlugins(configDir)
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, err
}

// DetectNetworkPlugins returns, for every CNI network in configDir (see
// DetectNetworks), the plugins its configuration runs: each plugin's type and
// its IPAM plugin's type, in chain order, without repeats. When two files
// define one name, the first in file name order wins, as libcni's lookup does.
func DetectNetworkPlugins(configDir string) (map[string][]string, error) {
	files, err := libcni.ConfFiles(configDir, []string{".conflist", ".conf", ".json"})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, f := range files {
		var name string
		var confs []*types.PluginConf
		if filepath.Ext(f) == ".conflist" {
			list, err := libcni.NetworkConfFromFile(f)
			if err != nil {
				continue
			}
			name = list.Name
			for _, p := range list.Plugins {
				confs = append(confs, p.Network)
			}
		} else {
			conf, err := libcni.ConfFromFile(f)
			if err != nil {
				continue
			}
			name, confs = conf.Network.Name, []*types.PluginConf{conf.Network}
		}
		if _, seen := out[name]; seen || name == "" {
			continue
		}
		out[name] = pluginTypes(confs)
	}
	return out, nil
}

// pluginTypes lists the plugin binaries a chain runs, in order, once each.
func pluginTypes(confs []*types.PluginConf) []string {
	out := []string{}
	add := func(typ string) {
		if typ != "" && !slices.Contains(out, typ) {
			out = append(out, typ)
		}
	}
	for _, c := range confs {
		if c == nil {
			continue
		}
		add(c.Type)
		add(c.IPAM.Type)
	}
	return out
}
