package structs

import "regexp"

// constraintOperands are the operands Nomad's scheduler understands. The empty
// operand is canonicalized to "=" by the job parser, so it is accepted too.
var constraintOperands = map[string]bool{
	"": true, "=": true, "==": true, "is": true, "!=": true, "not": true,
	"<": true, "<=": true, ">": true, ">=": true,
	ConstraintDistinctHosts: true, "distinct_property": true,
	ConstraintRegex: true, ConstraintVersion: true, ConstraintSemver: true,
	ConstraintSetContains: true, "set_contains_all": true, "set_contains_any": true,
	ConstraintAttrIsSet: true, ConstraintAttrIsNotSet: true,
}

func validateConstraint(v *validator, path string, c *Constraint) {
	if c == nil {
		v.addf(path, "Missing constraint")
		return
	}
	if !constraintOperands[c.Operand] {
		v.addf(path, "Unknown constraint type %q", c.Operand)
		return
	}
	requireL, requireR := true, true
	switch c.Operand {
	case ConstraintDistinctHosts:
		requireL, requireR = false, false
	case "distinct_property":
		requireR = false
	case ConstraintAttrIsSet, ConstraintAttrIsNotSet:
		requireR = false
	case ConstraintRegex:
		if _, err := regexp.Compile(c.RTarget); err != nil {
			v.addf(path, "Regular expression failed to compile: %v", err)
		}
	}
	if requireL && c.LTarget == "" {
		v.addf(path, "No LTarget provided but is required by constraint")
	}
	if requireR && c.RTarget == "" {
		v.addf(path, "No RTarget provided but is required by constraint")
	}
}
