package config

import "strings"

// OptionEnvBlacklist names the client option listing (comma separated) agent
// environment variables tasks must not inherit.
const OptionEnvBlacklist = "env.blacklist"

// DefaultEnvBlacklist is Nomad's default env.blacklist: credentials the agent may
// hold that tasks must not see.
var DefaultEnvBlacklist = []string{
	"CONSUL_TOKEN", "CONSUL_HTTP_TOKEN", "VAULT_TOKEN", "NOMAD_LICENSE",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"GOOGLE_APPLICATION_CREDENTIALS",
}

// HostEnv turns environ ("K=V" entries, e.g. os.Environ()) into the variables
// tasks inherit: everything except the env.blacklist option (or the default
// list when the option is unset).
func HostEnv(c *Config, environ []string) map[string]string {
	deny := map[string]bool{}
	list := DefaultEnvBlacklist
	if v, ok := c.Options[OptionEnvBlacklist]; ok {
		list = strings.Split(v, ",")
	}
	for _, k := range list {
		if k = strings.TrimSpace(k); k != "" {
			deny[k] = true
		}
	}
	out := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || deny[k] {
			continue
		}
		out[k] = v
	}
	return out
}
