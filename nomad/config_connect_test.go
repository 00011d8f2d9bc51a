package nomad

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestConnectSidecarConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *ConnectSidecarConfig
		want string
	}{
		{"nil", nil, ""},
		{"empty", &ConnectSidecarConfig{}, ""},
		{"raw_exec", &ConnectSidecarConfig{Driver: "raw_exec", Command: "/usr/local/bin/envoy"}, ""},
		{"docker args", &ConnectSidecarConfig{Driver: "docker", Args: []string{"-c", "x"}}, ""},
		{"command without driver", &ConnectSidecarConfig{Command: "/usr/local/bin/envoy"},
			"connect: sidecar_command and sidecar_args require sidecar_driver"},
		{"args without driver", &ConnectSidecarConfig{Args: []string{}},
			"connect: sidecar_command and sidecar_args require sidecar_driver"},
		{"raw_exec without command", &ConnectSidecarConfig{Driver: "raw_exec"},
			`connect: sidecar_driver "raw_exec" requires sidecar_command`},
		{"docker with command", &ConnectSidecarConfig{Driver: "docker", Command: "envoy"},
			`connect: sidecar_command cannot be used with sidecar_driver "docker": set the image with the client meta "connect.sidecar_image"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				must.NoError(t, err)
				return
			}
			must.EqError(t, err, tc.want)
		})
	}
}

func TestNewServer_RefusesInvalidConnectSidecar(t *testing.T) {
	_, err := NewServer(&Config{Logger: testLogger(t), ConnectSidecar: &ConnectSidecarConfig{Driver: "exec"}})
	must.EqError(t, err, `invalid server config: connect: sidecar_driver "exec" requires sidecar_command`)
}

// TestJobRegister_OperatorSidecarDefault registers countdash on a server whose
// operator runs Envoy with raw_exec: the stored job's sidecars use the
// operator's driver, command and (default or configured) args, and a job's own
// sidecar_task still wins over them.
func TestJobRegister_OperatorSidecarDefault(t *testing.T) {
	defaultArgs := []any{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}",
		"--concurrency", "${meta.connect.proxy_concurrency}", "--disable-hot-restart"}
	for _, tc := range []struct {
		name    string
		sidecar *ConnectSidecarConfig
		patch   func(*structs.Job)
		want    map[string]map[string]any // group -> driver config of its sidecar
		driver  map[string]string
	}{
		{
			name:    "default args",
			sidecar: &ConnectSidecarConfig{Driver: "raw_exec", Command: "/usr/local/bin/envoy"},
			want: map[string]map[string]any{
				"api":       {"command": "/usr/local/bin/envoy", "args": defaultArgs},
				"dashboard": {"command": "/usr/local/bin/envoy", "args": defaultArgs},
			},
			driver: map[string]string{"api": "raw_exec", "dashboard": "raw_exec"},
		},
		{
			name:    "configured args",
			sidecar: &ConnectSidecarConfig{Driver: "exec", Command: "envoy", Args: []string{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json"}},
			want: map[string]map[string]any{
				"api":       {"command": "envoy", "args": []any{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json"}},
				"dashboard": {"command": "envoy", "args": []any{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json"}},
			},
			driver: map[string]string{"api": "exec", "dashboard": "exec"},
		},
		{
			name:    "docker with other args",
			sidecar: &ConnectSidecarConfig{Driver: "docker", Args: []string{"-l", "debug"}},
			want: map[string]map[string]any{
				"api":       {"image": "${meta.connect.sidecar_image}", "args": []any{"-l", "debug"}},
				"dashboard": {"image": "${meta.connect.sidecar_image}", "args": []any{"-l", "debug"}},
			},
			driver: map[string]string{"api": "docker", "dashboard": "docker"},
		},
		{
			name:    "sidecar_task wins",
			sidecar: &ConnectSidecarConfig{Driver: "raw_exec", Command: "/usr/local/bin/envoy"},
			patch: func(j *structs.Job) {
				// Same driver: config keys merge over the operator's.
				j.TaskGroups[0].Services[0].Connect.SidecarTask = &structs.SidecarTask{
					Config: map[string]any{"command": "/opt/envoy"},
				}
				// Another driver: its config replaces the operator's.
				j.TaskGroups[1].Services[0].Connect.SidecarTask = &structs.SidecarTask{
					Driver: "docker", Config: map[string]any{"image": "envoyproxy/envoy:v1.29.0"},
				}
			},
			want: map[string]map[string]any{
				"api":       {"command": "/opt/envoy", "args": defaultArgs},
				"dashboard": {"image": "envoyproxy/envoy:v1.29.0"},
			},
			driver: map[string]string{"api": "raw_exec", "dashboard": "docker"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testServer(t, func(c *Config) { c.ConnectSidecar = tc.sidecar })
			job := countdashJob()
			if tc.patch != nil {
				tc.patch(job)
			}
			_, err := s.JobRegister(&JobRegisterRequest{Job: job})
			must.NoError(t, err)
			stored, err := s.State().JobByID(nil, "default", "countdash")
			must.NoError(t, err)
			for group, want := range tc.want {
				tg := stored.LookupTaskGroup(group)
				service := tg.Services[0].Name
				task := tg.LookupTask("connect-proxy-" + service)
				must.NotNil(t, task, must.Sprintf("no sidecar in group %q", group))
				must.Eq(t, tc.driver[group], task.Driver)
				must.Eq(t, want, task.Config)
				must.Eq(t, "connect-proxy:"+service, task.Kind)
				must.Eq(t, 250, task.Resources.CPU)
			}
			// Re-submitting the stored job changes nothing.
			plan, err := s.JobPlan(&JobPlanRequest{Job: stored.Copy(), Diff: true})
			must.NoError(t, err)
			must.Eq(t, structs.DiffTypeNone, plan.Diff.Type)
		})
	}
}

func TestJobRegister_NoOperatorSidecarKeepsDocker(t *testing.T) {
	s := testServer(t, nil)
	_, err := s.JobRegister(&JobRegisterRequest{Job: countdashJob()})
	must.NoError(t, err)
	stored, err := s.State().JobByID(nil, "default", "countdash")
	must.NoError(t, err)
	assertDefaultSidecar(t, stored.LookupTaskGroup("api"), "count-api")
	assertDefaultSidecar(t, stored.LookupTaskGroup("dashboard"), "count-dashboard")
}
