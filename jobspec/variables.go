package jobspec

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// inputVariable is one declared job variable (`variable "x" {...}` or `variables { x = ... }`).
type inputVariable struct {
	name    string
	typ     cty.Type
	typed   bool
	value   cty.Value
	hasVal  bool
	declRng hcl.Range
}

// functions are the HCL functions available in job files: a pure subset of Nomad's
// (no file system access), each bounded by boundFunction.
func functions() map[string]function.Function {
	pre := map[string]func([]cty.Value) error{"format": preFormat, "indent": preIndent, "replace": preReplace, "join": preJoin}
	out := map[string]function.Function{}
	for name, f := range stdFunctions() {
		out[name] = boundFunction(f, pre[name])
	}
	return out
}

// stdFunctions are the functions before boundFunction's checks.
func stdFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"coalesce": stdlib.CoalesceFunc, "compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc,
		"contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
		"flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc, "format": stdlib.FormatFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc, "max": stdlib.MaxFunc,
		"merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
		"replace": stdlib.ReplaceFunc, "reverse": stdlib.ReverseListFunc, "sort": stdlib.SortFunc,
		"split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc, "substr": stdlib.SubstrFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc,
		"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	}
}

// evalContext builds the context job expressions are evaluated in: `var.*` from the
// declared variables (default < var files < -var), `local.*` from locals blocks, functions.
func evalContext(c *Config, varBlocks, variablesBlocks, localsBlocks []*hclsyntax.Block) (*hcl.EvalContext, hcl.Diagnostics) {
	base := &hcl.EvalContext{Functions: functions()}
	vars, diags := declareVariables(base, varBlocks, variablesBlocks)

	for _, path := range c.VarFiles {
		diags = append(diags, applyVarFile(base, vars, path)...)
	}
	for _, kv := range c.ArgVars {
		diags = append(diags, applyArgVar(vars, kv)...)
	}

	values := map[string]cty.Value{}
	for _, name := range sortedKeys(vars) {
		v := vars[name]
		if v.hasVal {
			if err := checkValue(v.value); err != nil {
				diags = append(diags, errorDiag(v.declRng, fmt.Sprintf("Invalid value for variable %q", name), err.Error()+"."))
				v.value = cty.DynamicVal
			}
		}
		if !v.hasVal {
			diags = append(diags, errorDiag(v.declRng, fmt.Sprintf("Unset variable %q", name),
				"A used variable must be set or have a default value; see "+
					"https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables for details."))
			values[name] = cty.DynamicVal
			continue
		}
		values[name] = v.value
	}
	ctx := &hcl.EvalContext{
		Functions: base.Functions,
		Variables: map[string]cty.Value{"var": cty.ObjectVal(values)},
	}
	diags = append(diags, evalLocals(ctx, localsBlocks)...)
	return ctx, diags
}

func declareVariables(base *hcl.EvalContext, varBlocks, variablesBlocks []*hclsyntax.Block) (map[string]*inputVariable, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]*inputVariable{}
	declare := func(v *inputVariable) {
		if prev, dup := vars[v.name]; dup {
			diags = append(diags, errorDiag(v.declRng, "Duplicate variable",
				fmt.Sprintf("Duplicate %q variable definition found; the first was at %s.", v.name, prev.declRng)))
			return
		}
		vars[v.name] = v
	}
	for _, b := range varBlocks {
		v := &inputVariable{name: b.Labels[0], declRng: b.DefRange()}
		for _, a := range sortedAttrs(b.Body) {
			switch a.Name {
			case "default":
				val, vd := a.Expr.Value(base)
				diags = append(diags, vd...)
				v.value, v.hasVal = val, !vd.HasErrors()
			case "type":
				t, td := typeexpr.TypeConstraint(a.Expr)
				diags = append(diags, td...)
				v.typ, v.typed = t, !td.HasErrors()
			case "description", "sensitive":
			default:
				diags = append(diags, errorDiag(a.NameRange, "Unsupported argument",
					fmt.Sprintf("An argument named %q is not expected here.", a.Name)))
			}
		}
		for _, nb := range b.Body.Blocks {
			diags = append(diags, errorDiag(nb.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected here.", nb.Type)))
		}
		if v.typed && v.hasVal {
			cv, err := convert.Convert(v.value, v.typ)
			if err != nil {
				diags = append(diags, errorDiag(v.declRng, "Invalid default value for variable",
					fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err)))
				v.hasVal = false
			} else {
				v.value = cv
			}
		}
		declare(v)
	}
	for _, b := range variablesBlocks {
		for _, a := range sortedAttrs(b.Body) {
			val, vd := a.Expr.Value(base)
			diags = append(diags, vd...)
			declare(&inputVariable{name: a.Name, value: val, hasVal: !vd.HasErrors(), declRng: a.NameRange})
		}
		for _, nb := range b.Body.Blocks {
			diags = append(diags, errorDiag(nb.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected here.", nb.Type)))
		}
	}
	return vars, diags
}

// setVariable assigns an externally supplied value, converting it to the declared type.
func setVariable(v *inputVariable, val cty.Value, rng hcl.Range) hcl.Diagnostics {
	if v.typed {
		cv, err := convert.Convert(val, v.typ)
		if err != nil {
			return hcl.Diagnostics{errorDiag(rng, "Invalid value for variable",
				fmt.Sprintf("The value for variable %q is not compatible with its type constraint: %s.", v.name, err))}
		}
		val = cv
	}
	v.value, v.hasVal = val, true
	return nil
}

// applyArgVar applies one -var "k=v". A string-typed (or untyped) variable takes v as is;
// other types parse v as an HCL expression ("[1, 2]").
func applyArgVar(vars map[string]*inputVariable, kv string) hcl.Diagnostics {
	name, raw, ok := strings.Cut(kv, "=")
	rng := hcl.Range{Filename: "<value for var." + name + ">", Start: hcl.InitialPos, End: hcl.InitialPos}
	if !ok || name == "" {
		return hcl.Diagnostics{errorDiag(rng, "Invalid -var option",
			fmt.Sprintf("The given -var option %q is not correctly specified. It must be a variable name and value separated an equals sign, like -var=\"key=value\".", kv))}
	}
	v, found := vars[name]
	if !found {
		return hcl.Diagnostics{errorDiag(rng, "Undefined -var variable",
			fmt.Sprintf("A %q variable was passed in but was not found in known variables. To declare variable %q, place this block in your job file: variable %q { type = string }", name, name, name))}
	}
	val := cty.StringVal(raw)
	if v.typed && !v.typ.IsPrimitiveType() && v.typ != cty.DynamicPseudoType {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
		if diags.HasErrors() {
			return diags
		}
		var vd hcl.Diagnostics
		if val, vd = expr.Value(nil); vd.HasErrors() {
			return vd
		}
	}
	return setVariable(v, val, rng)
}

// applyVarFile applies a -var-file: an HCL file of `name = value` assignments.
func applyVarFile(base *hcl.EvalContext, vars map[string]*inputVariable, path string) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		rng := hcl.Range{Filename: path}
		return hcl.Diagnostics{errorDiag(rng, "Failed to read variables file", fmt.Sprintf("failed to read %q: %s", path, err))}
	}
	if diags := checkSource(&Config{Path: path, Body: src}); diags.HasErrors() {
		return diags
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	fb, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return diags
	}
	if diags = append(diags, boundExpressions(fb)...); diags.HasErrors() {
		return diags
	}
	for _, b := range fb.Blocks {
		diags = append(diags, errorDiag(b.TypeRange, "Unsupported block type",
			fmt.Sprintf("Blocks of type %q are not expected in a variables file.", b.Type)))
	}
	for _, a := range sortedAttrs(fb) {
		v, found := vars[a.Name]
		if !found {
			diags = append(diags, errorDiag(a.NameRange, "Undefined variable",
				fmt.Sprintf("A %q variable was set but was not declared in the job file.", a.Name)))
			continue
		}
		val, vd := a.Expr.Value(base)
		diags = append(diags, vd...)
		if !vd.HasErrors() {
			diags = append(diags, setVariable(v, val, a.Expr.Range())...)
		}
	}
	return diags
}

// evalLocals evaluates locals blocks into ctx's `local` object. Locals may use each other
// in any order; a local that cannot be resolved (a cycle, a typo) is reported.
func evalLocals(ctx *hcl.EvalContext, blocks []*hclsyntax.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	pending := map[string]*hclsyntax.Attribute{}
	for _, b := range blocks {
		for _, a := range sortedAttrs(b.Body) {
			if _, dup := pending[a.Name]; dup {
				diags = append(diags, errorDiag(a.NameRange, "Duplicate local value",
					fmt.Sprintf("A local value named %q was already defined.", a.Name)))
				continue
			}
			pending[a.Name] = a
		}
		for _, nb := range b.Body.Blocks {
			diags = append(diags, errorDiag(nb.TypeRange, "Unsupported block type",
				fmt.Sprintf("Blocks of type %q are not expected here.", nb.Type)))
		}
	}
	locals := map[string]cty.Value{}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	for len(pending) > 0 {
		progress := false
		for _, name := range sortedKeys(pending) {
			a := pending[name]
			ready := true
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if ga, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, done := locals[ga.Name]; !done {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			val, vd := a.Expr.Value(ctx)
			diags = append(diags, vd...)
			locals[name] = val
			ctx.Variables["local"] = cty.ObjectVal(locals)
			delete(pending, name)
			progress = true
		}
		if !progress {
			for _, name := range sortedKeys(pending) {
				a := pending[name]
				diags = append(diags, errorDiag(a.NameRange, "Unresolvable local value",
					fmt.Sprintf("Local value %q refers to a local value that is undefined or part of a cycle.", name)))
				locals[name] = cty.DynamicVal
			}
			ctx.Variables["local"] = cty.ObjectVal(locals)
			break
		}
	}
	return diags
}

// sortedAttrs lists a body's attributes in source order.
func sortedAttrs(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
