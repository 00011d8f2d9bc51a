package taskenv

import (
	"maps"
	"regexp"
	"sort"
	"strings"
)

// TaskEnv is a built task environment. It is immutable and safe for concurrent
// use.
type TaskEnv struct {
	env       map[string]string
	nodeAttrs map[string]string
}

// Map returns a copy of the environment variables.
func (t *TaskEnv) Map() map[string]string { return maps.Clone(t.env) }

// List returns the environment as sorted "K=V" entries.
func (t *TaskEnv) List() []string {
	out := make([]string, 0, len(t.env))
	for k, v := range t.env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// NodeAttrs returns a copy of the node.*, attr.* and meta.* interpolation values.
func (t *TaskEnv) NodeAttrs() map[string]string { return maps.Clone(t.nodeAttrs) }

// interpolation matches ${name}; names are what env vars and node attributes are
// made of.
var interpolation = regexp.MustCompile(`\$\{[a-zA-Z0-9_\-.]+\}`)

// ReplaceEnv replaces each ${name} in s: an environment variable, a node value
// (node.unique.id, node.unique.name, node.datacenter, node.region, node.class,
// attr.<k>, meta.<k>) or env.<K> (the variable K). Unknown names are left as
// written.
func (t *TaskEnv) ReplaceEnv(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return interpolation.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		if v, ok := t.env[name]; ok {
			return v
		}
		if v, ok := t.nodeAttrs[name]; ok {
			return v
		}
		if k, ok := strings.CutPrefix(name, EnvPrefix); ok {
			if v, ok := t.env[k]; ok {
				return v
			}
		}
		return ref
	})
}

// ParseAndReplace returns args with ReplaceEnv applied to each.
func (t *TaskEnv) ParseAndReplace(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = t.ReplaceEnv(a)
	}
	return out
}

// ReplaceConfig returns a deep copy of a driver config with ReplaceEnv applied to
// every string value, recursively through maps and lists. Keys are kept as is.
func (t *TaskEnv) ReplaceConfig(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = t.replaceValue(v)
	}
	return out
}

func (t *TaskEnv) replaceValue(v any) any {
	switch v := v.(type) {
	case string:
		return t.ReplaceEnv(v)
	case []string:
		return t.ParseAndReplace(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = t.replaceValue(e)
		}
		return out
	case map[string]any:
		return t.ReplaceConfig(v)
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			out[i] = t.ReplaceConfig(e)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, e := range v {
			out[k] = t.ReplaceEnv(e)
		}
		return out
	default:
		return v
	}
}
