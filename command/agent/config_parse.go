package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
)

// Agent config files are HCL1, as in Nomad: operators write quoted keys such as
// "driver.raw_exec.enable" = "1", which HCL2 rejects.

// schema lists the keys allowed in a block; a nil value is an attribute, anyKeys a
// free-form map (meta, options, plugin config).
type schema map[string]schema

var anyKeys = schema{"*": nil}

var configSchema = schema{
	"region": nil, "datacenter": nil, "name": nil, "data_dir": nil, "bind_addr": nil,
	"log_level": nil, "log_json": nil, "enable_debug": nil,
	"ports":     {"http": nil, "rpc": nil, "serf": nil},
	"advertise": {"http": nil, "rpc": nil, "serf": nil},
	"server": {
		"enabled": nil, "bootstrap_expect": nil, "data_dir": nil, "num_schedulers": nil,
		"heartbeat_grace": nil, "min_heartbeat_ttl": nil, "max_heartbeats_per_second": nil,
		"raft_snapshot_threshold": nil, "raft_snapshot_interval": nil, "raft_trailing_logs": nil,
		"connect":     {"sidecar_driver": nil, "sidecar_command": nil, "sidecar_args": nil},
		"server_join": {"retry_join": nil, "retry_interval": nil, "retry_max": nil},
	},
	"client": {
		"enabled": nil, "servers": nil, "state_dir": nil, "alloc_dir": nil, "node_class": nil,
		"network_interface": nil, "cni_path": nil, "cni_config_dir": nil, "bridge_network_name": nil,
		"bridge_network_subnet": nil, "bridge_network_hairpin_mode": nil,
		"bridge_network_nat_backend": nil, "min_dynamic_port": nil, "max_dynamic_port": nil,
		"meta": anyKeys, "options": anyKeys,
	},
	"consul": {
		"address": nil, "grpc_address": nil, "token": nil, "ssl": nil, "ca_file": nil,
		"cert_file": nil, "key_file": nil,
	},
	"plugin": {"config": anyKeys},
}

// LoadConfig reads a file, or every *.hcl / *.json file of a directory in lexical
// order, and merges them.
func LoadConfig(path string) (*Config, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read config %q: %w", path, err)
	}
	if !fi.IsDir() {
		return ParseConfigFile(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read config dir %q: %w", path, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".json")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	result := &Config{}
	for _, n := range names {
		c, err := ParseConfigFile(filepath.Join(path, n))
		if err != nil {
			return nil, err
		}
		result = mergeParsed(result, c)
	}
	return result, nil
}

// mergeParsed merges two parsed (not defaulted) configs.
func mergeParsed(a, b *Config) *Config {
	base := &Config{Ports: &Ports{}, Advertise: &AdvertiseAddrs{}, Server: &ServerConfig{},
		Client: &ClientConfig{}, Consul: &ConsulConfig{}}
	return base.Merge(a).Merge(b)
}

// ParseConfigFile parses one agent config file. Unknown keys are errors naming the
// key and its file:line; all of them are reported at once.
func ParseConfigFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read config %q: %w", path, err)
	}
	return ParseConfig(path, src)
}

// ParseConfig parses agent config source; path is used in messages.
func ParseConfig(path string, src []byte) (*Config, error) {
	file, err := hcl.ParseBytes(src)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	root, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, fmt.Errorf("failed to parse %s: root must be an object", path)
	}
	if errs := checkKeys(path, "", root, configSchema); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	var c Config
	// Plugins have a label and a free-form body: decode them by hand.
	plugins := root.Filter("plugin")
	rest := &ast.ObjectList{}
	for _, item := range root.Items {
		if item.Keys[0].Token.Value() != "plugin" {
			rest.Add(item)
		}
	}
	if err := hcl.DecodeObject(&c, rest); err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", path, err)
	}
	for _, item := range plugins.Items {
		p, err := decodePlugin(path, item)
		if err != nil {
			return nil, err
		}
		c.Plugins = append(c.Plugins, p)
	}
	c.Files = []string{path}
	return &c, nil
}

func decodePlugin(path string, item *ast.ObjectItem) (*PluginConfig, error) {
	if len(item.Keys) != 1 {
		return nil, fmt.Errorf("%s:%d: plugin block needs exactly one name", path, item.Pos().Line)
	}
	p := &PluginConfig{Name: item.Keys[0].Token.Value().(string), Config: map[string]any{}}
	var raw map[string]any
	if err := hcl.DecodeObject(&raw, item.Val); err != nil {
		return nil, fmt.Errorf("%s:%d: plugin %q: %w", path, item.Pos().Line, p.Name, err)
	}
	// HCL1 decodes a nested block as a list of maps; flatten `config { ... }`.
	switch cfg := raw["config"].(type) {
	case []map[string]any:
		for _, m := range cfg {
			for k, v := range m {
				p.Config[k] = v
			}
		}
	case map[string]any:
		p.Config = cfg
	}
	return p, nil
}

// checkKeys reports every key of list not allowed by s, with its position.
func checkKeys(path, prefix string, list *ast.ObjectList, s schema) []error {
	if _, free := s["*"]; free {
		return nil
	}
	var errs []error
	for _, item := range list.Items {
		key := fmt.Sprint(item.Keys[0].Token.Value())
		sub, ok := s[key]
		pos := item.Keys[0].Pos()
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d:%d: invalid key %q%s", path, pos.Line, pos.Column, key, inBlock(prefix)))
			continue
		}
		if sub == nil {
			continue
		}
		obj, ok := item.Val.(*ast.ObjectType)
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %q must be a block", path, pos.Line, pos.Column, key))
			continue
		}
		errs = append(errs, checkKeys(path, strings.TrimPrefix(prefix+" -> "+key, " -> "), obj.List, sub)...)
	}
	return errs
}

func inBlock(prefix string) string {
	if prefix == "" {
		return ""
	}
	return " in " + prefix
}
