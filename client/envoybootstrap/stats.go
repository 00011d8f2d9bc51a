package envoybootstrap

import (
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// statsConfig tags every metric with the source service, namespace and
// (when known) datacenter, with the fixed-value tags Consul emits, and keeps
// Envoy's default tag extraction. Consul's regex tags for destination and
// upstream names are not emitted.
func statsConfig(p *Params) *metricsv3.StatsConfig {
	fixed := func(name, value string) *metricsv3.TagSpecifier {
		return &metricsv3.TagSpecifier{
			TagName:  name,
			TagValue: &metricsv3.TagSpecifier_FixedValue{FixedValue: value},
		}
	}
	tags := []*metricsv3.TagSpecifier{
		fixed("local_cluster", p.ServiceName),
		fixed("consul.source.service", p.ServiceName),
		fixed("consul.source.namespace", p.namespace()),
	}
	if p.Datacenter != "" {
		tags = append(tags, fixed("consul.source.datacenter", p.Datacenter))
	}
	return &metricsv3.StatsConfig{
		StatsTags:         tags,
		UseAllDefaultTags: wrapperspb.Bool(true),
	}
}
