package taskenv

import (
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

func TestBuild_EnvoyAdminAddrPerSidecar(t *testing.T) {
	proxyAPI := &structs.Task{Name: "connect-proxy-count-api", Kind: "connect-proxy:count-api"}
	proxyDash := &structs.Task{Name: "connect-proxy-count-dashboard", Kind: "connect-proxy:count-dashboard"}
	web := &structs.Task{Name: "web"}
	// Group order differs from name order: the index is by name.
	alloc := testAlloc(&structs.TaskGroup{Tasks: []*structs.Task{web, proxyDash, proxyAPI}}, nil)

	for _, tc := range []struct {
		task     *structs.Task
		key      string
		want     string
		wantNone bool
	}{
		{task: proxyAPI, key: "NOMAD_ENVOY_ADMIN_ADDR_count_api", want: "127.0.0.2:19000"},
		{task: proxyDash, key: "NOMAD_ENVOY_ADMIN_ADDR_count_dashboard", want: "127.0.0.2:19001"},
		{task: web, wantNone: true},
	} {
		t.Run(tc.task.Name, func(t *testing.T) {
			env := NewBuilder(testNode(), alloc, tc.task, "global").Build().Map()
			if tc.wantNone {
				for k := range env {
					must.StrNotContains(t, k, EnvoyAdminAddrPrefix)
				}
				return
			}
			must.Eq(t, tc.want, env[tc.key])
		})
	}
}
