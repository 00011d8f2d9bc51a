package scheduler

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netnomad/netnomad/nomad/structs"
)

// constraintString is the key a failed constraint is counted under in
// AllocMetric.ConstraintFiltered, as Nomad spells it: "<ltarget> <operand> <rtarget>".
func constraintString(c *structs.Constraint) string {
	return c.LTarget + " " + c.Operand + " " + c.RTarget
}

// resolveTarget interpolates a constraint target against the node. Literals are
// returned as is; ${attr.<k>}, ${meta.<k>}, ${node.unique.id}, ${node.unique.name},
// ${node.datacenter} and ${node.class} are looked up. ok is false when the node
// has no such value.
func resolveTarget(target string, node *structs.Node) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	key := target[2 : len(target)-1]
	switch key {
	case "node.unique.id":
		return node.ID, true
	case "node.unique.name":
		return node.Name, true
	case "node.datacenter":
		return node.Datacenter, true
	case "node.class":
		return node.NodeClass, true
	}
	if k, ok := strings.CutPrefix(key, "attr."); ok {
		v, ok := node.Attributes[k]
		return v, ok
	}
	if k, ok := strings.CutPrefix(key, "meta."); ok {
		v, ok := node.Meta[k]
		return v, ok
	}
	return "", false
}

// constraintChecker evaluates constraints against nodes, caching compiled
// regular expressions and version constraints for the evaluation.
type constraintChecker struct {
	regexps  map[string]*regexp.Regexp
	versions map[string]versionConstraints
}

func newConstraintChecker() *constraintChecker {
	return &constraintChecker{regexps: map[string]*regexp.Regexp{}, versions: map[string]versionConstraints{}}
}

// meets reports whether node satisfies c. distinct_hosts and distinct_property
// depend on other placements and are checked elsewhere: they pass here.
func (cc *constraintChecker) meets(c *structs.Constraint, node *structs.Node) bool {
	switch c.Operand {
	case structs.ConstraintDistinctHosts, "distinct_property":
		return true
	}
	lVal, lOK := resolveTarget(c.LTarget, node)
	rVal, rOK := resolveTarget(c.RTarget, node)
	switch c.Operand {
	case "=", "==", "is", "":
		return lOK && rOK && lVal == rVal
	case "!=", "not":
		return !(lOK == rOK && lVal == rVal)
	case "<", "<=", ">", ">=":
		return lOK && rOK && checkOrder(c.Operand, lVal, rVal)
	case structs.ConstraintRegex:
		return lOK && rOK && cc.matchRegexp(lVal, rVal)
	case structs.ConstraintVersion, structs.ConstraintSemver:
		return lOK && rOK && cc.matchVersion(c.Operand, lVal, rVal)
	case structs.ConstraintSetContains, "set_contains_all":
		return lOK && rOK && setContains(lVal, rVal, true)
	case "set_contains_any":
		return lOK && rOK && setContains(lVal, rVal, false)
	case structs.ConstraintAttrIsSet:
		return lOK
	case structs.ConstraintAttrIsNotSet:
		return !lOK
	}
	return false
}

// checkOrder compares numerically when both sides are numbers, else lexically.
func checkOrder(op, l, r string) bool {
	var cmp int
	if li, err := strconv.ParseInt(l, 10, 64); err == nil {
		if ri, err := strconv.ParseInt(r, 10, 64); err == nil {
			cmp = compareOrdered(li, ri)
			return orderHolds(op, cmp)
		}
	}
	if lf, err := strconv.ParseFloat(l, 64); err == nil {
		if rf, err := strconv.ParseFloat(r, 64); err == nil {
			return orderHolds(op, compareOrdered(lf, rf))
		}
	}
	return orderHolds(op, strings.Compare(l, r))
}

func compareOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orderHolds(op string, cmp int) bool {
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

func (cc *constraintChecker) matchRegexp(val, expr string) bool {
	re, ok := cc.regexps[expr]
	if !ok {
		re, _ = regexp.Compile(expr)
		cc.regexps[expr] = re
	}
	return re != nil && re.MatchString(val)
}

func (cc *constraintChecker) matchVersion(operand, val, constraint string) bool {
	key := operand + "\x00" + constraint
	vc, ok := cc.versions[key]
	if !ok {
		vc, _ = parseVersionConstraints(constraint, operand == structs.ConstraintSemver)
		cc.versions[key] = vc
	}
	if vc == nil {
		return false
	}
	v, err := parseVersion(val)
	if err != nil {
		return false
	}
	return vc.check(v)
}

// setContains reports whether the comma-separated set l holds all (or any) of the
// comma-separated items of r.
func setContains(l, r string, all bool) bool {
	have := map[string]struct{}{}
	for item := range strings.SplitSeq(l, ",") {
		have[strings.TrimSpace(item)] = struct{}{}
	}
	for item := range strings.SplitSeq(r, ",") {
		_, ok := have[strings.TrimSpace(item)]
		if all && !ok {
			return false
		}
		if !all && ok {
			return true
		}
	}
	return all
}

// hasDistinctHosts reports whether the constraints ask for distinct hosts.
func hasDistinctHosts(cs []*structs.Constraint) bool {
	for _, c := range cs {
		if c.Operand == structs.ConstraintDistinctHosts {
			return c.RTarget != "false"
		}
	}
	return false
}
