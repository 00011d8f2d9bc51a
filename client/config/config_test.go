package config

import (
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestConfig_CanonicalizeDirs(t *testing.T) {
	c := &Config{DataDir: "/var/lib/nomad"}
	c.Canonicalize()
	must.Eq(t, filepath.Join("/var/lib/nomad", "client"), c.StateDir)
	must.Eq(t, filepath.Join("/var/lib/nomad", "alloc"), c.AllocDir)
	must.Eq(t, "global", c.Region)
	must.Eq(t, "dc1", c.Datacenter)
	must.NoError(t, c.Validate())

	bad := &Config{}
	bad.Canonicalize()
	must.Error(t, bad.Validate())
}

func TestHostEnv_Blacklist(t *testing.T) {
	environ := []string{"PATH=/usr/bin", "VAULT_TOKEN=secret", "MY_SECRET=x", "HOME=/root"}
	for _, tc := range []struct {
		name    string
		options map[string]string
		want    map[string]string
	}{
		{name: "default list", want: map[string]string{"PATH": "/usr/bin", "MY_SECRET": "x", "HOME": "/root"}},
		{name: "custom list", options: map[string]string{OptionEnvBlacklist: "MY_SECRET, HOME"},
			want: map[string]string{"PATH": "/usr/bin", "VAULT_TOKEN": "secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Options: tc.options}
			c.Canonicalize()
			must.Eq(t, tc.want, HostEnv(c, environ))
		})
	}
}
