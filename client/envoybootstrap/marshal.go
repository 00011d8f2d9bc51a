package envoybootstrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// Generate builds the bootstrap for p, renders it and validates the rendered
// bytes against Envoy's schema: the returned JSON is exactly what was
// validated. Write it to the sidecar's secrets directory as FileName.
func Generate(p Params) ([]byte, error) {
	b, err := Build(p)
	if err != nil {
		return nil, err
	}
	out, err := Marshal(b)
	if err != nil {
		return nil, err
	}
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}

// Marshal renders b as Envoy JSON: proto field names, two-space indentation,
// a trailing newline. The output is byte-for-byte stable for equal input
// (protojson's own whitespace is deliberately unstable, so it is normalised).
func Marshal(b *bootstrapv3.Bootstrap) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("failed to encode envoy bootstrap: %w", err)
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("failed to normalise envoy bootstrap: %w", err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("failed to indent envoy bootstrap: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Validate checks data the way Envoy reads a bootstrap file: it must decode
// into envoy.config.bootstrap.v3.Bootstrap with no unknown fields and the
// right JSON shapes, every typed_config must name a known type, and every
// protoc-gen-validate rule must hold, including inside typed_config
// messages. All rule violations are returned, joined, each naming its field.
func Validate(data []byte) error {
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, &b); err != nil {
		schema := b.ProtoReflect().Descriptor().FullName()
		if path := fieldPathOf(data, err); path != "" {
			return fmt.Errorf("envoy bootstrap does not match the %s schema at %q: %w", schema, path, err)
		}
		return fmt.Errorf("envoy bootstrap does not match the %s schema: %w", schema, err)
	}
	var errs []error
	validateTree(b.ProtoReflect(), "", &errs)
	if len(errs) > 0 {
		return fmt.Errorf("envoy bootstrap failed validation: %w", errors.Join(errs...))
	}
	return nil
}

// allValidator is implemented by every go-control-plane message.
type allValidator interface{ ValidateAll() error }

// multiError is implemented by the generated *MultiError types.
type multiError interface{ AllErrors() []error }

// validateTree runs ValidateAll on m and then on the message packed in every
// Any below m, which ValidateAll itself does not look into. path locates m
// for the errors of packed messages.
func validateTree(m protoreflect.Message, path string, errs *[]error) {
	if v, ok := m.Interface().(allValidator); ok {
		if err := v.ValidateAll(); err != nil {
			prefix := ""
			if path != "" {
				prefix = path + ": "
			}
			for _, e := range flatten(err) {
				*errs = append(*errs, fmt.Errorf("%s%w", prefix, e))
			}
		}
	}
	walkAnys(m, path, errs)
}

func flatten(err error) []error {
	if me, ok := err.(multiError); ok {
		return me.AllErrors()
	}
	return []error{err}
}

// walkAnys finds Any messages below m (m's own ValidateAll already covered
// the plain fields) and validates their contents.
func walkAnys(m protoreflect.Message, path string, errs *[]error) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: failed to decode %q: %w", path, a.GetTypeUrl(), err))
			return
		}
		validateTree(inner.ProtoReflect(), fmt.Sprintf("%s(%s)", path, inner.ProtoReflect().Descriptor().FullName()), errs)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if path != "" {
			name = path + "." + name
		}
		switch {
		case fd.IsList() && isMessage(fd):
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkAnys(l.Get(i).Message(), name+"["+strconv.Itoa(i)+"]", errs)
			}
		case fd.IsMap() && isMessage(fd.MapValue()):
			// Visit keys in order so errors come out deterministically.
			mp := v.Map()
			var keys []protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			for _, k := range keys {
				walkAnys(mp.Get(k).Message(), name+"["+strconv.Quote(k.String())+"]", errs)
			}
		case !fd.IsList() && !fd.IsMap() && isMessage(fd):
			walkAnys(v.Message(), name, errs)
		}
		return true
	})
}

func isMessage(fd protoreflect.FieldDescriptor) bool {
	k := fd.Kind()
	return k == protoreflect.MessageKind || k == protoreflect.GroupKind
}
