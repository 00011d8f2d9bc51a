package structs_test

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestJob_ValidateConnect(t *testing.T) {
	upstream := func(j *structs.Job) *structs.ConsulUpstream {
		return j.TaskGroups[0].Services[0].Connect.SidecarService.Proxy.Upstreams[0]
	}
	for _, tc := range []struct {
		name  string
		patch func(*structs.Job)
		want  []string
	}{
		{"valid", func(*structs.Job) {}, nil},
		{"not a connect job", func(j *structs.Job) { *j = *mock.Job() }, nil},
		{"uninterpolated name", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Name = "api-${NOMAD_ALLOC_INDEX}"
		}, []string{`group "api" -> service "api-${NOMAD_ALLOC_INDEX}": Consul Connect service name "api-${NOMAD_ALLOC_INDEX}" in group "api" must be a valid DNS label (RFC 1123) after interpolation; only job and group variables are known at submit`}},
		{"invalid name without variables is left to Validate", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Name = "count_api"
		}, nil},
		{"upstream without destination", func(j *structs.Job) {
			upstream(j).DestinationName = ""
		}, []string{`group "api" -> service "count-api": Consul Connect upstream 1 of service "count-api" must set destination_name`}},
		{"upstream port too big", func(j *structs.Job) {
			upstream(j).LocalBindPort = 65536
		}, []string{`group "api" -> service "count-api": Consul Connect upstream "count-db" of service "count-api" has invalid local_bind_port 65536; must be between 1 and 65535`}},
		{"upstream port unset", func(j *structs.Job) {
			upstream(j).LocalBindPort = 0
		}, []string{`group "api" -> service "count-api": Consul Connect upstream "count-db" of service "count-api" has invalid local_bind_port 0; must be between 1 and 65535`}},
		{"same connect service on two ports", func(j *structs.Job) {
			tg := j.TaskGroups[0]
			other := *tg.Services[0]
			other.PortLabel = "http"
			other.Connect = &structs.ConsulConnect{Native: true}
			tg.Services = append(tg.Services, &other)
		}, []string{`group "api": Consul Connect service "count-api" is defined more than once in group "api"`}},
		{"same connect service and port is Validate's duplicate", func(j *structs.Job) {
			tg := j.TaskGroups[0]
			other := *tg.Services[0]
			other.Connect = &structs.ConsulConnect{Native: true}
			tg.Services = append(tg.Services, &other)
		}, nil},
		{"every problem", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Name = "${NOMAD_ALLOC_ID}"
			upstream(j).DestinationName = ""
			upstream(j).LocalBindPort = -1
		}, []string{
			`group "api" -> service "${NOMAD_ALLOC_ID}": Consul Connect service name "${NOMAD_ALLOC_ID}" in group "api" must be a valid DNS label (RFC 1123) after interpolation; only job and group variables are known at submit`,
			`group "api" -> service "${NOMAD_ALLOC_ID}": Consul Connect upstream 1 of service "${NOMAD_ALLOC_ID}" must set destination_name`,
			`group "api" -> service "${NOMAD_ALLOC_ID}": Consul Connect upstream "" of service "${NOMAD_ALLOC_ID}" has invalid local_bind_port -1; must be between 1 and 65535`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.ConnectJob()
			tc.patch(j)
			must.Eq(t, tc.want, problems(t, j.ValidateConnect()))
		})
	}
	must.NoError(t, (*structs.Job)(nil).ValidateConnect())
}
