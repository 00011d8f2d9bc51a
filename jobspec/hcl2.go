package jobspec

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
)

// parseHCL2 parses a job file in HCL2 native syntax: one `job "<id>"` block, plus any
// `variable`, `variables` and `locals` blocks.
func parseHCL2(c *Config) (*api.Job, hcl.Diagnostics) {
	if diags := checkSource(c); diags.HasErrors() {
		return nil, diags
	}
	f, diags := hclsyntax.ParseConfig(c.Body, c.Path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	fb, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, hcl.Diagnostics{errorDiag(hcl.Range{Filename: c.Path}, "Invalid job file", "The file is not in HCL native syntax.")}
	}
	if diags = append(diags, boundExpressions(fb)...); diags.HasErrors() {
		return nil, diags
	}
	keepRuntimeInterpolations(fb, c.Body)

	for _, a := range sortedAttrs(fb) {
		diags = append(diags, errorDiag(a.NameRange, "Unsupported argument",
			fmt.Sprintf("An argument named %q is not expected here.", a.Name)))
	}
	var jobs, vars, variables, locals []*hclsyntax.Block
	for _, b := range fb.Blocks {
		want := 0
		switch b.Type {
		case "job":
			jobs, want = append(jobs, b), 1
		case "variable":
			vars, want = append(vars, b), 1
		case "variables":
			variables = append(variables, b)
		case "locals":
			locals = append(locals, b)
		default:
			diags = append(diags, errorDiag(b.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected here.", b.Type)))
			continue
		}
		if ld := (&decoder{}).checkLabels(syntaxBlock(b, nil, nil), labelNames(b.Type, want)); ld.HasErrors() {
			diags = append(diags, ld...)
			switch b.Type {
			case "job":
				jobs = jobs[:len(jobs)-1]
			case "variable":
				vars = vars[:len(vars)-1]
			}
		}
	}

	ctx, vd := evalContext(c, vars, variables, locals)
	diags = append(diags, vd...)

	switch {
	case len(jobs) == 0:
		if !diags.HasErrors() {
			diags = append(diags, errorDiag(fb.SrcRange, "Missing job block", "A job block is required."))
		}
		return nil, diags
	case len(jobs) > 1:
		diags = append(diags, errorDiag(jobs[1].DefRange(), "Duplicate job block",
			fmt.Sprintf("Only one job block is allowed. Another was defined at %s.", jobs[0].DefRange())))
		return nil, diags
	}
	if diags.HasErrors() {
		// Variables failed: decoding would only repeat their errors at each use.
		return nil, diags
	}

	jb := jobs[0]
	job := &api.Job{}
	d := &decoder{}
	diags = append(diags, d.decodeBody(syntaxBody(jb.Body, ctx), reflect.ValueOf(job).Elem(), "job")...)
	finishJob(job, jb.Labels[0])
	return job, diags
}

func labelNames(blockType string, n int) []string {
	if n == 0 {
		return nil
	}
	if blockType == "job" {
		return []string{"id"}
	}
	return []string{"name"}
}

// syntaxBody converts an HCL2 body to the decoder's tree; expressions evaluate in ctx.
func syntaxBody(sb *hclsyntax.Body, ctx *hcl.EvalContext) *body {
	out := &body{Range: sb.SrcRange}
	for _, a := range sortedAttrs(sb) {
		expr := a.Expr
		out.Attrs = append(out.Attrs, &attribute{
			Name:      a.Name,
			NameRange: a.NameRange,
			ExprRange: expr.Range(),
			Value:     func() (cty.Value, hcl.Diagnostics) { return expr.Value(ctx) },
		})
	}
	for _, b := range sb.Blocks {
		out.Blocks = append(out.Blocks, syntaxBlock(b, sb, ctx))
	}
	return out
}

// syntaxBlock converts one HCL2 block; with a nil parent only its header is converted.
func syntaxBlock(b *hclsyntax.Block, parent *hclsyntax.Body, ctx *hcl.EvalContext) *block {
	out := &block{
		Type:        b.Type,
		TypeRange:   b.TypeRange,
		Labels:      b.Labels,
		LabelRanges: b.LabelRanges,
		DefRange:    b.DefRange(),
	}
	if parent != nil {
		out.Body = syntaxBody(b.Body, ctx)
	}
	return out
}
