package envoybootstrap

import (
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// Extension names under which typed configs are registered in Envoy.
const (
	httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	fileAccessLogName      = "envoy.access_loggers.file"
	tlsTransportSocketName = "envoy.transport_sockets.tls"
	hcmFilterName          = "envoy.filters.network.http_connection_manager"
	routerFilterName       = "envoy.filters.http.router"

	selfAdminCluster   = "self_admin"
	readyListenerName  = "envoy_ready_listener"
	selfAdminTimeout   = 5 * time.Second
	readyPath          = "/ready"
	devNullAccessLog   = "/dev/null"
	readyStatPrefix    = "envoy_ready"
	selfAdminRouteName = "self_admin_route"
)

// admin binds Envoy's admin API to AdminAddr:AdminPort and discards its
// access log.
func admin(p *Params, pk *packer) *bootstrapv3.Admin {
	return &bootstrapv3.Admin{
		AccessLog: []*accesslogv3.AccessLog{{
			Name:       fileAccessLogName,
			ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: pk.pack(&filev3.FileAccessLog{Path: devNullAccessLog})},
		}},
		Address: socketAddress(p.adminAddr(), uint32(p.AdminPort)),
	}
}

// localAgentCluster reaches the Consul agent's gRPC (xDS) service over HTTP/2,
// through the per-allocation unix socket or a TCP address, optionally with
// TLS.
func localAgentCluster(p *Params, pk *packer) (*clusterv3.Cluster, error) {
	var addr *corev3.Address
	if p.GRPCSocketPath != "" {
		addr = pipeAddress(p.socketPath())
	} else {
		host, port, err := splitHostPort(p.GRPCAddr)
		if err != nil {
			return nil, err
		}
		addr = socketAddress(host, port)
	}

	c := staticCluster(LocalAgentCluster, localAgentConnectTimeout, addr)
	c.TypedExtensionProtocolOptions = map[string]*anypb.Any{
		httpProtocolOptionsKey: pk.pack(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
				ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
					ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
						Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
					},
				},
			},
		}),
	}
	if p.TLS != nil {
		c.TransportSocket = &corev3.TransportSocket{
			Name:       tlsTransportSocketName,
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: pk.pack(upstreamTLS(p.TLS))},
		}
	}
	return c, nil
}

func inline(s string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: s}}
}

func upstreamTLS(t *TLSParams) *tlsv3.UpstreamTlsContext {
	common := &tlsv3.CommonTlsContext{
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{
			ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inline(t.CAPEM)},
		},
	}
	if t.CertPEM != "" {
		common.TlsCertificates = []*tlsv3.TlsCertificate{{
			CertificateChain: inline(t.CertPEM),
			PrivateKey:       inline(t.KeyPEM),
		}}
	}
	return &tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: t.ServerName}
}

// readyListener serves GET /ready on ReadyAddr:ReadyPort by forwarding it to
// the admin API (cluster self_admin); every other path answers 404.
func readyListener(p *Params, pk *packer) (*clusterv3.Cluster, *listenerv3.Listener) {
	c := staticCluster(selfAdminCluster, selfAdminTimeout, socketAddress(p.adminAddr(), uint32(p.AdminPort)))
	c.TypedExtensionProtocolOptions = map[string]*anypb.Any{
		httpProtocolOptionsKey: pk.pack(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
				ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
					ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{
						HttpProtocolOptions: &corev3.Http1ProtocolOptions{},
					},
				},
			},
		}),
	}

	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: readyStatPrefix,
		CodecType:  hcmv3.HttpConnectionManager_HTTP1,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: selfAdminRouteName,
			VirtualHosts: []*routev3.VirtualHost{{
				Name:    selfAdminCluster,
				Domains: []string{"*"},
				Routes: []*routev3.Route{
					{
						Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: readyPath}},
						Action: &routev3.Route_Route{Route: &routev3.RouteAction{
							ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: selfAdminCluster},
							PrefixRewrite:    readyPath,
						}},
					},
					{
						Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
						Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 404}},
					},
				},
			}},
		}},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       routerFilterName,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: pk.pack(&routerv3.Router{})},
		}},
	}
	l := &listenerv3.Listener{
		Name:    readyListenerName,
		Address: socketAddress(p.readyAddr(), uint32(p.ReadyPort)),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{
				Name:       hcmFilterName,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: pk.pack(hcm)},
			}},
		}},
	}
	return c, l
}
