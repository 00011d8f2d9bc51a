package envoybootstrap

import (
	"encoding/json"
	"testing"

	"github.com/shoenig/test/must"
)

// validDoc returns a generated, valid bootstrap (with the readiness listener,
// so typed_config contents are exercised) as generic JSON to corrupt.
func validDoc(t *testing.T) map[string]any {
	t.Helper()
	out, err := Generate(Params{
		ProxyID:        testProxyID,
		ServiceName:    "count-api",
		AdminPort:      AdminPortFor(0),
		ReadyPort:      ReadyPortFor(0),
		GRPCSocketPath: DefaultGRPCSocketPath,
		Token:          "secret",
	})
	must.NoError(t, err)
	var doc map[string]any
	must.NoError(t, json.Unmarshal(out, &doc))
	return doc
}

func obj(v any, key string) map[string]any { return v.(map[string]any)[key].(map[string]any) }
func list(v any, key string) []any         { return v.(map[string]any)[key].([]any) }

func agentCluster(doc map[string]any) map[string]any {
	return list(obj(doc, "static_resources"), "clusters")[0].(map[string]any)
}

func TestValidate_RejectsWhatEnvoyRejects(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(doc map[string]any)
		// every substring must appear in the error
		want []string
	}{
		{
			name: "unknown field",
			corrupt: func(doc map[string]any) {
				obj(doc, "admin")["access_log_pathh"] = "/dev/null"
			},
			want: []string{`unknown field "access_log_pathh"`, `"admin.access_log_pathh"`},
		},
		{
			name: "grpc_services as an object instead of a list",
			corrupt: func(doc map[string]any) {
				ads := obj(obj(doc, "dynamic_resources"), "ads_config")
				ads["grpc_services"] = ads["grpc_services"].([]any)[0]
			},
			want: []string{`"dynamic_resources.ads_config.grpc_services"`},
		},
		{
			name: "missing cluster name",
			corrupt: func(doc map[string]any) {
				delete(agentCluster(doc), "name")
			},
			want: []string{"Cluster.Name", "at least 1 runes"},
		},
		{
			name: "zero connect timeout",
			corrupt: func(doc map[string]any) {
				agentCluster(doc)["connect_timeout"] = "0s"
			},
			want: []string{"Cluster.ConnectTimeout", "greater than 0s"},
		},
		{
			name: "every violation is reported",
			corrupt: func(doc map[string]any) {
				c := agentCluster(doc)
				delete(c, "name")
				c["connect_timeout"] = "0s"
				obj(obj(doc, "admin"), "address")["socket_address"].(map[string]any)["port_value"] = 70000
			},
			want: []string{"Cluster.Name", "Cluster.ConnectTimeout", "SocketAddress.PortValue"},
		},
		{
			name: "typed_config of an unknown type",
			corrupt: func(doc map[string]any) {
				lg := list(obj(doc, "admin"), "access_log")[0].(map[string]any)
				obj(lg, "typed_config")["@type"] = "type.googleapis.com/envoy.extensions.access_loggers.nope.v3.Nope"
			},
			want: []string{"unable to resolve", "admin.access_log[0].typed_config"},
		},
		{
			name: "rule broken inside a typed_config",
			corrupt: func(doc map[string]any) {
				l := list(obj(doc, "static_resources"), "listeners")[0]
				f := list(list(l, "filter_chains")[0], "filters")[0]
				delete(obj(f, "typed_config"), "stat_prefix")
			},
			want: []string{"static_resources.listeners[0].filter_chains[0].filters[0].typed_config", "HttpConnectionManager.StatPrefix"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := validDoc(t)
			tc.corrupt(doc)
			data, err := json.MarshalIndent(doc, "", "  ")
			must.NoError(t, err)

			err = Validate(data)
			must.Error(t, err)
			for _, w := range tc.want {
				must.StrContains(t, err.Error(), w)
			}
		})
	}
}

func TestValidate_MalformedJSON(t *testing.T) {
	err := Validate([]byte("{\n  \"admin\": {\n    \"address\": }\n}\n"))
	must.ErrorContains(t, err, `schema at "admin.address"`)
}

func TestValidate_AcceptsGenerated(t *testing.T) {
	doc := validDoc(t)
	data, err := json.Marshal(doc)
	must.NoError(t, err)
	must.NoError(t, Validate(data))
}
