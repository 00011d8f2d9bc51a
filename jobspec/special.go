package jobspec

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
)

func init() {
	customDecoders = map[reflect.Type]func(*decoder, *body, reflect.Value) hcl.Diagnostics{
		reflect.TypeOf(api.Constraint{}): decodeConstraint,
		reflect.TypeOf(api.Affinity{}):   decodeAffinity,
	}
	postDecoders = map[reflect.Type]func(*decoder, *body, reflect.Value) hcl.Diagnostics{
		reflect.TypeOf(api.NetworkResource{}): placePorts,
	}
}

// constraintKeys are the arguments of a constraint block; besides attribute/operator/value
// each shorthand names its operator (`distinct_hosts = true`, `regexp = "..."`).
var constraintKeys = []string{
	"attribute", "operator", "value",
	api.ConstraintDistinctProperty, api.ConstraintDistinctHosts, api.ConstraintRegex,
	api.ConstraintVersion, api.ConstraintSemver, api.ConstraintSetContains,
	api.ConstraintSetContainsAll, api.ConstraintSetContainsAny,
}

var affinityKeys = []string{
	"attribute", "operator", "value", "weight",
	api.ConstraintRegex, api.ConstraintVersion, api.ConstraintSemver, api.ConstraintSetContains,
	api.ConstraintSetContainsAll, api.ConstraintSetContainsAny,
}

// flatArgs reads a body made only of the named arguments into strings (bools and numbers
// are written in their HCL form). Blocks and other arguments are errors.
func flatArgs(d *decoder, b *body, where string, keys []string) (map[string]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]string{}
	for _, a := range b.Attrs {
		known := false
		for _, k := range keys {
			known = known || k == a.Name
		}
		if !known {
			diags = append(diags, d.unsupportedAttr(where, a, false))
			continue
		}
		val, vd := a.Value()
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		var s string
		if a.Name == api.ConstraintDistinctHosts {
			var v bool
			if diags = append(diags, assignValue(val, reflect.ValueOf(&v).Elem(), a.Name, a.ExprRange)...); v {
				s = "true"
			}
		} else {
			diags = append(diags, assignValue(val, reflect.ValueOf(&s).Elem(), a.Name, a.ExprRange)...)
		}
		out[a.Name] = s
	}
	for _, nb := range b.Blocks {
		diags = append(diags, d.unsupportedBlock(where, nb, false))
	}
	return out, diags
}

// decodeConstraint applies Nomad's shorthands: version, semver, regexp and set_contains set
// the operator and value; distinct_hosts sets the operator; distinct_property sets the
// operator and attribute. The operator defaults to "=".
func decodeConstraint(d *decoder, b *body, rv reflect.Value) hcl.Diagnostics {
	args, diags := flatArgs(d, b, "constraint", constraintKeys)
	c := rv.Addr().Interface().(*api.Constraint)
	c.LTarget, c.RTarget, c.Operand = args["attribute"], args["value"], args["operator"]
	for _, op := range []string{api.ConstraintVersion, api.ConstraintSemver, api.ConstraintRegex,
		api.ConstraintSetContains, api.ConstraintSetContainsAll, api.ConstraintSetContainsAny} {
		if v := args[op]; v != "" {
			c.Operand, c.RTarget = op, v
		}
	}
	if args[api.ConstraintDistinctHosts] == "true" {
		c.Operand = api.ConstraintDistinctHosts
	}
	if v := args[api.ConstraintDistinctProperty]; v != "" {
		c.Operand, c.LTarget = api.ConstraintDistinctProperty, v
	}
	if c.Operand == "" {
		c.Operand = "="
	}
	return diags
}

// decodeAffinity is decodeConstraint for affinities, plus weight.
func decodeAffinity(d *decoder, b *body, rv reflect.Value) hcl.Diagnostics {
	args, diags := flatArgs(d, b, "affinity", affinityKeys)
	a := rv.Addr().Interface().(*api.Affinity)
	a.LTarget, a.RTarget, a.Operand = args["attribute"], args["value"], args["operator"]
	for _, op := range []string{api.ConstraintVersion, api.ConstraintSemver, api.ConstraintRegex,
		api.ConstraintSetContainsAny, api.ConstraintSetContainsAll, api.ConstraintSetContains} {
		if v := args[op]; v != "" {
			a.Operand, a.RTarget = op, v
		}
	}
	if w, ok := args["weight"]; ok {
		for _, attr := range b.Attrs {
			if attr.Name == "weight" {
				var weight int8
				diags = append(diags, assignValue(cty.StringVal(w), reflect.ValueOf(&weight).Elem(), "weight", attr.ExprRange)...)
				a.Weight = &weight
			}
		}
	}
	if a.Operand == "" {
		a.Operand = "="
	}
	return diags
}

// placePorts checks port labels for collisions (case-insensitively, as Nomad does) and moves
// ports with a static value into ReservedPorts; the rest stay dynamic.
func placePorts(_ *decoder, b *body, rv reflect.Value) hcl.Diagnostics {
	n := rv.Addr().Interface().(*api.NetworkResource)
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, blk := range b.Blocks {
		if (blk.Type != "port" && blk.Type != "reserved_ports") || len(blk.Labels) != 1 {
			continue
		}
		l := strings.ToLower(blk.Labels[0])
		if seen[l] {
			diags = append(diags, errorDiag(blk.DefRange, "Port label collision",
				fmt.Sprintf("found a port label collision: %s", blk.Labels[0])))
		}
		seen[l] = true
	}
	var dynamic []api.Port
	for _, p := range n.DynamicPorts {
		if p.Value > 0 {
			n.ReservedPorts = append(n.ReservedPorts, p)
		} else {
			dynamic = append(dynamic, p)
		}
	}
	n.DynamicPorts = dynamic
	return diags
}
