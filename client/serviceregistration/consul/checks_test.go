package consul

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/shoenig/test/must"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

func checkedService() *structs.Service {
	return &structs.Service{
		Name:      "web",
		PortLabel: "http",
		Checks: []*structs.ServiceCheck{
			{
				Name: "alive", Type: "http", Path: "/health?full=1", Method: "POST",
				Header:   map[string][]string{"X-Probe": {"nomad"}},
				Interval: 10 * time.Second, Timeout: 2 * time.Second,
			},
			{Name: "listening", Type: "tcp", PortLabel: "metrics", Interval: 5 * time.Second, Timeout: time.Second},
			{
				Name: "script", Type: "script", Command: "/bin/check", Args: []string{"-q"}, TaskName: "web",
				Interval: 15 * time.Second, Timeout: 3 * time.Second, InitialStatus: api.HealthWarning,
			},
		},
	}
}

func TestServiceClient_Checks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := checkedService()
	w := bridgeWorkload(svc)
	id := serviceID(w, svc)

	must.NoError(t, h.client.RegisterWorkload(ctx, w))
	checks := h.checks(t)

	httpID := sr.MakeCheckID(id, svc.Checks[0])
	tcpID := sr.MakeCheckID(id, svc.Checks[1])
	ttlID := sr.MakeCheckID(id, svc.Checks[2])
	for _, cid := range []string{httpID, tcpID, ttlID} {
		must.StrHasPrefix(t, "_nomad-check-", cid)
		must.MapContainsKey(t, checks, cid)
		must.Eq(t, id, checks[cid].ServiceID)
		must.Eq(t, "web", checks[cid].ServiceName)
	}

	t.Run("http", func(t *testing.T) {
		c := checks[httpID]
		must.Eq(t, "alive", c.Name)
		must.Eq(t, "http", c.Type)
		must.Eq(t, "http://10.0.0.5:23456/health?full=1", c.Definition.HTTP)
		must.Eq(t, "POST", c.Definition.Method)
		must.Eq(t, map[string][]string{"X-Probe": {"nomad"}}, c.Definition.Header)
		must.Eq(t, 10*time.Second, time.Duration(c.Definition.Interval))
		must.Eq(t, 2*time.Second, time.Duration(c.Definition.Timeout))
	})
	t.Run("tcp on the check's own port", func(t *testing.T) {
		c := checks[tcpID]
		must.Eq(t, "tcp", c.Type)
		must.Eq(t, "10.0.0.5:23457", c.Definition.TCP)
		must.Eq(t, 5*time.Second, time.Duration(c.Definition.Interval))
	})
	t.Run("script as ttl", func(t *testing.T) {
		c := checks[ttlID]
		must.Eq(t, "ttl", c.Type)
		must.Eq(t, api.HealthWarning, c.Status, must.Sprint("initial_status is the TTL check's first status"))

		must.NoError(t, h.client.UpdateTTL(ctx, ttlID, "all good", api.HealthPassing))
		c = h.checks(t)[ttlID]
		must.Eq(t, api.HealthPassing, c.Status)
		must.Eq(t, "all good", c.Output)
	})

	t.Run("ids stable over re-registration", func(t *testing.T) {
		again := checkedService()
		must.Eq(t, httpID, sr.MakeCheckID(id, again.Checks[0]))
		w2 := *w
		w2.Services = []*structs.Service{again}
		again.Tags = []string{"changed"}
		must.NoError(t, h.client.UpdateWorkload(ctx, w, &w2))
		checks := h.checks(t)
		must.MapContainsKeys(t, checks, []string{httpID, tcpID, ttlID})
		must.Eq(t, api.HealthPassing, checks[ttlID].Status, must.Sprint("re-registration keeps the TTL status"))
	})

	t.Run("changed check replaces the old one", func(t *testing.T) {
		changed := checkedService()
		changed.Checks[0].Path = "/ready"
		w3 := *w
		w3.Services = []*structs.Service{changed}
		must.NoError(t, h.client.UpdateWorkload(ctx, w, &w3))
		checks := h.checks(t)
		newID := sr.MakeCheckID(id, changed.Checks[0])
		must.NotEq(t, httpID, newID)
		must.MapContainsKey(t, checks, newID)
		must.MapNotContainsKey(t, checks, httpID)
		must.Eq(t, "http://10.0.0.5:23456/ready", checks[newID].Definition.HTTP)
	})

	must.NoError(t, h.client.RemoveWorkload(ctx, w))
	for cid, c := range h.checks(t) {
		must.NotEq(t, id, c.ServiceID, must.Sprintf("check %q outlived its service", cid))
	}
}

func TestServiceClient_UpdateTTL_UnknownCheck(t *testing.T) {
	h := newHarness(t)
	err := h.client.UpdateTTL(context.Background(), "_nomad-check-nope", "", api.HealthPassing)
	must.ErrorContains(t, err, `failed to update TTL check "_nomad-check-nope"`)
}

func TestBuildCheck_Errors(t *testing.T) {
	cases := []struct {
		name  string
		svc   *structs.Service
		check *structs.ServiceCheck
		want  string
	}{
		{
			name:  "no port anywhere",
			svc:   &structs.Service{Name: "web"},
			check: &structs.ServiceCheck{Name: "c", Type: "tcp", Interval: time.Second},
			want:  `invalid check "c" of service "web": check requires a port but neither check nor service "web" have a port`,
		},
		{
			name:  "unknown check port",
			svc:   &structs.Service{Name: "web", PortLabel: "http"},
			check: &structs.ServiceCheck{Name: "c", Type: "tcp", PortLabel: "zzz", Interval: time.Second},
			want:  `invalid check "c" of service "web": invalid port "zzz": port label not found`,
		},
		{
			name:  "unknown type",
			svc:   &structs.Service{Name: "web", PortLabel: "http"},
			check: &structs.ServiceCheck{Name: "c", Type: "icmp", Interval: time.Second},
			want:  `invalid check "c" of service "web": unsupported check type "icmp"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.svc.Checks = []*structs.ServiceCheck{tc.check}
			_, err := BuildRegistration(bridgeWorkload(), tc.svc)
			must.EqError(t, err, tc.want)
		})
	}
}

func TestMakeCheckID_DependsOnDefinition(t *testing.T) {
	base := &structs.ServiceCheck{Name: "c", Type: "http", Path: "/", Interval: time.Second, Header: map[string][]string{"A": {"1"}, "B": {"2"}}}
	same := &structs.ServiceCheck{Name: "c", Type: "http", Path: "/", Interval: time.Second, Header: map[string][]string{"B": {"2"}, "A": {"1"}}}
	must.Eq(t, sr.MakeCheckID("svc", base), sr.MakeCheckID("svc", same))
	must.NotEq(t, sr.MakeCheckID("svc", base), sr.MakeCheckID("other", base))
	moved := *base
	moved.Interval = 2 * time.Second
	must.NotEq(t, sr.MakeCheckID("svc", base), sr.MakeCheckID("svc", &moved))
}
