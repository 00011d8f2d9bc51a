package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// parseTimeRoots are the traversal roots resolved while parsing; every other root in a
// template (`${NOMAD_PORT_http}`, `${node.unique.name}`, `${attr.kernel.name}`,
// `${meta.x}`, `${env.X}`) is a runtime interpolation that Nomad's client fills in.
var parseTimeRoots = map[string]bool{"var": true, "local": true}

// keepRuntimeInterpolations rewrites, in place, every template part whose references are
// not all parse-time roots (or for-expression symbols in scope) into a literal holding
// its own source text, so `"${NOMAD_TASK_DIR}/x"` evaluates to exactly that string.
// Parts without references (`${1 + 1}`) and parts using only var/local are left to be
// evaluated.
func keepRuntimeInterpolations(node hclsyntax.Node, src []byte) {
	w := &interpWalker{src: src}
	hclsyntax.Walk(node, w)
}

type interpWalker struct {
	src []byte
	// scopes holds the symbols bound by enclosing for expressions.
	scopes [][]string
}

func (w *interpWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch e := n.(type) {
	case *hclsyntax.ForExpr:
		w.scopes = append(w.scopes, []string{e.KeyVar, e.ValVar})
	case *hclsyntax.TemplateExpr:
		for i, part := range e.Parts {
			if lit, ok := w.literal(part); ok {
				e.Parts[i] = lit
			}
		}
	case *hclsyntax.TemplateWrapExpr:
		if lit, ok := w.literal(e.Wrapped); ok {
			e.Wrapped = lit
		}
	}
	return nil
}

func (w *interpWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok && len(w.scopes) > 0 {
		w.scopes = w.scopes[:len(w.scopes)-1]
	}
	return nil
}

// literal returns the replacement for a template part that refers to a runtime variable.
func (w *interpWalker) literal(part hclsyntax.Expression) (hclsyntax.Expression, bool) {
	if _, isLit := part.(*hclsyntax.LiteralValueExpr); isLit {
		return nil, false
	}
	runtime := false
	for _, tr := range part.Variables() {
		root := tr.RootName()
		if !parseTimeRoots[root] && !w.bound(root) {
			runtime = true
		}
	}
	if !runtime {
		return nil, false
	}
	rng := part.Range()
	if rng.Start.Byte < 0 || rng.End.Byte > len(w.src) || rng.Start.Byte > rng.End.Byte {
		return nil, false
	}
	text := "${" + string(w.src[rng.Start.Byte:rng.End.Byte]) + "}"
	return &hclsyntax.LiteralValueExpr{Val: cty.StringVal(text), SrcRange: rng}, true
}

func (w *interpWalker) bound(name string) bool {
	for _, s := range w.scopes {
		for _, v := range s {
			if v != "" && v == name {
				return true
			}
		}
	}
	return false
}
