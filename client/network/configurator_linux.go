package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/nomad/structs"
)

// hostRulesMu serialises ensureHostRules: its check-then-add is not atomic, and
// concurrent setups would add a rule twice.
var hostRulesMu sync.Mutex

// Configurator builds allocation networks for the modes "bridge", "none" and
// "cni/<name>". It is safe for concurrent use; calls are serialised per process.
type Configurator struct {
	cfg        Config
	logger     hclog.Logger
	cni        *libcni.CNIConfig
	bridgeList *libcni.NetworkConfigList
	ipt        ipt
}

var _ interfaces.NetworkConfigurator = (*Configurator)(nil)

// Prepare makes, at client start, what every bridge setup needs on the host:
// NOMAD-ADMIN with its subnet rule, the firewall plugin's CNI-FORWARD chain and
// jumps, and the NOMAD-LOCALNET guard. Setup still checks them (one
// iptables-save) and puts back whatever an operator or a firewall reload
// removed since.
func (c *Configurator) Prepare(ctx context.Context) error {
	hostRulesMu.Lock()
	defer hostRulesMu.Unlock()
	return c.ipt.ensureHostRules(ctx, c.cfg.AdminChain, c.cfg.BridgeName, c.cfg.BridgeSubnet)
}

// NewConfigurator validates cfg (defaults applied) and renders the bridge
// conflist. It touches nothing on the host (unless the nat backend is iptables,
// it dry-runs nft once to choose or check it).
func NewConfigurator(cfg Config) (*Configurator, error) {
	cfg = cfg.withDefaults()
	logger := cfg.Logger.Named("network")
	switch cfg.NATBackend {
	case "":
		cfg.NATBackend = NATBackendNFTables
		if !nftablesUsable() {
			cfg.NATBackend = NATBackendIPTables
			logger.Info("nft command not usable, bridge networks use the iptables nat backend (slower)")
		}
	case NATBackendNFTables:
		if !nftablesUsable() {
			return nil, fmt.Errorf("nat backend %q needs a working nft command", NATBackendNFTables)
		}
	}
	raw, err := renderBridgeConflist(cfg)
	if err != nil {
		return nil, err
	}
	list, err := libcni.NetworkConfFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("failed to parse bridge conflist: %w", err)
	}
	cfg.BridgeSubnet = netip.MustParsePrefix(cfg.BridgeSubnet).Masked().String() // validated by the render
	return &Configurator{
		cfg:        cfg,
		logger:     logger,
		cni:        libcni.NewCNIConfigWithCacheDir(cfg.CNIPath, cfg.CNICacheDir, nil),
		bridgeList: list,
		ipt:        ipt{logger: logger},
	}, nil
}

// NetnsPath is where the namespace of allocID is bind-mounted.
func (c *Configurator) NetnsPath(allocID string) string {
	return filepath.Join(c.cfg.NetnsDir, allocID)
}

// NATBackend is the backend the bridge conflist's masquerade and portmap use
// (Config.NATBackend, resolved: NATBackendIPTables or NATBackendNFTables).
func (c *Configurator) NATBackend() string { return c.cfg.NATBackend }

// BridgeConflist returns the rendered bridge-mode conflist (for debugging and
// the benchmark's bare-chain baseline).
func (c *Configurator) BridgeConflist() []byte { return c.bridgeList.Bytes }

// Setup creates the allocation's namespace and wires it for spec's mode:
//
//	none:       namespace with lo UP, nothing else; status has no address.
//	bridge:     NOMAD-ADMIN + localnet guard ensured, then Nomad's chain (ADD).
//	cni/<name>: localnet guard ensured, then the operator's conflist (ADD).
//
// Every group port is handed to portmap as host port -> `to`, tcp and udp.
// Known-transient failures are retried (bounded, after undoing the attempt). Any
// other failure undoes everything made so far (CNI DEL, forced rule cleanup,
// IPAM release, namespace removed) before returning. Leftovers of an earlier,
// interrupted Setup of the same allocation are removed first.
func (c *Configurator) Setup(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource) (*structs.AllocNetworkStatus, error) {
	mode := spec.IsolationMode()
	var list *libcni.NetworkConfigList
	switch {
	case mode == structs.NetworkModeNone:
	case mode == structs.NetworkModeBridge:
		list = c.bridgeList
	default:
		name, ok := structs.IsCNIMode(mode)
		if !ok {
			return nil, fmt.Errorf("network mode %q is not supported by the network configurator", mode)
		}
		var err error
		if list, err = c.loadCNINetwork(name); err != nil {
			return nil, err
		}
	}

	path := c.NetnsPath(alloc.ID)
	rt := c.runtimeConf(alloc, path)
	release, err := hostPorts.claim(ctx, portKeys(portMappings(alloc)))
	if err != nil {
		return nil, err
	}
	defer release()
	cniGate.enter()
	defer cniGate.leave()
	start := time.Now()
	logger := c.logger.With("alloc_id", alloc.ID, "mode", mode)

	if _, err := os.Lstat(path); err == nil {
		logger.Warn("removing the leftovers of an interrupted network setup", "netns", path)
		if err := c.teardownLocked(ctx, c.listForTeardown(mode, alloc.ID), rt, nil); err != nil {
			return nil, fmt.Errorf("failed to remove leftover network: %w", err)
		}
	}
	if list != nil {
		if err := c.checkPortConflicts(ctx, alloc.ID, rt); err != nil {
			return nil, err
		}
		adminChain := ""
		if mode == structs.NetworkModeBridge {
			adminChain = c.cfg.AdminChain
		}
		hostRulesMu.Lock()
		err := c.ipt.ensureHostRules(ctx, adminChain, c.cfg.BridgeName, c.cfg.BridgeSubnet)
		hostRulesMu.Unlock()
		if err != nil {
			return nil, err
		}
	}

	if err := createNetns(path); err != nil {
		return nil, err
	}
	status := &structs.AllocNetworkStatus{NetnsPath: path}

	if list == nil { // none
		if err := setLoopbackUp(path); err != nil {
			return nil, errors.Join(err, destroyNetns(path))
		}
		logger.Debug("network namespace ready", "netns", path, "took", time.Since(start))
		return status, nil
	}

	var added error
	err = retryTransient(ctx, logger, "cni add", func() error {
		res, err := c.cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		status.InterfaceName, status.Address, added = resultAddress(res)
		return nil
	}, func() {
		// Undo the half-done attempt but keep the namespace.
		_ = c.delNetwork(ctx, list, rt)
		_, _ = c.forceCleanup(ctx, map[string]bool{alloc.ID: true}, nil)
	})
	if err == nil && added != nil {
		err = added
	}
	if err != nil {
		if rbErr := c.teardownLocked(ctx, list, rt, nil); rbErr != nil {
			logger.Error("failed to roll back network setup, resources may have leaked", "error", rbErr)
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return nil, fmt.Errorf("failed to configure network: %w", err)
	}
	logger.Debug("network ready", "netns", path, "address", status.Address, "took", time.Since(start))
	return status, nil
}

// Teardown undoes Setup: CNI DEL with the cached ADD result (and the config that
// was actually used); when that DEL failed or had no cached result, a forced
// cleanup of the iptables (and nftables-backend) rules naming the allocation;
// release of its host-local reservations, then the namespace. It may be called
// any number of times, without Setup, or after a failed Setup; what is already
// gone is not an error. All steps run even when one fails; the errors are joined.
func (c *Configurator) Teardown(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource, status *structs.AllocNetworkStatus) error {
	mode := spec.IsolationMode()
	if mode == structs.NetworkModeHost {
		return nil
	}
	release, err := hostPorts.claim(ctx, portKeys(portMappings(alloc)))
	if err != nil {
		return err
	}
	defer release()
	cniGate.enter()
	defer cniGate.leave()

	path := c.NetnsPath(alloc.ID)
	var ips []string
	if status != nil {
		if status.NetnsPath != "" {
			path = status.NetnsPath
		}
		if status.Address != "" {
			ips = append(ips, status.Address)
		}
	}
	rt := c.runtimeConf(alloc, path)
	var list *libcni.NetworkConfigList
	if mode != structs.NetworkModeNone {
		list = c.listForTeardown(mode, alloc.ID)
		if list == nil {
			c.logger.Warn("cni network config not found, removing only rules and namespace", "alloc_id", alloc.ID, "mode", mode)
			_, err := c.forceCleanup(ctx, map[string]bool{alloc.ID: true}, toSet(ips))
			return errors.Join(err, destroyNetns(path))
		}
	}
	return c.teardownLocked(ctx, list, rt, ips)
}

// Check verifies, after an agent restart, that the allocation's network is still
// what Setup made: the namespace is mounted and, for CNI modes, every plugin's
// CHECK passes against the cached ADD result.
func (c *Configurator) Check(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource, status *structs.AllocNetworkStatus) error {
	mode := spec.IsolationMode()
	if mode == structs.NetworkModeHost {
		return nil
	}
	cniGate.enter()
	defer cniGate.leave()
	path := c.NetnsPath(alloc.ID)
	if status != nil && status.NetnsPath != "" {
		path = status.NetnsPath
	}
	if !isNetns(path) {
		return fmt.Errorf("network namespace %q is missing", path)
	}
	if mode == structs.NetworkModeNone {
		return nil
	}
	list := c.listForTeardown(mode, alloc.ID)
	if list == nil {
		return fmt.Errorf("cni network for mode %q not found", mode)
	}
	rt := c.runtimeConf(alloc, path)
	return retryTransient(ctx, c.logger, "cni check", func() error {
		if err := c.cni.CheckNetworkList(ctx, list, rt); err != nil {
			return fmt.Errorf("network check failed: %w", err)
		}
		return nil
	}, nil)
}

// runtimeConf is the libcni runtime config of an allocation.
func (c *Configurator) runtimeConf(alloc *structs.Allocation, path string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID:    alloc.ID,
		NetNS:          path,
		IfName:         ifName,
		CapabilityArgs: map[string]any{"portMappings": portMappings(alloc)},
	}
}

// loadCNINetwork loads the operator's network name from CNIConfigDir (a
// .conflist, or a .conf converted to a one-plugin list).
func (c *Configurator) loadCNINetwork(name string) (*libcni.NetworkConfigList, error) {
	list, err := libcni.LoadNetworkConf(c.cfg.CNIConfigDir, name)
	if err != nil {
		return nil, fmt.Errorf("failed to load cni network %q from %q: %w", name, c.cfg.CNIConfigDir, err)
	}
	return list, nil
}

// listForTeardown returns the conflist an allocation was set up with: the one
// libcni cached at ADD (so a changed config or a deleted file still tears down
// what was made), else the current one, else nil.
func (c *Configurator) listForTeardown(mode, allocID string) *libcni.NetworkConfigList {
	name := BridgeNetworkName
	if mode != structs.NetworkModeBridge {
		n, ok := structs.IsCNIMode(mode)
		if !ok {
			return nil
		}
		name = n
	}
	if atts, err := c.cni.GetCachedAttachments(allocID); err == nil {
		for _, a := range atts {
			if a.Network != name || a.IfName != ifName {
				continue
			}
			if list, err := libcni.NetworkConfFromBytes(a.Config); err == nil {
				return list
			}
		}
	}
	if mode == structs.NetworkModeBridge {
		return c.bridgeList
	}
	list, err := c.loadCNINetwork(name)
	if err != nil {
		return nil
	}
	return list
}

// teardownLocked undoes one attachment (list nil: namespace only). Caller is
// inside cniGate.
func (c *Configurator) teardownLocked(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf, knownIPs []string) error {
	var errs []error
	if list != nil {
		id := rt.ContainerID
		ips := toSet(knownIPs)
		dirs := hostLocalDirs(list)
		for _, dir := range dirs {
			for ip, owner := range ipamReservations(dir) {
				if owner == id {
					ips[ip] = true
				}
			}
		}
		cached := false
		if res, err := c.cni.GetNetworkListCachedResult(list, rt); err == nil && res != nil {
			cached = true
			for _, ip := range resultIPs(res) {
				ips[ip] = true
			}
		}
		delErr := c.delNetwork(ctx, list, rt)
		if delErr != nil {
			errs = append(errs, delErr)
		}
		// A DEL that succeeded with the cached ADD result removed every rule the
		// plugins made (they find them by container ID and by the result's IPs);
		// anything else gets the forced sweep (costs a ruleset listing).
		if delErr != nil || !cached {
			if n, err := c.forceCleanup(ctx, map[string]bool{id: true}, ips); err != nil {
				errs = append(errs, err)
			} else if n > 0 {
				c.logger.Warn("removed leftover firewall rules", "alloc_id", id, "rules", n)
			}
		}
		if _, err := releaseIPAM(dirs, func(owner string) bool { return owner == id }); err != nil {
			errs = append(errs, fmt.Errorf("failed to release ip reservations: %w", err))
		}
		c.removeCache(list.Name, rt)
	}
	if err := destroyNetns(rt.NetNS); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// delNetwork runs CNI DEL for the plugins of list that exist (a missing binary,
// e.g. a typo in an operator's conflist, must not keep the others from cleaning
// up), retrying transient failures.
func (c *Configurator) delNetwork(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	present := *list
	present.Plugins = nil
	for _, p := range list.Plugins {
		if _, err := invoke.FindInPath(p.Network.Type, c.cfg.CNIPath); err != nil {
			c.logger.Warn("skipping cni del of a missing plugin", "plugin", p.Network.Type, "alloc_id", rt.ContainerID)
			continue
		}
		present.Plugins = append(present.Plugins, p)
	}
	return retryTransient(ctx, c.logger, "cni del", func() error {
		return c.cni.DelNetworkList(ctx, &present, rt)
	}, nil)
}

// removeCache drops libcni's cached result of one attachment (DEL removes it on
// success; this covers a failed DEL after the forced cleanup).
func (c *Configurator) removeCache(network string, rt *libcni.RuntimeConf) {
	p := filepath.Join(c.cfg.CNICacheDir, "results", fmt.Sprintf("%s-%s-%s", network, rt.ContainerID, rt.IfName))
	_ = os.Remove(p)
}

// checkPortConflicts refuses a host port (per protocol) that another attachment
// still maps: portmap does not reserve host ports, and a second DNAT rule for the
// same port would never match (the first one wins), silently sending traffic to
// the older allocation (GH-6385, GH-11901). An attachment whose namespace is gone
// is a leftover of a crash: it is torn down instead.
func (c *Configurator) checkPortConflicts(ctx context.Context, allocID string, rt *libcni.RuntimeConf) error {
	want := map[string]bool{}
	for _, m := range rt.CapabilityArgs["portMappings"].([]PortMapping) {
		want[fmt.Sprintf("%d/%s", m.HostPort, m.Protocol)] = true
	}
	if len(want) == 0 {
		return nil
	}
	atts, err := c.cni.GetCachedAttachments("")
	if err != nil {
		return nil
	}
	for _, a := range atts {
		if a.ContainerID == allocID {
			continue
		}
		raw, _ := a.CapabilityArgs["portMappings"].([]any)
		for _, r := range raw {
			m, _ := r.(map[string]any)
			port, _ := m["hostPort"].(float64)
			proto, _ := m["protocol"].(string)
			key := fmt.Sprintf("%d/%s", int(port), proto)
			if !want[key] {
				continue
			}
			if a.NetNS != "" && isNetns(a.NetNS) {
				return fmt.Errorf("host port %s is already mapped to allocation %q", key, a.ContainerID)
			}
			c.logger.Warn("removing a leaked network that holds a wanted host port", "port", key, "leaked_alloc_id", a.ContainerID)
			list, err := libcni.NetworkConfFromBytes(a.Config)
			if err != nil {
				return fmt.Errorf("host port %s is held by leaked allocation %q: %w", key, a.ContainerID, err)
			}
			leaked := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName,
				Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs}
			if err := c.teardownLocked(ctx, list, leaked, nil); err != nil {
				return fmt.Errorf("host port %s is held by leaked allocation %q: %w", key, a.ContainerID, err)
			}
			break
		}
	}
	return nil
}

// forceCleanup deletes the iptables rules, and with the nftables backend the
// plugins' nftables rules, that name one of ids or (firewall and masquerade
// rules) use one of ips. It returns how many rules it deleted.
func (c *Configurator) forceCleanup(ctx context.Context, ids, ips map[string]bool) (int, error) {
	n, err := c.ipt.forceCleanup(ctx, byIDs(ids, ips))
	if c.cfg.NATBackend != NATBackendNFTables {
		return n, err
	}
	m, nftErr := c.ipt.nftCleanup(ctx, nftByIDs(ids, ips))
	return n + m, errors.Join(err, nftErr)
}

// isAllocID reports whether name looks like an allocation ID (a UUID).
func isAllocID(name string) bool {
	if len(name) != 36 {
		return false
	}
	_, err := uuid.Parse(name)
	return err == nil
}

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
