package network

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// hostLocalDirs returns the host-local reservation directories the conflist
// uses: <dataDir>/<network name> for every plugin whose ipam type is host-local.
func hostLocalDirs(list *libcni.NetworkConfigList) []string {
	var dirs []string
	for _, p := range list.Plugins {
		var conf struct {
			IPAM struct {
				Type    string `json:"type"`
				DataDir string `json:"dataDir"`
			} `json:"ipam"`
		}
		if json.Unmarshal(p.Bytes, &conf) != nil || conf.IPAM.Type != "host-local" {
			continue
		}
		dataDir := conf.IPAM.DataDir
		if dataDir == "" {
			dataDir = DefaultIPAMDataDir
		}
		dirs = append(dirs, filepath.Join(dataDir, list.Name))
	}
	return dirs
}

// ipamReservations returns the reservations in a host-local store directory as
// IP -> container ID. Files that are not named by an IP (the lock file,
// last_reserved_ip.N) are ignored; a missing directory has none.
func ipamReservations(dir string) map[string]string {
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if _, err := netip.ParseAddr(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		// host-local writes "<container id>\r\n<ifname>".
		id, _, _ := strings.Cut(string(b), "\n")
		out[e.Name()] = strings.TrimSpace(id)
	}
	return out
}

// releaseIPAM removes the reservations whose container ID dead selects, from
// every dir, and returns the released IPs by container ID. Callers hold the
// host lock, so no plugin is writing the store at the same time.
func releaseIPAM(dirs []string, dead func(id string) bool) (map[string][]string, error) {
	released := map[string][]string{}
	var firstErr error
	for _, dir := range dirs {
		for ip, id := range ipamReservations(dir) {
			if !dead(id) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, ip)); err != nil && !os.IsNotExist(err) {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			released[id] = append(released[id], ip)
		}
	}
	return released, firstErr
}
