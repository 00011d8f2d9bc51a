package jobspec

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

// fieldKind says how a tagged api field appears in a job file.
type fieldKind int

const (
	fieldAttr fieldKind = iota
	fieldBlock
	fieldLabel
)

// fieldInfo is one field of an api struct as named by its `hcl:"..."` tag.
type fieldInfo struct {
	name     string
	index    int
	kind     fieldKind
	required bool
}

// structInfo lists the hcl-tagged fields of an api struct.
type structInfo struct {
	fields []fieldInfo
	labels []fieldInfo
}

func (s *structInfo) find(name string) (fieldInfo, bool) {
	for _, f := range s.fields {
		if f.name == name {
			return f, true
		}
	}
	return fieldInfo{}, false
}

var structInfos sync.Map // reflect.Type -> *structInfo

// infoFor reads the hcl tags of struct type t (cached).
func infoFor(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{}
	for i := 0; i < t.NumField(); i++ {
		tag, ok := t.Field(i).Tag.Lookup("hcl")
		if !ok || tag == "-" {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		f := fieldInfo{name: name, index: i}
		switch opt {
		case "label":
			f.kind = fieldLabel
			si.labels = append(si.labels, f)
			continue
		case "block":
			f.kind = fieldBlock
		case "optional":
			f.kind = fieldAttr
		case "":
			f.kind = fieldAttr
			f.required = true
		default:
			continue
		}
		si.fields = append(si.fields, f)
	}
	structInfos.Store(t, si)
	return si
}

// decoder fills api structs from a body. One decoder serves one Parse call.
type decoder struct {
	// hcl1 selects Nomad 0.10's wording for unknown keys.
	hcl1 bool
}

// customDecoders replace the generic decoding of a struct type whose file syntax is not
// a plain image of its fields (constraint shorthands).
var customDecoders map[reflect.Type]func(d *decoder, b *body, rv reflect.Value) hcl.Diagnostics

// postDecoders run after the generic decoding of a struct type (port placement).
var postDecoders map[reflect.Type]func(d *decoder, b *body, rv reflect.Value) hcl.Diagnostics

// isFreeMap reports whether t is a map with free-form keys (meta, env, config, header), which
// a file may write as a block or as an attribute.
func isFreeMap(t reflect.Type) bool {
	if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String {
		return false
	}
	e := t.Elem()
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e.Kind() != reflect.Struct
}

// unsupportedAttr reports an attribute the block does not accept.
func (d *decoder) unsupportedAttr(where string, a *attribute, isBlock bool) *hcl.Diagnostic {
	if d.hcl1 {
		return errorDiag(a.NameRange, fmt.Sprintf("%s -> invalid key: %s", where, a.Name), "")
	}
	detail := fmt.Sprintf("An argument named %q is not expected here.", a.Name)
	if isBlock {
		detail += fmt.Sprintf(" Did you mean to define a block of type %q?", a.Name)
	}
	return errorDiag(a.NameRange, "Unsupported argument", detail)
}

// unsupportedBlock reports a block the enclosing block does not accept.
func (d *decoder) unsupportedBlock(where string, b *block, isAttr bool) *hcl.Diagnostic {
	if d.hcl1 {
		return errorDiag(b.TypeRange, fmt.Sprintf("%s -> invalid key: %s", where, b.Type), "")
	}
	detail := fmt.Sprintf("Blocks of type %q are not expected here.", b.Type)
	if isAttr {
		detail += fmt.Sprintf(" Did you mean to define argument %q? If so, use the equals sign to assign it a value.", b.Type)
	}
	return errorDiag(b.TypeRange, "Unsupported block type", detail)
}

// decodeBody fills the struct behind the addressable rv from b. where names the block
// (its type) for messages. Every problem is reported, not only the first.
func (d *decoder) decodeBody(b *body, rv reflect.Value, where string) hcl.Diagnostics {
	t := rv.Type()
	if fn, ok := customDecoders[t]; ok {
		return fn(d, b, rv)
	}
	si := infoFor(t)
	var diags hcl.Diagnostics

	seen := map[string]hcl.Range{}
	for _, a := range b.Attrs {
		f, ok := si.find(a.Name)
		if !ok {
			diags = append(diags, d.unsupportedAttr(where, a, false))
			continue
		}
		fv := rv.Field(f.index)
		if f.kind == fieldBlock && !isFreeMap(fv.Type()) {
			diags = append(diags, d.unsupportedAttr(where, a, true))
			continue
		}
		if prev, dup := seen[a.Name]; dup {
			diags = append(diags, errorDiag(a.NameRange, "Attribute redefined",
				fmt.Sprintf("The argument %q was already set at %s. Each argument may be set only once.", a.Name, prev)))
			continue
		}
		seen[a.Name] = a.NameRange
		val, vd := a.Value()
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		diags = append(diags, assignValue(val, fv, a.Name, a.ExprRange)...)
	}

	for _, blk := range b.Blocks {
		f, ok := si.find(blk.Type)
		if !ok {
			diags = append(diags, d.unsupportedBlock(where, blk, false))
			continue
		}
		fv := rv.Field(f.index)
		if f.kind == fieldAttr && !isFreeMap(fv.Type()) {
			diags = append(diags, d.unsupportedBlock(where, blk, true))
			continue
		}
		diags = append(diags, d.decodeBlockInto(blk, fv, seen)...)
	}

	for _, f := range si.fields {
		if _, ok := seen[f.name]; f.required && !ok {
			diags = append(diags, errorDiag(b.Range, "Missing required argument",
				fmt.Sprintf("The argument %q is required, but no definition was found.", f.name)))
		}
	}

	if fn, ok := postDecoders[t]; ok && !diags.HasErrors() {
		diags = append(diags, fn(d, b, rv)...)
	}
	return diags
}

// decodeBlockInto decodes one block into the field fv, whose type decides the shape: a
// single struct, a list of structs, a map of structs keyed by label, or a free-form map.
func (d *decoder) decodeBlockInto(blk *block, fv reflect.Value, seen map[string]hcl.Range) hcl.Diagnostics {
	ft := fv.Type()
	single := ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Struct || isFreeMap(ft)
	if single {
		if prev, dup := seen[blk.Type]; dup {
			return hcl.Diagnostics{errorDiag(blk.DefRange, fmt.Sprintf("Duplicate %s block", blk.Type),
				fmt.Sprintf("Only one %s block is allowed. Another was defined at %s.", blk.Type, prev))}
		}
		seen[blk.Type] = blk.DefRange
	}

	if isFreeMap(ft) {
		if diags := d.checkLabels(blk, nil); diags.HasErrors() {
			return diags
		}
		return d.decodeFreeMap(blk, fv)
	}

	switch ft.Kind() {
	case reflect.Pointer:
		p := reflect.New(ft.Elem())
		diags := d.decodeStructBlock(blk, p.Elem())
		fv.Set(p)
		return diags
	case reflect.Struct:
		return d.decodeStructBlock(blk, fv)
	case reflect.Slice:
		et := ft.Elem()
		var e reflect.Value
		var diags hcl.Diagnostics
		if et.Kind() == reflect.Pointer {
			e = reflect.New(et.Elem())
			diags = d.decodeStructBlock(blk, e.Elem())
		} else {
			e = reflect.New(et).Elem()
			diags = d.decodeStructBlock(blk, e)
		}
		fv.Set(reflect.Append(fv, e))
		return diags
	case reflect.Map:
		// A map of structs keyed by the block's label (volume "name" {...}).
		if len(blk.Labels) != 1 {
			return d.checkLabels(blk, []string{"name"})
		}
		et := ft.Elem()
		isPtr := et.Kind() == reflect.Pointer
		if isPtr {
			et = et.Elem()
		}
		key := reflect.ValueOf(blk.Labels[0])
		if fv.IsNil() {
			fv.Set(reflect.MakeMap(ft))
		} else if fv.MapIndex(key).IsValid() {
			return hcl.Diagnostics{errorDiag(blk.DefRange, fmt.Sprintf("Duplicate %s block", blk.Type),
				fmt.Sprintf("A %s block labelled %q was already defined.", blk.Type, blk.Labels[0]))}
		}
		p := reflect.New(et)
		si := infoFor(et)
		diags := d.decodeBody(blk.Body, p.Elem(), blk.Type)
		if len(si.labels) == 1 {
			setLabel(p.Elem().Field(si.labels[0].index), blk.Labels[0])
		}
		if isPtr {
			fv.SetMapIndex(key, p)
		} else {
			fv.SetMapIndex(key, p.Elem())
		}
		return diags
	}
	return hcl.Diagnostics{errorDiag(blk.DefRange, "Unsupported block type",
		fmt.Sprintf("Blocks of type %q are not expected here.", blk.Type))}
}

// decodeStructBlock decodes blk into the struct sv, setting its label fields.
func (d *decoder) decodeStructBlock(blk *block, sv reflect.Value) hcl.Diagnostics {
	si := infoFor(sv.Type())
	names := make([]string, len(si.labels))
	for i, l := range si.labels {
		names[i] = l.name
		if names[i] == "" {
			names[i] = "name"
		}
	}
	if diags := d.checkLabels(blk, names); diags.HasErrors() {
		return diags
	}
	for i, l := range si.labels {
		setLabel(sv.Field(l.index), blk.Labels[i])
	}
	return d.decodeBody(blk.Body, sv, blk.Type)
}

// checkLabels reports a block whose label count differs from the expected names.
func (d *decoder) checkLabels(blk *block, names []string) hcl.Diagnostics {
	switch {
	case len(blk.Labels) < len(names):
		return hcl.Diagnostics{errorDiag(blk.DefRange, fmt.Sprintf("Missing %s for %s", names[len(blk.Labels)], blk.Type),
			fmt.Sprintf("All %s blocks must have %d labels (%s).", blk.Type, len(names), strings.Join(names, ", ")))}
	case len(blk.Labels) > len(names):
		rng := blk.DefRange
		if len(blk.LabelRanges) > len(names) {
			rng = blk.LabelRanges[len(names)]
		}
		if len(names) == 0 {
			return hcl.Diagnostics{errorDiag(rng, fmt.Sprintf("Extraneous label for %s", blk.Type),
				fmt.Sprintf("No labels are expected for %s blocks.", blk.Type))}
		}
		return hcl.Diagnostics{errorDiag(rng, fmt.Sprintf("Extraneous label for %s", blk.Type),
			fmt.Sprintf("Only %d labels (%s) are expected for %s blocks.", len(names), strings.Join(names, ", "), blk.Type))}
	}
	return nil
}

func setLabel(fv reflect.Value, label string) {
	if fv.Kind() == reflect.Pointer {
		s := label
		fv.Set(reflect.ValueOf(&s))
		return
	}
	fv.SetString(label)
}

// decodeFreeMap decodes a block-form free map (meta, env, config, header). For
// map[string]any (driver config) nested blocks become lists of maps, as Nomad's HCL1
// decoding shaped them; for other maps every item must be an attribute.
func (d *decoder) decodeFreeMap(blk *block, fv reflect.Value) hcl.Diagnostics {
	ft := fv.Type()
	if ft.Elem().Kind() == reflect.Interface {
		m, diags := d.bodyToMap(blk.Body)
		fv.Set(reflect.ValueOf(m))
		return diags
	}
	var diags hcl.Diagnostics
	out := reflect.MakeMapWithSize(ft, len(blk.Body.Attrs))
	for _, a := range blk.Body.Attrs {
		val, vd := a.Value()
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		e := reflect.New(ft.Elem()).Elem()
		diags = append(diags, assignValue(val, e, a.Name, a.ExprRange)...)
		out.SetMapIndex(reflect.ValueOf(a.Name), e)
	}
	for _, nb := range blk.Body.Blocks {
		diags = append(diags, d.unsupportedBlock(blk.Type, nb, false))
	}
	fv.Set(out)
	return diags
}

// bodyToMap turns a free-form body into map[string]any. A nested block `b "l" { ... }`
// becomes b = [{ l = [{ ... }] }], repeated blocks append to the list.
func (d *decoder) bodyToMap(b *body) (map[string]any, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := make(map[string]any, len(b.Attrs)+len(b.Blocks))
	for _, a := range b.Attrs {
		if _, dup := out[a.Name]; dup {
			diags = append(diags, errorDiag(a.NameRange, "Attribute redefined",
				fmt.Sprintf("The argument %q was already set. Each argument may be set only once.", a.Name)))
			continue
		}
		val, vd := a.Value()
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		if !val.IsWhollyKnown() {
			diags = append(diags, errorDiag(a.ExprRange, "Unknown value",
				fmt.Sprintf("The value of %q cannot be determined when the job is parsed.", a.Name)))
			continue
		}
		out[a.Name] = goValue(val)
	}
	for _, nb := range b.Blocks {
		inner, nd := d.bodyToMap(nb.Body)
		diags = append(diags, nd...)
		item := inner
		for i := len(nb.Labels) - 1; i >= 0; i-- {
			item = map[string]any{nb.Labels[i]: []map[string]any{item}}
		}
		switch prev := out[nb.Type].(type) {
		case nil:
			out[nb.Type] = []map[string]any{item}
		case []map[string]any:
			out[nb.Type] = append(prev, item)
		default:
			diags = append(diags, errorDiag(nb.DefRange, "Duplicate definition",
				fmt.Sprintf("%q is defined both as an argument and as a block.", nb.Type)))
		}
	}
	return out, diags
}
