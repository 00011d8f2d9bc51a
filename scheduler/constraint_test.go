package scheduler

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestConstraintChecker_Meets(t *testing.T) {
	node := testNode(1)
	node.ID = "f3c1c4d2-0000-4000-8000-000000000001"
	node.NodeClass = "large"
	node.Attributes["cpu.numcores"] = "8"
	node.Attributes["kernel.version"] = "5.15.0-91-generic"
	node.Attributes["nomad.version"] = "0.10.0"
	node.Attributes["consul.version"] = "1.7.0-beta1"
	node.Attributes["unique.platform.aws.ami-id"] = "ami-1"
	node.Meta["features"] = "a,b, c"
	node.Meta["weight"] = "2.5"

	cases := []struct {
		l, op, r string
		want     bool
	}{
		{"${attr.kernel.name}", "=", "linux", true},
		{"${attr.kernel.name}", "==", "windows", false},
		{"${attr.kernel.name}", "is", "linux", true},
		{"${attr.kernel.name}", "!=", "windows", true},
		{"${attr.missing}", "!=", "x", true},
		{"${attr.missing}", "=", "x", false},
		{"${node.unique.id}", "=", "f3c1c4d2-0000-4000-8000-000000000001", true},
		{"${node.unique.name}", "=", "node-1", true},
		{"${node.datacenter}", "=", "dc1", true},
		{"${node.class}", "=", "large", true},
		{"${attr.cpu.numcores}", ">", "4", true},
		{"${attr.cpu.numcores}", ">=", "8", true},
		{"${attr.cpu.numcores}", "<", "10", true}, // numeric, not lexical
		{"${attr.cpu.numcores}", "<=", "7", false},
		{"${meta.weight}", ">", "2.25", true},
		{"${node.unique.name}", "<", "node-2", true},
		{"${attr.missing}", ">", "1", false},
		{"${attr.kernel.version}", "regexp", "^5\\.", true},
		{"${attr.kernel.version}", "regexp", "^4\\.", false},
		{"${attr.kernel.version}", "regexp", "([", false},
		{"${attr.nomad.version}", "version", ">= 0.9, < 0.11", true},
		{"${attr.nomad.version}", "version", "~> 0.9.0", false},
		{"${attr.nomad.version}", "version", "~> 0.10.0", true},
		{"${attr.consul.version}", "version", ">= 1.6.0", false}, // pre-release needs a pre-release constraint
		{"${attr.consul.version}", "semver", ">= 1.6.0", true},
		{"${attr.consul.version}", "semver", ">= 1.7.0", false},
		// As with go-version, "-91-generic" is a pre-release: only semver orders it.
		{"${attr.kernel.version}", "version", ">= 5.10", false},
		{"${attr.kernel.version}", "semver", ">= 5.10", true},
		{"${meta.features}", "set_contains", "a,c", true},
		{"${meta.features}", "set_contains", "a,d", false},
		{"${meta.features}", "set_contains_any", "d,b", true},
		{"${attr.unique.platform.aws.ami-id}", "is_set", "", true},
		{"${attr.missing}", "is_set", "", false},
		{"${attr.missing}", "is_not_set", "", true},
		{"${attr.kernel.name}", "is_not_set", "", false},
		{"${attr.kernel.name}", "bogus", "linux", false},
		{"", "distinct_hosts", "true", true},
	}
	cc := newConstraintChecker()
	for _, tc := range cases {
		c := &structs.Constraint{LTarget: tc.l, Operand: tc.op, RTarget: tc.r}
		t.Run(constraintString(c), func(t *testing.T) {
			must.Eq(t, tc.want, cc.meets(c, node))
			// Cached regexps/versions give the same answer.
			must.Eq(t, tc.want, cc.meets(c, node))
		})
	}
}

func TestDCMatches(t *testing.T) {
	cases := []struct {
		dc       string
		patterns []string
		want     bool
	}{
		{"dc1", []string{"dc1"}, true},
		{"dc1", []string{"dc2", "*"}, true},
		{"us-east-1", []string{"us-*"}, true},
		{"eu-west-1", []string{"us-*"}, false},
		{"dc1", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.dc, func(t *testing.T) {
			must.Eq(t, tc.want, dcMatches(tc.dc, tc.patterns))
		})
	}
}
