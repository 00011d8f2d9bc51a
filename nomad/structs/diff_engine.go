package structs

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// flat is an object's primitive fields by name, formatted as Nomad's plan shows
// them. A nil flat means "the object does not exist"; an empty one means it exists
// with nothing set.
type flat map[string]string

func (f flat) str(name, v string)               { f[name] = v }
func (f flat) int(name string, v int)           { f[name] = strconv.Itoa(v) }
func (f flat) int64(name string, v int64)       { f[name] = strconv.FormatInt(v, 10) }
func (f flat) bool(name string, v bool)         { f[name] = strconv.FormatBool(v) }
func (f flat) dur(name string, v time.Duration) { f[name] = strconv.FormatInt(int64(v), 10) }

// durPtr records an optional duration; unset stays absent.
func (f flat) durPtr(name string, v *time.Duration) {
	if v != nil {
		f.dur(name, *v)
	}
}

// strMap records a map as Name[key] fields, as Nomad's flatmap does for Env and Meta.
func (f flat) strMap(name string, m map[string]string) {
	for k, v := range m {
		f[name+"["+k+"]"] = v
	}
}

// fieldDiff compares one field. It returns nil for equal values unless contextual.
func fieldDiff(old, cur, name string, contextual bool) *FieldDiff {
	d := &FieldDiff{Type: DiffTypeNone, Name: name}
	switch {
	case old == cur:
		if !contextual {
			return nil
		}
		d.Old, d.New = old, cur
	case old == "":
		d.Type, d.New = DiffTypeAdded, cur
	case cur == "":
		d.Type, d.Old = DiffTypeDeleted, old
	default:
		d.Type, d.Old, d.New = DiffTypeEdited, old, cur
	}
	return d
}

// fieldDiffs compares two flats field by field, sorted by name.
func fieldDiffs(old, cur flat, contextual bool) []*FieldDiff {
	var out []*FieldDiff
	for k, o := range old {
		if d := fieldDiff(o, cur[k], k, contextual); d != nil {
			out = append(out, d)
		}
	}
	for k, c := range cur {
		if _, ok := old[k]; ok {
			continue
		}
		if d := fieldDiff("", c, k, contextual); d != nil {
			out = append(out, d)
		}
	}
	sortFields(out)
	return out
}

func sortFields(fs []*FieldDiff) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Name != fs[j].Name {
			return fs[i].Name < fs[j].Name
		}
		if fs[i].Old != fs[j].Old {
			return fs[i].Old < fs[j].Old
		}
		return fs[i].New < fs[j].New
	})
}

// objectKey orders objects of the same name and type deterministically.
func objectKey(o *ObjectDiff) string {
	var b strings.Builder
	for _, f := range o.Fields {
		fmt.Fprintf(&b, "%s=%s>%s;", f.Name, f.Old, f.New)
	}
	return b.String()
}

func sortObjects(os []*ObjectDiff) {
	sort.SliceStable(os, func(i, j int) bool {
		if os[i].Name != os[j].Name {
			return os[i].Name < os[j].Name
		}
		if os[i].Type != os[j].Type {
			return os[i].Type < os[j].Type
		}
		return objectKey(os[i]) < objectKey(os[j])
	})
}

// changed reports whether any field or object differs.
func changed(fields []*FieldDiff, objects []*ObjectDiff) bool {
	for _, f := range fields {
		if f.Type != DiffTypeNone {
			return true
		}
	}
	for _, o := range objects {
		if o.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

func appendObj(list []*ObjectDiff, o *ObjectDiff) []*ObjectDiff {
	if o == nil {
		return list
	}
	return append(list, o)
}

// objectDiff builds the diff of one object from its old and new flats (nil when the
// object is absent) and the diffs of its children (nil entries are skipped). It
// returns nil when the object is absent on both sides or unchanged.
func objectDiff(name string, old, cur flat, children []*ObjectDiff, contextual bool) *ObjectDiff {
	d := &ObjectDiff{Name: name}
	for _, c := range children {
		d.Objects = appendObj(d.Objects, c)
	}
	sortObjects(d.Objects)
	switch {
	case old == nil && cur == nil:
		return nil
	case old == nil:
		d.Type = DiffTypeAdded
	case cur == nil:
		d.Type = DiffTypeDeleted
	default:
		d.Type = DiffTypeEdited
	}
	d.Fields = fieldDiffs(old, cur, contextual)
	if d.Type == DiffTypeEdited && !changed(d.Fields, d.Objects) {
		return nil
	}
	return d
}

// stringSetDiff diffs two string lists as sets (Datacenters, Tags): every element is
// a field named name.
func stringSetDiff(old, cur []string, name string, contextual bool) *ObjectDiff {
	om, cm := map[string]bool{}, map[string]bool{}
	for _, s := range old {
		om[s] = true
	}
	for _, s := range cur {
		cm[s] = true
	}
	d := &ObjectDiff{Name: name}
	added, removed := false, false
	for s := range om {
		if !cm[s] {
			d.Fields = append(d.Fields, fieldDiff(s, "", name, contextual))
			removed = true
		} else if contextual {
			d.Fields = append(d.Fields, fieldDiff(s, s, name, contextual))
		}
	}
	for s := range cm {
		if !om[s] {
			d.Fields = append(d.Fields, fieldDiff("", s, name, contextual))
			added = true
		}
	}
	sortFields(d.Fields)
	switch {
	case added && removed:
		d.Type = DiffTypeEdited
	case added:
		d.Type = DiffTypeAdded
	case removed:
		d.Type = DiffTypeDeleted
	default:
		return nil
	}
	return d
}

// flatKey is a canonical string of a flat, used to match objects diffed as sets.
func flatKey(f flat) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q;", k, f[k])
	}
	return b.String()
}

// primitiveSetDiff diffs lists of flat objects as sets: an object that changed shows
// as one deleted and one added object, as Nomad shows constraints and upstreams.
func primitiveSetDiff(old, cur []flat, name string, contextual bool) []*ObjectDiff {
	om, cm := map[string]flat{}, map[string]flat{}
	for _, f := range old {
		om[flatKey(f)] = f
	}
	for _, f := range cur {
		cm[flatKey(f)] = f
	}
	var out []*ObjectDiff
	for k, f := range om {
		if _, ok := cm[k]; !ok {
			out = appendObj(out, objectDiff(name, f, nil, nil, contextual))
		}
	}
	for k, f := range cm {
		if _, ok := om[k]; !ok {
			out = appendObj(out, objectDiff(name, nil, f, nil, contextual))
		}
	}
	sortObjects(out)
	return out
}

// configFlat flattens a driver config as Nomad's flatmap does: nested maps as
// key[sub], lists as key[i], values with %v. Nil or empty config is absent.
func configFlat(m map[string]any) flat {
	if len(m) == 0 {
		return nil
	}
	f := flat{}
	for k, v := range m {
		flattenValue(f, k, v)
	}
	return f
}

func flattenValue(f flat, prefix string, v any) {
	if v == nil {
		f[prefix] = ""
		return
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		for _, k := range rv.MapKeys() {
			flattenValue(f, fmt.Sprintf("%s[%v]", prefix, k.Interface()), rv.MapIndex(k).Interface())
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			flattenValue(f, fmt.Sprintf("%s[%d]", prefix, i), rv.Index(i).Interface())
		}
	default:
		f[prefix] = fmt.Sprintf("%v", v)
	}
}

// configDiff diffs two driver (or proxy) configs as an object named name.
func configDiff(old, cur map[string]any, name string, contextual bool) *ObjectDiff {
	return objectDiff(name, configFlat(old), configFlat(cur), nil, contextual)
}
