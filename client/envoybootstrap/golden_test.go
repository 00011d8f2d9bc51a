package envoybootstrap

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/shoenig/test/must"
	"google.golang.org/protobuf/encoding/protojson"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const testProxyID = "_nomad-task-69081a64-8417-07ef-f004-3ff2f972ad38-group-api-count-api-9001-sidecar-proxy"

// goldenCases are the sidecars whose bootstraps are pinned in testdata.
func goldenCases(t *testing.T) []struct {
	name   string
	params Params
} {
	tls, err := TLSFromFiles("testdata/tls/ca.pem", "testdata/tls/cert.pem", "testdata/tls/key.pem", "localhost")
	must.NoError(t, err)
	base := func() Params {
		return Params{
			ProxyID:        testProxyID,
			ServiceName:    "count-api",
			Datacenter:     "dc1",
			AdminAddr:      DefaultAdminAddr,
			AdminPort:      AdminPortFor(0),
			GRPCSocketPath: DefaultGRPCSocketPath,
		}
	}
	socket := base()
	socket.ReadyPort = ReadyPortFor(0)
	tcp := base()
	tcp.GRPCSocketPath, tcp.GRPCAddr = "", "127.0.0.1:8502"
	token := base()
	token.Token = "d1f3c0de-5e1f-4b1e-9f00-000000000001"
	withTLS := base()
	withTLS.TLS = tls
	return []struct {
		name   string
		params Params
	}{
		{"socket", socket},
		{"tcp", tcp},
		{"token", token},
		{"tls", withTLS},
	}
}

func TestGenerate_Golden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Generate(tc.params)
			must.NoError(t, err)

			// Equal input renders byte-for-byte equal output.
			again, err := Generate(tc.params)
			must.NoError(t, err)
			must.Eq(t, string(got), string(again))

			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				must.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			must.NoError(t, err, must.Sprint("run go test with -update to create the golden file"))
			must.Eq(t, string(want), string(got), must.Sprintf("golden %s is stale; run with -update and review the diff", path))

			// The golden itself is a bootstrap Envoy's schema accepts.
			must.NoError(t, Validate(want))
		})
	}
}

// decode reads a rendered bootstrap back into its typed form.
func decode(t *testing.T, data []byte) *bootstrapv3.Bootstrap {
	t.Helper()
	var b bootstrapv3.Bootstrap
	must.NoError(t, protojson.Unmarshal(data, &b))
	return &b
}

func TestGenerate_Contents(t *testing.T) {
	cases := goldenCases(t)
	byName := map[string]Params{}
	for _, c := range cases {
		byName[c.name] = c.params
	}

	t.Run("socket sidecar", func(t *testing.T) {
		out, err := Generate(byName["socket"])
		must.NoError(t, err)
		b := decode(t, out)

		must.Eq(t, testProxyID, b.GetNode().GetId())
		must.Eq(t, "count-api", b.GetNode().GetCluster())
		must.Eq(t, "default", b.GetNode().GetMetadata().GetFields()["namespace"].GetStringValue())

		admin := b.GetAdmin().GetAddress().GetSocketAddress()
		must.Eq(t, "127.0.0.2", admin.GetAddress())
		must.Eq(t, uint32(19000), admin.GetPortValue())

		agent := b.GetStaticResources().GetClusters()[0]
		must.Eq(t, LocalAgentCluster, agent.GetName())
		must.Eq(t, int64(1), agent.GetConnectTimeout().GetSeconds())
		ep := agent.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress()
		must.Eq(t, "alloc/tmp/consul_grpc.sock", ep.GetPipe().GetPath())
		must.Nil(t, agent.GetTransportSocket())

		var opts httpv3.HttpProtocolOptions
		must.NoError(t, agent.GetTypedExtensionProtocolOptions()[httpProtocolOptionsKey].UnmarshalTo(&opts))
		must.NotNil(t, opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions())

		ads := b.GetDynamicResources().GetAdsConfig()
		must.SliceLen(t, 1, ads.GetGrpcServices())
		must.Eq(t, LocalAgentCluster, ads.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName())
		must.SliceEmpty(t, ads.GetGrpcServices()[0].GetInitialMetadata())
		must.NotNil(t, b.GetDynamicResources().GetLdsConfig().GetAds())
		must.NotNil(t, b.GetDynamicResources().GetCdsConfig().GetAds())

		// The readiness listener forwards to the admin API.
		ls := b.GetStaticResources().GetListeners()
		must.SliceLen(t, 1, ls)
		must.Eq(t, uint32(19100), ls[0].GetAddress().GetSocketAddress().GetPortValue())
		self := b.GetStaticResources().GetClusters()[1]
		must.Eq(t, selfAdminCluster, self.GetName())
		selfEp := self.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress()
		must.Eq(t, "127.0.0.2", selfEp.GetSocketAddress().GetAddress())
		must.Eq(t, uint32(19000), selfEp.GetSocketAddress().GetPortValue())
	})

	t.Run("tcp sidecar", func(t *testing.T) {
		out, err := Generate(byName["tcp"])
		must.NoError(t, err)
		b := decode(t, out)
		ep := b.GetStaticResources().GetClusters()[0].GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress()
		must.Nil(t, ep.GetPipe())
		must.Eq(t, "127.0.0.1", ep.GetSocketAddress().GetAddress())
		must.Eq(t, uint32(8502), ep.GetSocketAddress().GetPortValue())
		must.SliceEmpty(t, b.GetStaticResources().GetListeners())
	})

	t.Run("token", func(t *testing.T) {
		out, err := Generate(byName["token"])
		must.NoError(t, err)
		md := decode(t, out).GetDynamicResources().GetAdsConfig().GetGrpcServices()[0].GetInitialMetadata()
		must.SliceLen(t, 1, md)
		must.Eq(t, "x-consul-token", md[0].GetKey())
		must.Eq(t, byName["token"].Token, md[0].GetValue())
	})

	t.Run("tls", func(t *testing.T) {
		out, err := Generate(byName["tls"])
		must.NoError(t, err)
		ts := decode(t, out).GetStaticResources().GetClusters()[0].GetTransportSocket()
		must.Eq(t, tlsTransportSocketName, ts.GetName())
		var tc tlsv3.UpstreamTlsContext
		must.NoError(t, ts.GetTypedConfig().UnmarshalTo(&tc))
		ca, err := os.ReadFile("testdata/tls/ca.pem")
		must.NoError(t, err)
		key, err := os.ReadFile("testdata/tls/key.pem")
		must.NoError(t, err)
		must.Eq(t, "localhost", tc.GetSni())
		must.Eq(t, string(ca), tc.GetCommonTlsContext().GetValidationContext().GetTrustedCa().GetInlineString())
		must.SliceLen(t, 1, tc.GetCommonTlsContext().GetTlsCertificates())
		must.Eq(t, string(key), tc.GetCommonTlsContext().GetTlsCertificates()[0].GetPrivateKey().GetInlineString())
	})
}
