package agent

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// A service's check_restart applies to each of its checks, what a check sets
// wins, and an unset grace is Nomad's 1s.
func TestConvert_CheckRestartMergeAndGrace(t *testing.T) {
	d := func(v time.Duration) *time.Duration { return &v }
	svc := &api.Service{
		Name:         "web",
		CheckRestart: &api.CheckRestart{Limit: 3, Grace: d(90 * time.Second)},
		Checks: []api.ServiceCheck{
			{Name: "inherits", Type: "tcp"},
			{Name: "own-limit", Type: "tcp", CheckRestart: &api.CheckRestart{Limit: 5}},
			{Name: "own-grace", Type: "tcp", CheckRestart: &api.CheckRestart{Grace: d(0), IgnoreWarnings: true}},
		},
	}
	bare := &api.Service{Name: "bare", Checks: []api.ServiceCheck{
		{Name: "no-grace", Type: "tcp", CheckRestart: &api.CheckRestart{Limit: 2}},
	}}
	out := apiServicesToStructs([]*api.Service{svc, bare})

	want := map[string]structs.CheckRestart{
		"inherits":  {Limit: 3, Grace: 90 * time.Second},
		"own-limit": {Limit: 5, Grace: 90 * time.Second},
		"own-grace": {Limit: 3, Grace: 0, IgnoreWarnings: true},
		"no-grace":  {Limit: 2, Grace: time.Second},
	}
	for _, s := range out {
		for _, c := range s.Checks {
			must.NotNil(t, c.CheckRestart, must.Sprint(c.Name))
			must.Eq(t, want[c.Name], *c.CheckRestart, must.Sprint(c.Name))
		}
	}
}
