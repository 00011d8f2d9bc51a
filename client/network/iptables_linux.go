package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// LocalnetGuardChain is the filter chain, jumped to first from INPUT, that drops
// traffic to 127.0.0.0/8 that did not arrive on lo and was not DNAT'd. portmap's
// snat needs route_localnet=1 on the bridge, which otherwise lets a task with raw
// sockets reach host services bound to 127.0.0.1 (CVE-2020-8558 class).
const LocalnetGuardChain = "NOMAD-LOCALNET"

const localnetGuardComment = "nomad: drop non-loopback traffic to 127.0.0.0/8 (CVE-2020-8558)"

// localnetGuardRule is the guard's rule spec, without table and chain.
var localnetGuardRule = []string{
	"-d", "127.0.0.0/8", "!", "-i", "lo",
	"-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT",
	"-m", "comment", "--comment", localnetGuardComment,
	"-j", "DROP",
}

// sharedChains are created by the plugins for every container; forced cleanup
// deletes rules in them but never the chains themselves.
var sharedChains = map[string]bool{
	"CNI-HOSTPORT-DNAT": true, "CNI-HOSTPORT-SETMARK": true, "CNI-HOSTPORT-MASQ": true,
	"CNI-FORWARD": true, "CNI-ADMIN": true,
}

// ipt runs iptables commands, retrying known-transient failures.
type ipt struct {
	logger hclog.Logger
}

// run runs `iptables -w <args>` and returns its combined output.
func (t ipt) run(ctx context.Context, args ...string) (string, error) {
	var out []byte
	err := retryTransient(ctx, t.logger, "iptables", func() error {
		var err error
		out, err = exec.CommandContext(ctx, "iptables", append([]string{"-w"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}, nil)
	return string(out), err
}

// exists reports whether `iptables -C` finds the rule. A missing chain counts as
// a missing rule; lock failures are errors.
func (t ipt) exists(ctx context.Context, table, chain string, rule ...string) (bool, error) {
	_, err := t.run(ctx, append([]string{"-t", table, "-C", chain}, rule...)...)
	if err == nil {
		return true, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && !isTransient(err) &&
		(exitErr.ExitCode() == 1 || strings.Contains(err.Error(), "does not exist")) {
		return false, nil
	}
	return false, err
}

// ensureChain creates chain in table; an existing chain is fine.
func (t ipt) ensureChain(ctx context.Context, table, chain string) error {
	_, err := t.run(ctx, "-t", table, "-N", chain)
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	return nil
}

// ensureRule appends (or inserts at the top when first) rule to chain unless an
// identical rule exists.
func (t ipt) ensureRule(ctx context.Context, table, chain string, first bool, rule ...string) error {
	ok, err := t.exists(ctx, table, chain, rule...)
	if err != nil || ok {
		return err
	}
	op := []string{"-t", table, "-A", chain}
	if first {
		op = []string{"-t", table, "-I", chain, "1"}
	}
	_, err = t.run(ctx, append(op, rule...)...)
	return err
}

// ensureAdminChain makes the admin chain and its rule accepting traffic to the
// bridge subnet (Nomad 1.1+: appended if absent, so operators can put their own
// rules first). The firewall plugin jumps to it from CNI-FORWARD, which keeps
// DNAT'd traffic to allocations flowing on hosts whose FORWARD policy is DROP
// (e.g. after Docker installed itself).
func (t ipt) ensureAdminChain(ctx context.Context, chain, bridge, subnet string) error {
	if err := t.ensureChain(ctx, "filter", chain); err != nil {
		return fmt.Errorf("failed to create iptables chain %q: %w", chain, err)
	}
	if err := t.ensureRule(ctx, "filter", chain, false, "-o", bridge, "-d", subnet, "-j", "ACCEPT"); err != nil {
		return fmt.Errorf("failed to add rule to iptables chain %q: %w", chain, err)
	}
	return nil
}

// ensureLocalnetGuard installs LocalnetGuardChain with its DROP rule and the
// jump to it as the first rule of INPUT. Idempotent.
func (t ipt) ensureLocalnetGuard(ctx context.Context) error {
	if err := t.ensureChain(ctx, "filter", LocalnetGuardChain); err != nil {
		return fmt.Errorf("failed to create iptables chain %q: %w", LocalnetGuardChain, err)
	}
	if err := t.ensureRule(ctx, "filter", LocalnetGuardChain, false, localnetGuardRule...); err != nil {
		return fmt.Errorf("failed to add the localnet guard rule: %w", err)
	}
	if err := t.ensureRule(ctx, "filter", "INPUT", true, "-j", LocalnetGuardChain); err != nil {
		return fmt.Errorf("failed to hook %q into INPUT: %w", LocalnetGuardChain, err)
	}
	return nil
}

// removeLocalnetGuard removes the INPUT jump and the guard chain (tests, and
// operators who opt out). Missing pieces are fine.
func (t ipt) removeLocalnetGuard(ctx context.Context) error {
	for {
		ok, err := t.exists(ctx, "filter", "INPUT", "-j", LocalnetGuardChain)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if _, err := t.run(ctx, "-t", "filter", "-D", "INPUT", "-j", LocalnetGuardChain); err != nil {
			return err
		}
	}
	_, _ = t.run(ctx, "-t", "filter", "-F", LocalnetGuardChain)
	_, _ = t.run(ctx, "-t", "filter", "-X", LocalnetGuardChain)
	return nil
}

// save returns `iptables-save [-t table]` (every table when table is "").
func (t ipt) save(ctx context.Context, table string) (string, error) {
	var args []string
	if table != "" {
		args = []string{"-t", table}
	}
	out, err := exec.CommandContext(ctx, "iptables-save", args...).Output()
	if err != nil {
		return "", fmt.Errorf("iptables-save %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// ensureHostRules makes sure the rules every allocation relies on exist: the
// localnet guard and, for bridge mode (adminChain != ""), the admin chain rule
// and the firewall plugin's chains. Callers hold hostRulesMu.
// Fast path: one iptables-save showing them all (as iptables prints them). Else
// the idempotent check-and-add path.
func (t ipt) ensureHostRules(ctx context.Context, adminChain, bridge, subnet string) error {
	want := []string{
		"-A INPUT -j " + LocalnetGuardChain,
		"-A " + LocalnetGuardChain + " -d 127.0.0.0/8 ! -i lo -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment \"" + localnetGuardComment + "\" -j DROP",
	}
	if adminChain != "" {
		want = append(want, "-A "+adminChain+" -d "+subnet+" -o "+bridge+" -j ACCEPT",
			"-A FORWARD "+strings.Join(quoteComment(firewallForwardJump), " "),
			"-A "+firewallChain+" "+strings.Join(quoteComment(firewallAdminJump(adminChain)), " "))
	}
	if saved, err := t.save(ctx, "filter"); err == nil && hasLines(saved, want...) {
		return nil
	}
	if adminChain != "" {
		if err := t.ensureAdminChain(ctx, adminChain, bridge, subnet); err != nil {
			return err
		}
		if err := t.ensureFirewallChains(ctx, adminChain); err != nil {
			return err
		}
	}
	return t.ensureLocalnetGuard(ctx)
}

// The firewall plugin's shared chain and the two jumps it checks (and adds when
// missing, at the top) on every ADD, spelled exactly as it spells them.
const firewallChain = "CNI-FORWARD"

var firewallForwardJump = []string{"-m", "comment", "--comment", "CNI firewall plugin rules", "-j", firewallChain}

func firewallAdminJump(adminChain string) []string {
	return []string{"-m", "comment", "--comment", "CNI firewall plugin admin overrides", "-j", adminChain}
}

// ensureFirewallChains makes, before the first bridge ADD, what the firewall
// plugin would otherwise make in it: CNI-FORWARD, the jump to it first in
// FORWARD and the jump to the admin chain first in CNI-FORWARD. The plugin checks
// then adds, so two ADDs racing on a fresh host would both add a jump; made here
// under hostRulesMu, every ADD finds them. The admin chain must exist.
func (t ipt) ensureFirewallChains(ctx context.Context, adminChain string) error {
	if err := t.ensureChain(ctx, "filter", firewallChain); err != nil {
		return fmt.Errorf("failed to create iptables chain %q: %w", firewallChain, err)
	}
	if err := t.ensureRule(ctx, "filter", "FORWARD", true, firewallForwardJump...); err != nil {
		return fmt.Errorf("failed to hook %q into FORWARD: %w", firewallChain, err)
	}
	if err := t.ensureRule(ctx, "filter", firewallChain, true, firewallAdminJump(adminChain)...); err != nil {
		return fmt.Errorf("failed to hook %q into %q: %w", adminChain, firewallChain, err)
	}
	return nil
}

// quoteComment quotes the value of --comment as iptables-save prints it.
func quoteComment(rule []string) []string {
	out := append([]string(nil), rule...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "--comment" {
			out[i+1] = `"` + out[i+1] + `"`
		}
	}
	return out
}

// restore feeds input to `iptables-restore -w --noflush` (one transaction).
func (t ipt) restore(ctx context.Context, input string) error {
	return retryTransient(ctx, t.logger, "iptables-restore", func() error {
		cmd := exec.CommandContext(ctx, "iptables-restore", "-w", "--noflush")
		cmd.Stdin = strings.NewReader(input)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("iptables-restore: %w: %s", err, bytes.TrimSpace(out))
		}
		return nil
	}, nil)
}

// ruleMatcher selects the rules (iptables-save "-A chain ..." lines) a forced
// cleanup deletes.
type ruleMatcher func(chain, line string) bool

// byIDs matches rules whose comment names one of ids (the plugins tag their rules
// `name: "<net>" id: "<container id>"`) and, in CNI-FORWARD (the firewall
// plugin, which adds no comment), rules for one of ips.
func byIDs(ids map[string]bool, ips map[string]bool) ruleMatcher {
	return func(chain, line string) bool {
		for _, id := range commentIDs(line) {
			if ids[id] {
				return true
			}
		}
		if chain == "CNI-FORWARD" {
			for ip := range ips {
				if strings.Contains(line, " -d "+ip+"/32 ") || strings.Contains(line, " -s "+ip+"/32 ") {
					return true
				}
			}
		}
		return false
	}
}

var commentIDRe = regexp.MustCompile(`id: \\"([^"\\]+)\\"`)

// commentIDs extracts the container IDs named in a saved rule's comment.
func commentIDs(line string) []string {
	var ids []string
	for _, m := range commentIDRe.FindAllStringSubmatch(line, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// forceCleanup deletes, in the nat and filter tables, every rule match selects,
// plus the per-container chains (CNI-*) those rules jump to, with every rule
// that still jumps to them. One iptables-save, and one iptables-restore
// transaction when something matched. It returns how many rules it deleted.
func (t ipt) forceCleanup(ctx context.Context, match ruleMatcher) (int, error) {
	saved, err := t.save(ctx, "")
	if err != nil {
		return 0, err
	}
	tables := splitTables(saved)
	var input strings.Builder
	total := 0
	for _, table := range []string{"nat", "filter"} {
		batch, n := cleanupBatch(table, tables[table], match)
		input.WriteString(batch)
		total += n
	}
	if total == 0 {
		return 0, nil
	}
	if err := t.restore(ctx, input.String()); err != nil {
		return 0, fmt.Errorf("failed to delete %d iptables rules: %w", total, err)
	}
	return total, nil
}

// splitTables splits iptables-save output by table ("*nat" ... "COMMIT").
func splitTables(saved string) map[string]string {
	out := map[string]string{}
	table := ""
	var b strings.Builder
	for _, line := range strings.Split(saved, "\n") {
		if name, ok := strings.CutPrefix(line, "*"); ok {
			table = name
			b.Reset()
		}
		if table == "" {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if line == "COMMIT" {
			out[table] = b.String()
			table = ""
		}
	}
	return out
}

// hasLines reports whether every line of want is a line of saved.
func hasLines(saved string, want ...string) bool {
	have := map[string]bool{}
	for _, l := range strings.Split(saved, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

// cleanupBatch builds the iptables-restore input that deletes the matched rules
// and the private chains they jump to. It returns the input and the rule count.
func cleanupBatch(table, saved string, match ruleMatcher) (string, int) {
	type rule struct{ chain, spec string }
	var rules []rule
	for _, line := range strings.Split(saved, "\n") {
		spec, ok := strings.CutPrefix(line, "-A ")
		if !ok {
			continue
		}
		chain, _, _ := strings.Cut(spec, " ")
		rules = append(rules, rule{chain, spec})
	}
	doomedChains := map[string]bool{}
	doomed := map[int]bool{}
	for i, r := range rules {
		if match(r.chain, "-A "+r.spec+" ") {
			doomed[i] = true
			if target := jumpTarget(r.spec); strings.HasPrefix(target, "CNI-") && !sharedChains[target] {
				doomedChains[target] = true
			}
		}
	}
	if len(doomed) == 0 {
		return "", 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s\n", table)
	n := 0
	for i, r := range rules {
		if doomedChains[r.chain] {
			continue // flushed below
		}
		if doomed[i] || doomedChains[jumpTarget(r.spec)] {
			fmt.Fprintf(&b, "-D %s\n", r.spec)
			n++
		}
	}
	for c := range doomedChains {
		for _, r := range rules {
			if r.chain == c {
				n++
			}
		}
		fmt.Fprintf(&b, "-F %s\n-X %s\n", c, c)
	}
	b.WriteString("COMMIT\n")
	return b.String(), n
}

// jumpTarget returns the -j/-g target of a saved rule spec.
func jumpTarget(spec string) string {
	f := strings.Fields(spec)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-j" || f[i] == "-g" {
			return f[i+1]
		}
	}
	return ""
}
