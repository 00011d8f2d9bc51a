package envoybootstrap

import (
	"fmt"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	// localAgentConnectTimeout is how long Envoy waits to connect to the
	// Consul agent (Consul uses 1s).
	localAgentConnectTimeout = time.Second

	// re2MaxProgramSize raises Envoy's regex complexity limit so Consul's
	// generated routes and stats tag regexes are accepted (as Consul does).
	re2MaxProgramSize = 1048576
)

// Build returns the Envoy bootstrap for the sidecar described by p, or an
// error listing every problem with p. The result is not yet checked against
// Envoy's schema; Generate does that.
func Build(p Params) (*bootstrapv3.Bootstrap, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("invalid envoy bootstrap parameters: %w", err)
	}

	var pk packer
	agent, err := localAgentCluster(&p, &pk)
	if err != nil {
		return nil, err
	}

	b := &bootstrapv3.Bootstrap{
		Node:  node(&p),
		Admin: admin(&p, &pk),
		LayeredRuntime: &bootstrapv3.LayeredRuntime{
			Layers: []*bootstrapv3.RuntimeLayer{{
				Name: "base",
				LayerSpecifier: &bootstrapv3.RuntimeLayer_StaticLayer{StaticLayer: &structpb.Struct{
					Fields: map[string]*structpb.Value{
						"re2.max_program_size.error_level": structpb.NewNumberValue(re2MaxProgramSize),
					},
				}},
			}},
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Clusters: []*clusterv3.Cluster{agent},
		},
		StatsConfig:      statsConfig(&p),
		DynamicResources: dynamicResources(&p),
	}
	if p.ReadyPort != 0 {
		c, l := readyListener(&p, &pk)
		b.StaticResources.Clusters = append(b.StaticResources.Clusters, c)
		b.StaticResources.Listeners = append(b.StaticResources.Listeners, l)
	}
	if pk.err != nil {
		return nil, pk.err
	}
	return b, nil
}

// node identifies the proxy to Consul's xDS server.
func node(p *Params) *corev3.Node {
	meta := map[string]*structpb.Value{
		"namespace": structpb.NewStringValue(p.namespace()),
	}
	if p.EnvoyVersion != "" {
		meta["envoy_version"] = structpb.NewStringValue(p.EnvoyVersion)
	}
	if p.NodeName != "" {
		meta["node_name"] = structpb.NewStringValue(p.NodeName)
	}
	return &corev3.Node{
		Id:       p.ProxyID,
		Cluster:  p.ServiceName,
		Metadata: &structpb.Struct{Fields: meta},
	}
}

// dynamicResources fetches listeners and clusters over one ADS stream to the
// local agent (incremental xDS, as current Consul serves it).
func dynamicResources(p *Params) *bootstrapv3.Bootstrap_DynamicResources {
	adsSource := func() *corev3.ConfigSource {
		return &corev3.ConfigSource{
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
			InitialFetchTimeout:   durationpb.New(0),
			ResourceApiVersion:    corev3.ApiVersion_V3,
		}
	}
	grpc := &corev3.GrpcService{
		TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
			EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: LocalAgentCluster},
		},
	}
	if p.Token != "" {
		grpc.InitialMetadata = []*corev3.HeaderValue{{Key: "x-consul-token", Value: p.Token}}
	}
	return &bootstrapv3.Bootstrap_DynamicResources{
		LdsConfig: adsSource(),
		CdsConfig: adsSource(),
		AdsConfig: &corev3.ApiConfigSource{
			ApiType:             corev3.ApiConfigSource_DELTA_GRPC,
			TransportApiVersion: corev3.ApiVersion_V3,
			GrpcServices:        []*corev3.GrpcService{grpc},
		},
	}
}

// staticCluster returns a STATIC cluster with a single endpoint.
func staticCluster(name string, timeout time.Duration, addr *corev3.Address) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(timeout),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
						Endpoint: &endpointv3.Endpoint{Address: addr},
					},
				}},
			}},
		},
	}
}

func socketAddress(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       ip,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func pipeAddress(path string) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: path}}}
}

// packer wraps messages into Any, remembering the first failure so builders
// stay linear.
type packer struct{ err error }

func (pk *packer) pack(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil && pk.err == nil {
		pk.err = fmt.Errorf("failed to encode %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return a
}
