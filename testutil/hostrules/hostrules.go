// Package hostrules lets tests remove the per-bridge host rule a netnomad client
// makes when it starts (the bridge's NOMAD-ADMIN accept rule). In production the
// rule is host setup that stays; a test's agents would otherwise leave one for
// every bridge they were configured with.
package hostrules

import (
	"os/exec"
	"strings"
)

// AdminRules are the rules of the NOMAD-ADMIN chain, as `iptables -S` prints
// them (none when the chain or iptables does not exist).
func AdminRules() map[string]bool {
	out, _ := exec.Command("iptables", "-w", "-S", "NOMAD-ADMIN").Output()
	rules := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "-A NOMAD-ADMIN ") {
			rules[line] = true
		}
	}
	return rules
}

// DropAdminRulesAddedSince deletes the NOMAD-ADMIN rules that are not in before.
func DropAdminRulesAddedSince(before map[string]bool) {
	for rule := range AdminRules() {
		if !before[rule] {
			args := append([]string{"-w", "-D"}, strings.Fields(strings.TrimPrefix(rule, "-A "))...)
			_ = exec.Command("iptables", args...).Run()
		}
	}
}
