package consul

import (
	"context"
	"testing"

	"github.com/hashicorp/consul/api"
	"github.com/shoenig/test/must"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// countAPI is the talk's count-api: it listens on 9001 inside the namespace
// (port "http" maps 23456 -> 8080, unused here) and dials count-db via the mesh.
func countAPI(disableTCP bool) *structs.Service {
	return &structs.Service{
		Name:      "count-api",
		PortLabel: "9001",
		Tags:      []string{"api"},
		Connect: &structs.ConsulConnect{
			SidecarService: &structs.ConsulSidecarService{
				Tags:                   []string{"mesh"},
				Meta:                   map[string]string{"proxy": "envoy"},
				DisableDefaultTCPCheck: disableTCP,
				Proxy: &structs.ConsulProxy{
					Upstreams: []*structs.ConsulUpstream{
						{DestinationName: "count-db", LocalBindPort: 5432},
						{DestinationName: "cache", LocalBindPort: 6379, LocalBindAddress: "127.0.0.2", Datacenter: "dc2"},
					},
					Config: map[string]any{"protocol": "http"},
				},
			},
		},
	}
}

func TestServiceClient_ConnectSidecar(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := countAPI(false)
	w := bridgeWorkload(svc)
	parentID := serviceID(w, svc)
	sidecarID := sr.MakeSidecarServiceID(parentID)
	must.Eq(t, "_nomad-task-"+w.AllocID+"-group-api-count-api-9001-sidecar-proxy", sidecarID)

	must.NoError(t, h.client.RegisterWorkload(ctx, w))
	services := h.services(t)

	parent := services[parentID]
	must.NotNil(t, parent)
	must.Eq(t, 9001, parent.Port)

	sc := services[sidecarID]
	must.NotNil(t, sc, must.Sprint("Consul registers the nested sidecar"))
	must.Eq(t, api.ServiceKindConnectProxy, sc.Kind)
	must.Eq(t, "count-api-sidecar-proxy", sc.Service)
	must.Eq(t, testHostIP, sc.Address)
	must.Eq(t, 24000, sc.Port, must.Sprint("the host port of connect-proxy-count-api"))
	must.Eq(t, []string{"mesh"}, sc.Tags)
	must.Eq(t, map[string]string{"proxy": "envoy"}, sc.Meta)

	p := sc.Proxy
	must.NotNil(t, p)
	must.Eq(t, "count-api", p.DestinationServiceName)
	must.Eq(t, parentID, p.DestinationServiceID)
	must.Eq(t, "127.0.0.1", p.LocalServiceAddress)
	must.Eq(t, 9001, p.LocalServicePort)
	must.Eq[any](t, "0.0.0.0", p.Config["bind_address"])
	must.Eq[any](t, float64(24000), p.Config["bind_port"])
	must.Eq[any](t, "http", p.Config["protocol"])
	must.Len(t, 2, p.Upstreams)
	must.Eq(t, "count-db", p.Upstreams[0].DestinationName)
	must.Eq(t, 5432, p.Upstreams[0].LocalBindPort)
	must.Eq(t, "cache", p.Upstreams[1].DestinationName)
	must.Eq(t, 6379, p.Upstreams[1].LocalBindPort)
	must.Eq(t, "127.0.0.2", p.Upstreams[1].LocalBindAddress)
	must.Eq(t, "dc2", p.Upstreams[1].Datacenter)

	var names []string
	var tcp string
	for _, c := range h.checks(t) {
		if c.ServiceID == sidecarID {
			names = append(names, c.Name)
			if c.Type == "tcp" {
				tcp = c.Definition.TCP
			}
		}
	}
	must.Eq(t, sortedIDs("Connect Sidecar Aliasing "+parentID, "Connect Sidecar Listening"), sortedIDs(names...))
	must.Eq(t, "10.0.0.5:24000", tcp)

	must.NoError(t, h.client.RemoveWorkload(ctx, w))
	services = h.services(t)
	must.MapNotContainsKey(t, services, parentID)
	must.MapNotContainsKey(t, services, sidecarID, must.Sprint("the sidecar goes with its parent"))
}

func TestServiceClient_ConnectSidecar_DisableDefaultTCPCheck(t *testing.T) {
	h := newHarness(t)
	svc := countAPI(true)
	w := bridgeWorkload(svc)
	sidecarID := sr.MakeSidecarServiceID(serviceID(w, svc))

	must.NoError(t, h.client.RegisterWorkload(context.Background(), w))
	var types []string
	for _, c := range h.checks(t) {
		if c.ServiceID == sidecarID {
			types = append(types, c.Type)
		}
	}
	must.Eq(t, []string{"alias"}, types)
}

func TestBuildRegistration_Connect(t *testing.T) {
	t.Run("local service port defaults to the label's to", func(t *testing.T) {
		svc := countAPI(false)
		svc.PortLabel = "http"
		reg, err := BuildRegistration(bridgeWorkload(), svc)
		must.NoError(t, err)
		must.Eq(t, 23456, reg.Port)
		must.Eq(t, 8080, reg.Connect.SidecarService.Proxy.LocalServicePort)
	})
	t.Run("user proxy settings win", func(t *testing.T) {
		svc := countAPI(false)
		svc.Connect.SidecarService.Proxy.LocalServiceAddress = "127.0.0.9"
		svc.Connect.SidecarService.Proxy.LocalServicePort = 7000
		svc.Connect.SidecarService.Proxy.Config["bind_address"] = "::"
		reg, err := BuildRegistration(bridgeWorkload(), svc)
		must.NoError(t, err)
		p := reg.Connect.SidecarService.Proxy
		must.Eq(t, "127.0.0.9", p.LocalServiceAddress)
		must.Eq(t, 7000, p.LocalServicePort)
		must.Eq[any](t, "::", p.Config["bind_address"])
		must.Eq[any](t, 24000, p.Config["bind_port"])
	})
	t.Run("stats tags", func(t *testing.T) {
		w := bridgeWorkload()
		reg, err := BuildRegistration(w, countAPI(false))
		must.NoError(t, err)
		must.Eq[any](t, []string{"nomad.alloc_id=" + w.AllocID, "nomad.group=api", "nomad.job=countdash", "nomad.namespace=default"},
			reg.Connect.SidecarService.Proxy.Config["envoy_stats_tags"])
	})
	t.Run("expose paths", func(t *testing.T) {
		svc := countAPI(false)
		svc.Connect.SidecarService.Proxy.Expose = &structs.ConsulExposeConfig{Paths: []structs.ConsulExposePath{
			{Path: "/health", Protocol: "http", LocalPathPort: 9001, ListenerPort: "metrics"},
		}}
		reg, err := BuildRegistration(bridgeWorkload(), svc)
		must.NoError(t, err)
		must.Eq(t, []api.ExposePath{{Path: "/health", Protocol: "http", LocalPathPort: 9001, ListenerPort: 23457}},
			reg.Connect.SidecarService.Proxy.Expose.Paths)
	})
	t.Run("missing sidecar port", func(t *testing.T) {
		svc := countAPI(false)
		svc.Name = "other"
		_, err := BuildRegistration(bridgeWorkload(), svc)
		must.EqError(t, err, `invalid Consul Connect configuration for service "other": No Connect port defined for service "other"`)
	})
	t.Run("native", func(t *testing.T) {
		svc := &structs.Service{Name: "n", PortLabel: "http", Connect: &structs.ConsulConnect{Native: true}}
		reg, err := BuildRegistration(bridgeWorkload(), svc)
		must.NoError(t, err)
		must.Eq(t, &api.AgentServiceConnect{Native: true}, reg.Connect)
	})
}
