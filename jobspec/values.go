package jobspec

import (
	"fmt"
	"math/big"
	"reflect"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var durationType = reflect.TypeOf(time.Duration(0))

// assignValue stores val into the settable rv, converting HCL values to the Go type of rv.
// Durations accept strings ("10s") and numbers (nanoseconds), as Nomad's jobspec does. A null
// value leaves rv untouched. name is the attribute name used in messages.
func assignValue(val cty.Value, rv reflect.Value, name string, rng hcl.Range) hcl.Diagnostics {
	val, _ = val.UnmarkDeep()
	if val.IsNull() {
		return nil
	}
	if !val.IsWhollyKnown() {
		return hcl.Diagnostics{errorDiag(rng, "Unknown value",
			fmt.Sprintf("The value of %q cannot be determined when the job is parsed.", name))}
	}
	bad := func(what string) hcl.Diagnostics {
		return hcl.Diagnostics{errorDiag(rng, "Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, what))}
	}
	t := rv.Type()
	if t == durationType {
		d, diags := durationValue(val, name, rng)
		if diags.HasErrors() {
			return diags
		}
		rv.SetInt(int64(d))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if diags := assignValue(val, p.Elem(), name, rng); diags.HasErrors() {
			return diags
		}
		rv.Set(p)
		return nil
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return bad("unsupported target type")
		}
		if g := goValue(val); g != nil {
			rv.Set(reflect.ValueOf(g))
		}
		return nil
	case reflect.String:
		if val.Type() == cty.Number {
			// Check before formatting: converting 1e999999 or 1e-999999 to its full
			// decimal text takes minutes.
			if !numberInRange(val.AsBigFloat()) {
				return bad(errNumberRange)
			}
		}
		s, err := convert.Convert(val, cty.String)
		if err != nil || s.IsNull() {
			return bad("string required")
		}
		rv.SetString(s.AsString())
		return nil
	case reflect.Bool:
		b, err := convert.Convert(val, cty.Bool)
		if err != nil || b.IsNull() {
			return bad("bool required")
		}
		rv.SetBool(b.True())
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bf, ok := numberValue(val)
		if !ok || !bf.IsInt() {
			return bad("a whole number is required")
		}
		i, acc := bf.Int64()
		if acc != big.Exact || rv.OverflowInt(i) {
			return bad("number is out of range")
		}
		rv.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bf, ok := numberValue(val)
		if !ok || !bf.IsInt() || bf.Sign() < 0 {
			return bad("a non-negative whole number is required")
		}
		u, acc := bf.Uint64()
		if acc != big.Exact || rv.OverflowUint(u) {
			return bad("number is out of range")
		}
		rv.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		bf, ok := numberValue(val)
		if !ok {
			return bad("number required")
		}
		f, _ := bf.Float64()
		rv.SetFloat(f)
		return nil
	case reflect.Slice:
		vt := val.Type()
		if !(vt.IsListType() || vt.IsTupleType() || vt.IsSetType()) {
			return bad("list required")
		}
		out := reflect.MakeSlice(t, 0, val.LengthInt())
		var diags hcl.Diagnostics
		for it := val.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			e := reflect.New(t.Elem()).Elem()
			diags = append(diags, assignValue(ev, e, name, rng)...)
			out = reflect.Append(out, e)
		}
		if diags.HasErrors() {
			return diags
		}
		rv.Set(out)
		return nil
	case reflect.Map:
		vt := val.Type()
		if t.Key().Kind() != reflect.String || !(vt.IsObjectType() || vt.IsMapType()) {
			return bad("map required")
		}
		out := reflect.MakeMapWithSize(t, val.LengthInt())
		var diags hcl.Diagnostics
		for it := val.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			e := reflect.New(t.Elem()).Elem()
			diags = append(diags, assignValue(ev, e, name, rng)...)
			out.SetMapIndex(reflect.ValueOf(k.AsString()).Convert(t.Key()), e)
		}
		if diags.HasErrors() {
			return diags
		}
		rv.Set(out)
		return nil
	}
	return bad(fmt.Sprintf("a %s block is required", name))
}

// numberValue converts val to a number, accepting numeric strings as HCL does.
func numberValue(val cty.Value) (*big.Float, bool) {
	if val.Type() == cty.String && len(val.AsString()) > maxNumberText {
		// Parsing a long digit string is quadratic in its length.
		return nil, false
	}
	n, err := convert.Convert(val, cty.Number)
	if err != nil || n.IsNull() || !n.IsKnown() {
		return nil, false
	}
	bf := n.AsBigFloat()
	if !numberInRange(bf) {
		return nil, false
	}
	return bf, true
}

// durationValue reads a duration written as a Go duration string or as nanoseconds.
func durationValue(val cty.Value, name string, rng hcl.Range) (time.Duration, hcl.Diagnostics) {
	if val.Type() == cty.String {
		d, err := time.ParseDuration(val.AsString())
		if err != nil {
			return 0, hcl.Diagnostics{errorDiag(rng, "Unsuitable value type",
				fmt.Sprintf("Unsuitable duration value for %q: %s", name, err))}
		}
		return d, nil
	}
	bf, ok := numberValue(val)
	if ok && bf.IsInt() {
		if i, acc := bf.Int64(); acc == big.Exact {
			return time.Duration(i), nil
		}
	}
	return 0, hcl.Diagnostics{errorDiag(rng, "Unsuitable value type",
		fmt.Sprintf("Unsuitable duration value for %q: expected a string like \"10s\" but found %s",
			name, val.Type().FriendlyName()))}
}

// goValue converts an HCL value to plain Go values for free-form maps such as a task's
// config: strings, bools, int for whole numbers (float64 otherwise), []any and
// map[string]any. Unknown and null values become nil.
func goValue(val cty.Value) any {
	val, _ = val.UnmarkDeep()
	if val.IsNull() || !val.IsKnown() {
		return nil
	}
	t := val.Type()
	switch {
	case t == cty.String:
		return val.AsString()
	case t == cty.Bool:
		return val.True()
	case t == cty.Number:
		bf := val.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact && i == int64(int(i)) {
				return int(i)
			}
		}
		f, _ := bf.Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, val.LengthInt())
		for it := val.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, goValue(ev))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, val.LengthInt())
		for it := val.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = goValue(ev)
		}
		return out
	}
	return nil
}
