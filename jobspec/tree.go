package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// body is the syntax-neutral shape both front ends (HCL2 and HCL1) build, so a single
// decoder fills api types from either. A body keeps source order; it is not yet checked
// against any schema.
type body struct {
	Attrs  []*attribute
	Blocks []*block
	// Range covers the whole body; it locates "missing argument" errors.
	Range hcl.Range
}

// attribute is one `name = expr` item. Value is evaluated lazily, so an attribute that is
// rejected as unknown does not also report evaluation errors.
type attribute struct {
	Name      string
	NameRange hcl.Range
	ExprRange hcl.Range
	Value     func() (cty.Value, hcl.Diagnostics)
}

// block is one `type "label"... { body }` item.
type block struct {
	Type        string
	TypeRange   hcl.Range
	Labels      []string
	LabelRanges []hcl.Range
	DefRange    hcl.Range
	Body        *body
}

// errorDiag builds an error diagnostic located at subject.
func errorDiag(subject hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  subject.Ptr(),
	}
}
