package network

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// GC reclaims what dead allocations left behind (agent killed mid-setup or
// mid-teardown, DEL that never ran). live holds the IDs of every allocation this
// client runs or is starting; only names that look like allocation IDs (UUIDs)
// and are not in live are touched:
//
//  1. cached CNI attachments of dead allocations get a CNI DEL with the cached
//     config and result, then libcni's GCNetworkList for the bridge network with
//     the live attachments as the valid set;
//  2. host-local reservations naming a dead ID are released (the bridge plugin
//     does not implement CNI GC, so the plugins cannot do it themselves);
//  3. iptables rules whose comment names a dead ID, and firewall rules for their
//     released IPs, are deleted with the per-allocation chains they jump to, and
//     so are the plugins' nftables rules naming a dead ID or a released IP;
//  4. namespaces under NetnsDir named by a dead ID are unmounted and removed.
//
// Call it at agent start (after restoring allocations) and periodically. GC
// assumes this client is the only one on the host; several clients on one host
// use GCOwned.
func (c *Configurator) GC(ctx context.Context, live map[string]bool) error {
	return c.GCOwned(ctx, live, nil)
}

// GCOwned is GC restricted to allocations owned reports as this client's (nil:
// every allocation ID). The namespace dir, the CNI cache, host-local's files and
// iptables are shared by every client agent on the host, so a client must only
// collect what it created: another client's live allocations are not in live.
func (c *Configurator) GCOwned(ctx context.Context, live map[string]bool, owned func(allocID string) bool) error {
	cniGate.enterAlone()
	defer cniGate.leaveAlone()
	dead := func(id string) bool { return isAllocID(id) && !live[id] && (owned == nil || owned(id)) }
	var errs []error

	// 1. CNI DEL of dead cached attachments.
	dirs := hostLocalDirs(c.bridgeList)
	ips := map[string]bool{}
	atts, listErr := c.cni.GetCachedAttachments("")
	if listErr != nil {
		errs = append(errs, fmt.Errorf("failed to list cached cni attachments: %w", listErr))
	}
	for _, a := range atts {
		if !dead(a.ContainerID) {
			continue
		}
		list, err := libcni.NetworkConfFromBytes(a.Config)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to parse cached config of %q: %w", a.ContainerID, err))
			continue
		}
		rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName,
			Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs}
		if res, err := c.cni.GetNetworkListCachedResult(list, rt); err == nil && res != nil {
			for _, ip := range resultIPs(res) {
				ips[ip] = true
			}
		}
		dirs = append(dirs, hostLocalDirs(list)...)
		c.logger.Info("removing network of dead allocation", "alloc_id", a.ContainerID, "network", a.Network)
		if err := c.delNetwork(ctx, list, rt); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete network of dead allocation %q: %w", a.ContainerID, err))
		}
		c.removeCache(list.Name, rt)
	}
	// Every attachment that is not dead is valid: live ones and those of
	// allocations this client does not own.
	var valid []types.GCAttachment
	for id := range live {
		valid = append(valid, types.GCAttachment{ContainerID: id, IfName: ifName})
	}
	for _, a := range atts {
		if !live[a.ContainerID] && !dead(a.ContainerID) {
			valid = append(valid, types.GCAttachment{ContainerID: a.ContainerID, IfName: a.IfName})
		}
	}
	// Without the cached attachments, other clients' would look invalid.
	if owned == nil || listErr == nil {
		if err := c.cni.GCNetworkList(ctx, c.bridgeList, &libcni.GCArgs{ValidAttachments: valid}); err != nil {
			errs = append(errs, fmt.Errorf("cni gc of network %q: %w", c.bridgeList.Name, err))
		}
	}

	// 2. host-local reservations.
	released, err := releaseIPAM(dirs, dead)
	if err != nil {
		errs = append(errs, fmt.Errorf("failed to release ip reservations: %w", err))
	}
	for id, rel := range released {
		c.logger.Info("released ip reservations of dead allocation", "alloc_id", id, "ips", rel)
		for _, ip := range rel {
			ips[ip] = true
		}
	}

	// 3. iptables rules.
	n, err := c.ipt.forceCleanup(ctx, func(chain, line string) bool {
		for _, id := range commentIDs(line) {
			if dead(id) {
				return true
			}
		}
		return byIDs(nil, ips)(chain, line)
	})
	if err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		c.logger.Info("removed iptables rules of dead allocations", "rules", n)
	}
	// ... and the nftables backends' rules (whatever the backend is now: the
	// dead allocation may have been set up under the other one).
	n, err = c.ipt.nftCleanup(ctx, func(id, rule string) bool {
		return dead(id) || nftByIDs(nil, ips)(id, rule)
	})
	if err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		c.logger.Info("removed nftables rules of dead allocations", "rules", n)
	}

	// 4. namespaces.
	entries, err := os.ReadDir(c.cfg.NetnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("failed to read netns dir: %w", err))
	}
	for _, e := range entries {
		if !dead(e.Name()) {
			continue
		}
		c.logger.Info("removing network namespace of dead allocation", "alloc_id", e.Name())
		if err := destroyNetns(c.NetnsPath(e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
