package jobspec

import (
	"errors"
	"fmt"
	"reflect"

	hcl1 "github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	hcl1parser "github.com/hashicorp/hcl/hcl/parser"
	"github.com/hashicorp/hcl/hcl/token"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
)

// parseHCL1 parses a job file written for Nomad 0.9/0.10's HCL1 parser: commas after
// attributes, quoted keys (`"team" = "x"`), `meta = {...}`. An object value is read as a
// block, which is how HCL1 itself treated `x = {...}` and `x {...}` alike. Unknown keys
// are reported as `<block> -> invalid key: <key>`.
func parseHCL1(c *Config) (*api.Job, hcl.Diagnostics) {
	if diags := checkSource(c); diags.HasErrors() {
		return nil, diags
	}
	f, err := hcl1.ParseBytes(c.Body)
	if err != nil {
		rng := hcl.Range{Filename: c.Path, Start: hcl.InitialPos, End: hcl.InitialPos}
		var pe *hcl1parser.PosError
		if errors.As(err, &pe) {
			rng = posRange(c.Path, pe.Pos, 1)
			err = pe.Err
		}
		return nil, hcl.Diagnostics{errorDiag(rng, "Failed to parse HCL1 job file", err.Error())}
	}
	list, ok := f.Node.(*ast.ObjectList)
	if !ok {
		return nil, hcl.Diagnostics{errorDiag(hcl.Range{Filename: c.Path}, "Failed to parse HCL1 job file", "the file has no top-level object")}
	}
	root, diags := hcl1Body(c.Path, list, hcl.Range{Filename: c.Path, Start: hcl.InitialPos, End: hcl.InitialPos})

	var jobBlock *block
	for _, a := range root.Attrs {
		diags = append(diags, errorDiag(a.NameRange, fmt.Sprintf("invalid key: %s", a.Name), ""))
	}
	for _, b := range root.Blocks {
		switch {
		case b.Type != "job":
			diags = append(diags, errorDiag(b.TypeRange, fmt.Sprintf("invalid key: %s", b.Type), ""))
		case len(b.Labels) != 1:
			diags = append(diags, errorDiag(b.DefRange, "job must have exactly one name", ""))
		case jobBlock != nil:
			diags = append(diags, errorDiag(b.DefRange, "only one 'job' block allowed", ""))
		default:
			jobBlock = b
		}
	}
	if jobBlock == nil {
		if !diags.HasErrors() {
			diags = append(diags, errorDiag(root.Range, "'job' stanza not found", ""))
		}
		return nil, diags
	}
	job := &api.Job{}
	d := &decoder{hcl1: true}
	diags = append(diags, d.decodeBody(jobBlock.Body, reflect.ValueOf(job).Elem(), "job")...)
	finishJob(job, jobBlock.Labels[0])
	return job, diags
}

// hcl1Body converts an HCL1 object list. An item whose value is an object becomes a block
// (its extra keys are labels); every other item is an attribute.
func hcl1Body(path string, list *ast.ObjectList, rng hcl.Range) (*body, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := &body{Range: rng}
	for _, item := range list.Items {
		if len(item.Keys) == 0 {
			continue
		}
		keys := make([]string, len(item.Keys))
		ranges := make([]hcl.Range, len(item.Keys))
		bad := false
		for i, k := range item.Keys {
			s, err := tokenString(k.Token)
			if err != nil {
				diags = append(diags, errorDiag(posRange(path, k.Pos(), 1), "Invalid key", err.Error()))
				bad = true
				continue
			}
			keys[i] = s
			ranges[i] = posRange(path, k.Pos(), len(k.Token.Text))
		}
		if bad {
			continue
		}
		if obj, ok := item.Val.(*ast.ObjectType); ok {
			inner, bd := hcl1Body(path, obj.List, posRange(path, obj.Lbrace, 1))
			diags = append(diags, bd...)
			out.Blocks = append(out.Blocks, &block{
				Type:        keys[0],
				TypeRange:   ranges[0],
				Labels:      keys[1:],
				LabelRanges: ranges[1:],
				DefRange:    ranges[0],
				Body:        inner,
			})
			continue
		}
		if len(keys) > 1 {
			diags = append(diags, errorDiag(ranges[1], "Invalid key",
				fmt.Sprintf("%q: only a block may have labels", keys[0])))
			continue
		}
		node := item.Val
		out.Attrs = append(out.Attrs, &attribute{
			Name:      keys[0],
			NameRange: ranges[0],
			ExprRange: posRange(path, node.Pos(), 1),
			Value: func() (cty.Value, hcl.Diagnostics) {
				return hcl1Value(path, node)
			},
		})
	}
	return out, diags
}

// hcl1Value converts an HCL1 value node. HCL1 has no expressions: strings, including
// "${...}", are taken literally.
func hcl1Value(path string, n ast.Node) (cty.Value, hcl.Diagnostics) {
	switch v := n.(type) {
	case *ast.LiteralType:
		val, err := tokenValue(v.Token)
		if err != nil {
			return cty.NilVal, hcl.Diagnostics{errorDiag(posRange(path, v.Pos(), 1), "Invalid value", err.Error())}
		}
		return val, nil
	case *ast.ListType:
		var diags hcl.Diagnostics
		elems := make([]cty.Value, 0, len(v.List))
		for _, e := range v.List {
			ev, ed := hcl1Value(path, e)
			diags = append(diags, ed...)
			if !ed.HasErrors() {
				elems = append(elems, ev)
			}
		}
		if diags.HasErrors() {
			return cty.NilVal, diags
		}
		return cty.TupleVal(elems), nil
	case *ast.ObjectType:
		var diags hcl.Diagnostics
		attrs := map[string]cty.Value{}
		for _, item := range v.List.Items {
			if len(item.Keys) == 0 {
				continue
			}
			ev, ed := hcl1Value(path, item.Val)
			diags = append(diags, ed...)
			for i := len(item.Keys) - 1; i >= 1 && !ed.HasErrors(); i-- {
				k, err := tokenString(item.Keys[i].Token)
				if err != nil {
					diags = append(diags, errorDiag(posRange(path, item.Keys[i].Pos(), 1), "Invalid key", err.Error()))
					break
				}
				ev = cty.ObjectVal(map[string]cty.Value{k: ev})
			}
			k, err := tokenString(item.Keys[0].Token)
			if err != nil {
				diags = append(diags, errorDiag(posRange(path, item.Keys[0].Pos(), 1), "Invalid key", err.Error()))
				continue
			}
			if !ed.HasErrors() {
				attrs[k] = ev
			}
		}
		if diags.HasErrors() {
			return cty.NilVal, diags
		}
		return cty.ObjectVal(attrs), nil
	}
	return cty.NilVal, hcl.Diagnostics{errorDiag(posRange(path, n.Pos(), 1), "Invalid value", "unsupported value")}
}

// tokenValue converts a literal token; token.Value panics on malformed literals, so the
// panic is turned into an error.
func tokenValue(t token.Token) (val cty.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			val, err = cty.NilVal, fmt.Errorf("invalid literal %s", t.Text)
		}
	}()
	switch t.Type {
	case token.NUMBER:
		return cty.NumberIntVal(t.Value().(int64)), nil
	case token.FLOAT:
		if len(t.Text) > maxNumberText {
			return cty.NilVal, fmt.Errorf("number literal longer than %d characters", maxNumberText)
		}
		v, err := cty.ParseNumberVal(t.Text)
		if err == nil && !numberInRange(v.AsBigFloat()) {
			return cty.NilVal, fmt.Errorf("%s: %s", errNumberRange, t.Text)
		}
		return v, err
	case token.BOOL:
		return cty.BoolVal(t.Value().(bool)), nil
	case token.STRING, token.HEREDOC, token.IDENT:
		return cty.StringVal(t.Value().(string)), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported literal %s", t.Text)
}

func tokenString(t token.Token) (string, error) {
	v, err := tokenValue(t)
	if err != nil {
		return "", err
	}
	if v.Type() != cty.String {
		return t.Text, nil
	}
	return v.AsString(), nil
}

// posRange converts an HCL1 position to a range of width characters.
func posRange(path string, p token.Pos, width int) hcl.Range {
	start := hcl.Pos{Line: p.Line, Column: p.Column, Byte: p.Offset}
	end := hcl.Pos{Line: p.Line, Column: p.Column + width, Byte: p.Offset + width}
	return hcl.Range{Filename: path, Start: start, End: end}
}
