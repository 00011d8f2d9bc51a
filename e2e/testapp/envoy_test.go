package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/shoenig/test/must"
)

func TestParseEnvoyArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want envoyArgs
		err  string
	}{
		{"nomad's args", []string{"-c", "/s/envoy_bootstrap.json", "-l", "info", "--concurrency", "1", "--disable-hot-restart"},
			envoyArgs{configPath: "/s/envoy_bootstrap.json", logLevel: "info", concurrency: 1}, ""},
		{"long names", []string{"--config-path", "/b.json", "--log-level", "debug"},
			envoyArgs{configPath: "/b.json", logLevel: "debug", concurrency: 1}, ""},
		{"no config", []string{"-l", "info"}, envoyArgs{}, "missing -c <bootstrap file>"},
		{"uninterpolated level", []string{"-c", "/b.json", "-l", "${meta.connect.log_level}"}, envoyArgs{},
			`invalid log level "${meta.connect.log_level}"`},
		{"bad concurrency", []string{"-c", "/b.json", "--concurrency", "${meta.connect.proxy_concurrency}"}, envoyArgs{},
			`invalid --concurrency "${meta.connect.proxy_concurrency}"`},
		{"unknown flag", []string{"-c", "/b.json", "--base-id", "3"}, envoyArgs{}, "flag provided but not defined: -base-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEnvoyArgs(tc.args, io.Discard)
			if tc.err != "" {
				must.ErrorContains(t, err, tc.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.want, got)
		})
	}
}

func TestCheckBootstrap(t *testing.T) {
	dir := t.TempDir()
	valid, err := envoybootstrap.Generate(envoybootstrap.Params{
		ProxyID:        "_nomad-task-a1-group-api-count-api-9001-sidecar-proxy",
		ServiceName:    "count-api",
		AdminPort:      envoybootstrap.AdminPortFor(0),
		GRPCSocketPath: envoybootstrap.DefaultGRPCSocketPath,
	})
	must.NoError(t, err)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		must.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	noNode := strings.Replace(string(valid), `"id": "_nomad-task-a1-group-api-count-api-9001-sidecar-proxy"`, `"id": ""`, 1)
	must.NotEq(t, string(valid), noNode)

	for _, tc := range []struct {
		name string
		path string
		id   string
		err  string
	}{
		{"valid", write("valid.json", string(valid)), "_nomad-task-a1-group-api-count-api-9001-sidecar-proxy", ""},
		{"missing", filepath.Join(dir, "absent.json"), "", "failed to read bootstrap"},
		{"not json", write("bad.json", "{"), "", "invalid bootstrap"},
		{"unknown field", write("unknown.json", `{"admin": {"bogus": 1}}`), "", `unknown field "bogus"`},
		{"no node id", write("nonode.json", noNode), "", "no node id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := checkBootstrap(tc.path)
			if tc.err != "" {
				must.ErrorContains(t, err, tc.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.id, id)
		})
	}
}

func TestRunEnvoy_FailsWithoutBootstrap(t *testing.T) {
	must.Eq(t, 1, runEnvoy([]string{"-c", filepath.Join(t.TempDir(), "envoy_bootstrap.json"), "-l", "info"}))
	must.Eq(t, 1, runEnvoy([]string{"-l", "info"}))
}

func TestSidecarListenAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"by task name", []string{"NOMAD_TASK_NAME=connect-proxy-count-api",
			"NOMAD_PORT_connect_proxy_count_api=23001", "NOMAD_PORT_connect_proxy_count_admin=23002"}, ":23001"},
		{"only proxy port", []string{"NOMAD_TASK_NAME=envoy", "NOMAD_PORT_connect_proxy_count_api=23001"}, ":23001"},
		{"ambiguous", []string{"NOMAD_PORT_connect_proxy_a=1", "NOMAD_PORT_connect_proxy_b=2"}, ""},
		{"none", []string{"PATH=/bin"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must.Eq(t, tc.want, sidecarListenAddr(tc.env))
		})
	}
}
