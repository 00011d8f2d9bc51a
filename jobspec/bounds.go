package jobspec

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Parse must finish quickly on any input, including hostile ones sent to the job parse
// API. Turning a cty number into text (templates, string fields, format, jsonencode)
// writes every decimal digit: 1e-999999 is a million digits and takes minutes. So every
// number that can enter an evaluation (literals, operator and function results, variable
// values) is kept within the float64 range, and functions that can multiply the size of
// their input are capped.
const (
	// maxSourceBytes bounds a job file; parsing is linear in it except for long digit
	// strings, whose conversion to numbers is quadratic.
	maxSourceBytes = 1 << 20
	// maxNumberText bounds the characters of a number literal.
	maxNumberText = 1000
	// minExponent and maxExponent bound the binary exponent (as returned by
	// big.Float.MantExp) of a non-zero number: the float64 range, denormals included.
	minExponent = -1073
	maxExponent = 1024
	// maxValueBytes bounds the string bytes a function may return.
	maxValueBytes = 1 << 20
	// maxFormatWidth bounds a width or precision in a format() verb.
	maxFormatWidth = 10000
)

// errNumberRange is the message for a number outside the float64 range.
const errNumberRange = "number is out of range"

// numberInRange reports whether bf is zero or within the float64 range, so that it can
// be written as decimal text in bounded time.
func numberInRange(bf *big.Float) bool {
	if bf.IsInf() {
		return false
	}
	if bf.Sign() == 0 {
		return true
	}
	exp := bf.MantExp(nil)
	return exp >= minExponent && exp <= maxExponent
}

// checkValue reports a number out of range, or more than maxValueBytes of strings,
// anywhere in v. Unknown and null parts are skipped.
func checkValue(v cty.Value) error {
	size := 0
	var walk func(v cty.Value) error
	walk = func(v cty.Value) error {
		v, _ = v.Unmark()
		if v.IsNull() || !v.IsKnown() {
			return nil
		}
		t := v.Type()
		switch {
		case t == cty.Number:
			if !numberInRange(v.AsBigFloat()) {
				return fmt.Errorf("%s", errNumberRange)
			}
		case t == cty.String:
			if size += len(v.AsString()); size > maxValueBytes {
				return fmt.Errorf("value is larger than %d bytes", maxValueBytes)
			}
		case t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsMapType() || t.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if t.IsMapType() || t.IsObjectType() {
					size += len(k.AsString())
				}
				if err := walk(e); err != nil {
					return err
				}
			}
			if size > maxValueBytes {
				return fmt.Errorf("value is larger than %d bytes", maxValueBytes)
			}
		}
		return nil
	}
	return walk(v)
}

// checkSource rejects a job file too large to parse in bounded time, and (for HCL2)
// number literals too long to convert in bounded time.
func checkSource(c *Config) hcl.Diagnostics {
	start := hcl.Range{Filename: c.Path, Start: hcl.InitialPos, End: hcl.InitialPos}
	if len(c.Body) > maxSourceBytes {
		return hcl.Diagnostics{errorDiag(start, "Job file too large",
			fmt.Sprintf("The job file is %d bytes; at most %d are accepted.", len(c.Body), maxSourceBytes))}
	}
	if c.HCL1 {
		return nil
	}
	tokens, _ := hclsyntax.LexConfig(c.Body, c.Path, hcl.InitialPos)
	for _, tok := range tokens {
		if tok.Type == hclsyntax.TokenNumberLit && len(tok.Bytes) > maxNumberText {
			return hcl.Diagnostics{errorDiag(tok.Range, "Invalid number literal",
				fmt.Sprintf("A number literal may have at most %d characters.", maxNumberText))}
		}
	}
	return nil
}

// boundExpressions checks the number literals of an HCL2 tree and, in place, makes its
// arithmetic operators reject results out of range (1e300 * 1e300).
func boundExpressions(node hclsyntax.Node) hcl.Diagnostics {
	w := &boundWalker{}
	hclsyntax.Walk(node, w)
	return w.diags
}

type boundWalker struct {
	diags hcl.Diagnostics
}

// boundedOps maps each arithmetic operator to its range-checked replacement.
var boundedOps = map[*hclsyntax.Operation]*hclsyntax.Operation{}

func init() {
	for _, op := range []*hclsyntax.Operation{hclsyntax.OpAdd, hclsyntax.OpSubtract,
		hclsyntax.OpMultiply, hclsyntax.OpDivide, hclsyntax.OpModulo, hclsyntax.OpNegate} {
		g := *op
		g.Impl = boundFunction(op.Impl, nil)
		boundedOps[op] = &g
	}
}

func (w *boundWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch e := n.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() == cty.Number && e.Val.IsKnown() && !e.Val.IsNull() && !numberInRange(e.Val.AsBigFloat()) {
			w.diags = append(w.diags, errorDiag(e.SrcRange, "Invalid number literal",
				"The number is out of range: a job file's numbers must fit a 64-bit float."))
		}
	case *hclsyntax.BinaryOpExpr:
		if g, ok := boundedOps[e.Op]; ok {
			e.Op = g
		}
	case *hclsyntax.UnaryOpExpr:
		if g, ok := boundedOps[e.Op]; ok {
			e.Op = g
		}
	}
	return nil
}

func (w *boundWalker) Exit(hclsyntax.Node) hcl.Diagnostics { return nil }

// boundFunction wraps f so that its result is checked with checkValue; pre, when set,
// checks the arguments first (for functions whose cost is not linear in their input).
// The wrapper has f's parameters, so argument conversion and messages are unchanged.
func boundFunction(f function.Function, pre func(args []cty.Value) error) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			if pre != nil && allKnown(args) {
				if err := pre(args); err != nil {
					return cty.UnknownVal(retType), err
				}
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if err := checkValue(v); err != nil {
				return cty.UnknownVal(retType), err
			}
			return v, nil
		},
	})
}

func allKnown(args []cty.Value) bool {
	for _, a := range args {
		if !a.IsWhollyKnown() {
			return false
		}
		if a.ContainsMarked() {
			return false
		}
	}
	return true
}

// preFormat rejects format() widths and precisions above maxFormatWidth
// (format("%99999999s", "")) and numeric strings out of range, which format converts
// and prints itself (format("%f", "1e-999999")).
func preFormat(args []cty.Value) error {
	if len(args) == 0 || args[0].IsNull() {
		return nil
	}
	spec := args[0].AsString()
	for i := 0; i < len(spec); i++ {
		if spec[i] != '%' {
			continue
		}
		n := 0
		for i++; i < len(spec) && strings.IndexByte("-+ #0123456789.[]", spec[i]) >= 0; i++ {
			if d := spec[i]; d >= '0' && d <= '9' {
				if n = n*10 + int(d-'0'); n > maxFormatWidth {
					return fmt.Errorf("a width or precision may be at most %d", maxFormatWidth)
				}
			} else {
				n = 0
			}
		}
	}
	for _, a := range args[1:] {
		if a.IsNull() || a.Type() != cty.String {
			continue
		}
		if n, err := cty.ParseNumberVal(strings.TrimSpace(a.AsString())); err == nil && !numberInRange(n.AsBigFloat()) {
			return fmt.Errorf("%s", errNumberRange)
		}
	}
	return nil
}

// preIndent rejects an indent() result over maxValueBytes.
func preIndent(args []cty.Value) error {
	if args[0].IsNull() || args[1].IsNull() {
		return nil
	}
	spaces, _ := args[0].AsBigFloat().Int64()
	lines := int64(strings.Count(args[1].AsString(), "\n") + 1)
	if spaces > maxValueBytes || spaces*lines > maxValueBytes {
		return fmt.Errorf("the result would be larger than %d bytes", maxValueBytes)
	}
	return nil
}

// preReplace rejects a replace() result over maxValueBytes (replace(s, "", big)).
func preReplace(args []cty.Value) error {
	for _, a := range args {
		if a.IsNull() {
			return nil
		}
	}
	s, sub, rep := args[0].AsString(), args[1].AsString(), args[2].AsString()
	count := len(s) + 1
	if sub != "" {
		count = len(s) / len(sub)
	}
	if int64(count)*int64(len(rep)) > maxValueBytes {
		return fmt.Errorf("the result would be larger than %d bytes", maxValueBytes)
	}
	return nil
}

// preJoin rejects a join() result over maxValueBytes (a long separator, many elements).
func preJoin(args []cty.Value) error {
	if args[0].IsNull() {
		return nil
	}
	n := int64(0)
	for _, l := range args[1:] {
		if !l.IsNull() {
			n += int64(l.LengthInt())
		}
	}
	if n*int64(len(args[0].AsString())) > maxValueBytes {
		return fmt.Errorf("the result would be larger than %d bytes", maxValueBytes)
	}
	return nil
}
