package envoybootstrap

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestAdminPortFor_UniquePerSidecar(t *testing.T) {
	// Two Connect services in one group: their sidecars are tasks 0 and 1 and
	// share the allocation's network namespace.
	ports := map[uint32]string{}
	for i, svc := range []string{"count-api", "count-dashboard"} {
		out, err := Generate(Params{
			ProxyID:        svc + "-sidecar-proxy",
			ServiceName:    svc,
			AdminPort:      AdminPortFor(i),
			ReadyPort:      ReadyPortFor(i),
			GRPCSocketPath: DefaultGRPCSocketPath,
		})
		must.NoError(t, err)
		b := decode(t, out)
		port := b.GetAdmin().GetAddress().GetSocketAddress().GetPortValue()
		must.Eq(t, uint32(19000+i), port)
		ready := b.GetStaticResources().GetListeners()[0].GetAddress().GetSocketAddress().GetPortValue()
		must.Eq(t, uint32(19100+i), ready)
		_, dup := ports[port]
		must.False(t, dup, must.Sprintf("admin port %d reused by %s", port, svc))
		ports[port] = svc
	}
	must.MapLen(t, 2, ports)
}

func TestBuild_InvalidParams(t *testing.T) {
	ok := Params{ProxyID: "p", ServiceName: "s", AdminPort: 19000, GRPCSocketPath: DefaultGRPCSocketPath}
	cases := []struct {
		name   string
		modify func(p *Params)
		want   []string
	}{
		{"no proxy id", func(p *Params) { p.ProxyID = "" }, []string{"proxy ID is required"}},
		{"no service", func(p *Params) { p.ServiceName = "" }, []string{"service name is required"}},
		{"no admin port", func(p *Params) { p.AdminPort = 0 }, []string{"admin port 0 is out of range"}},
		{"admin addr not ip", func(p *Params) { p.AdminAddr = "localhost" }, []string{`admin address "localhost" is not an IP address`}},
		{"no grpc target", func(p *Params) { p.GRPCSocketPath = "" }, []string{"one of the Consul gRPC socket path and address is required"}},
		{"both grpc targets", func(p *Params) { p.GRPCAddr = "127.0.0.1:8502" }, []string{"only one of the Consul gRPC socket path"}},
		{"grpc host not ip", func(p *Params) { p.GRPCSocketPath, p.GRPCAddr = "", "consul:8502" }, []string{`host "consul" is not an IP address`}},
		{"grpc port bad", func(p *Params) { p.GRPCSocketPath, p.GRPCAddr = "", "127.0.0.1:0" }, []string{`port "0" is not in range`}},
		{"empty unix url", func(p *Params) { p.GRPCSocketPath = "unix://" }, []string{`socket path "unix://" is empty`}},
		{"ready clashes with admin", func(p *Params) { p.AdminAddr, p.ReadyAddr, p.ReadyPort = "127.0.0.1", "127.0.0.1", 19000 }, []string{"collides with the admin listener"}},
		{"tls without ca", func(p *Params) { p.TLS = &TLSParams{} }, []string{"requires a CA certificate"}},
		{"tls cert without key", func(p *Params) { p.TLS = &TLSParams{CAPEM: "ca", CertPEM: "c"} }, []string{"certificate and key must be given together"}},
		{"all problems at once", func(p *Params) { p.ProxyID, p.ServiceName, p.AdminPort = "", "", -1 },
			[]string{"proxy ID is required", "service name is required", "admin port -1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.modify(&p)
			_, err := Generate(p)
			must.Error(t, err)
			must.StrContains(t, err.Error(), "invalid envoy bootstrap parameters")
			for _, w := range tc.want {
				must.StrContains(t, err.Error(), w)
			}
		})
	}
	t.Run("baseline is valid", func(t *testing.T) {
		_, err := Generate(ok)
		must.NoError(t, err)
	})
}

func TestBuild_UnixURLPrefixStripped(t *testing.T) {
	out, err := Generate(Params{ProxyID: "p", ServiceName: "s", AdminPort: 19000, GRPCSocketPath: "unix://alloc/tmp/consul_grpc.sock"})
	must.NoError(t, err)
	ep := decode(t, out).GetStaticResources().GetClusters()[0].GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress()
	must.Eq(t, "alloc/tmp/consul_grpc.sock", ep.GetPipe().GetPath())
}

func TestBuild_Defaults(t *testing.T) {
	out, err := Generate(Params{ProxyID: "p", ServiceName: "s", AdminPort: 19003, GRPCSocketPath: DefaultGRPCSocketPath,
		Namespace: "", EnvoyVersion: "1.40.0", NodeName: "client-1"})
	must.NoError(t, err)
	b := decode(t, out)
	must.Eq(t, DefaultAdminAddr, b.GetAdmin().GetAddress().GetSocketAddress().GetAddress())
	md := b.GetNode().GetMetadata().GetFields()
	must.Eq(t, "default", md["namespace"].GetStringValue())
	must.Eq(t, "1.40.0", md["envoy_version"].GetStringValue())
	must.Eq(t, "client-1", md["node_name"].GetStringValue())
	must.SliceEmpty(t, b.GetStaticResources().GetListeners())
}

func TestTLSFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		must.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	ca, cert, key := write("ca.pem", "CA"), write("cert.pem", "CERT"), write("key.pem", "KEY")

	t.Run("reads all three", func(t *testing.T) {
		tp, err := TLSFromFiles(ca, cert, key, "consul.local")
		must.NoError(t, err)
		must.Eq(t, TLSParams{CAPEM: "CA", CertPEM: "CERT", KeyPEM: "KEY", ServerName: "consul.local"}, *tp)
	})
	t.Run("ca only", func(t *testing.T) {
		tp, err := TLSFromFiles(ca, "", "", "")
		must.NoError(t, err)
		must.Eq(t, TLSParams{CAPEM: "CA"}, *tp)
	})
	t.Run("ca required", func(t *testing.T) {
		_, err := TLSFromFiles("", cert, key, "")
		must.ErrorContains(t, err, "ca_file is required")
	})
	t.Run("missing file named", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.pem")
		_, err := TLSFromFiles(ca, missing, key, "")
		must.ErrorContains(t, err, missing)
	})
}
