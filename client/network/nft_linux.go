package network

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// nftTables are the tables the plugins' nftables backends write: portmap's
// (per family) and the bridge plugin's masquerade table.
var nftTables = map[string]bool{
	"ip cni_hostport":             true,
	"ip6 cni_hostport":            true,
	"inet cni_plugins_masquerade": true,
}

// nftablesUsable reports whether the nft command is installed and can talk to
// the kernel (a dry run of adding a table).
func nftablesUsable() bool {
	cmd := exec.Command("nft", "--check", "-f", "-")
	cmd.Stdin = strings.NewReader("add table inet nomad_probe\n")
	return cmd.Run() == nil
}

// nftRuleMatcher selects the rules of the plugins' nftables tables a forced
// cleanup deletes, given the container ID their comment names ("" if none) and
// the rule's text.
type nftRuleMatcher func(id, rule string) bool

// nftByIDs matches rules naming one of ids, or with one of ips as an operand
// (an address, or the address of a `dnat to ip:port`).
func nftByIDs(ids, ips map[string]bool) nftRuleMatcher {
	return func(id, rule string) bool {
		if ids[id] {
			return true
		}
		for _, f := range strings.Fields(rule) {
			addr, _, _ := strings.Cut(f, ":")
			if ips[f] || ips[addr] {
				return true
			}
		}
		return false
	}
}

// nftCommentID is the container ID named by a plugin's nftables rule comment:
// portmap's comment is the ID; the bridge plugin's masquerade comment ends with
// ", id: <ID>".
func nftCommentID(comment string) string {
	if _, id, ok := strings.Cut(comment, ", id: "); ok {
		return id
	}
	return comment
}

// nftCleanup deletes every rule of the plugins' nftables tables that match
// selects: one `nft -a list ruleset`, and one `nft -f -` transaction when
// something matched. Without nft it does nothing. It returns the rule count.
func (t ipt) nftCleanup(ctx context.Context, match nftRuleMatcher) (int, error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return 0, nil
	}
	out, err := exec.CommandContext(ctx, "nft", "-a", "list", "ruleset").Output()
	if err != nil {
		return 0, fmt.Errorf("nft list ruleset: %w", err)
	}
	batch, n := nftCleanupBatch(string(out), match)
	if n == 0 {
		return 0, nil
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("failed to delete %d nftables rules: %w: %s", n, err, bytes.TrimSpace(out))
	}
	return n, nil
}

// nftCleanupBatch builds the nft input deleting the matched rules of nftTables
// from a `nft -a list ruleset` listing.
func nftCleanupBatch(listing string, match nftRuleMatcher) (string, int) {
	var b strings.Builder
	n := 0
	table, chain := "", ""
	for _, raw := range strings.Split(listing, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(line, "table "):
			f := strings.Fields(line)
			table, chain = "", ""
			if len(f) >= 3 && nftTables[f[1]+" "+f[2]] {
				table = f[1] + " " + f[2]
			}
			continue
		case strings.HasPrefix(line, "chain "):
			if f := strings.Fields(line); len(f) >= 2 {
				chain = f[1]
			}
			continue
		}
		if table == "" || chain == "" {
			continue
		}
		rule, handle, ok := strings.Cut(line, " # handle ")
		if !ok {
			continue
		}
		id := ""
		if _, c, ok := strings.Cut(rule, ` comment "`); ok {
			id = nftCommentID(strings.TrimSuffix(strings.TrimSpace(c), `"`))
		}
		if match(id, rule) {
			fmt.Fprintf(&b, "delete rule %s %s handle %s\n", table, chain, strings.TrimSpace(handle))
			n++
		}
	}
	return b.String(), n
}
