package command

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// TestJobRun_ParsesJobFile submits a real job file through the jobspec parser and
// checks what reached the API.
func TestJobRun_ParsesJobFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "countdash.nomad.hcl")
	must.NoError(t, os.WriteFile(path, []byte(`
variable "dc" {
  type    = string
  default = "dc9"
}

job "countdash" {
  datacenters = [var.dc]

  group "api" {
    network {
      mode = "bridge"
      port "http" {
        to = 9001
      }
    }

    task "web" {
      driver = "docker"
      config {
        image = "hashicorpnomad/counter-api:v1"
      }
    }
  }
}
`), 0o644))

	f := newFakeAgent(t)
	f.handle("PUT /v1/jobs", func(*http.Request) any { return api.JobRegisterResponse{EvalID: evalID} })
	meta, ui := testMeta(testNow)
	cmd := &JobRunCommand{Meta: meta}
	must.Eq(t, 0, cmd.Run([]string{f.addr(), "-detach", "-var", "dc=dc1", path}))
	must.Eq(t, "", ui.ErrorWriter.String())

	var req api.JobRegisterRequest
	must.NoError(t, json.Unmarshal(f.body("PUT /v1/jobs"), &req))
	must.Eq(t, "countdash", *req.Job.ID)
	must.Eq(t, []string{"dc1"}, req.Job.Datacenters)
	must.Len(t, 1, req.Job.TaskGroups)
	must.Eq(t, "bridge", req.Job.TaskGroups[0].Networks[0].Mode)
	must.Eq(t, 9001, req.Job.TaskGroups[0].Networks[0].DynamicPorts[0].To)
}

func TestJobRun_BadJobFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.nomad.hcl")
	must.NoError(t, os.WriteFile(path, []byte("job \"x\" {\n  group \"g\" {\n    count = \n  }\n}\n"), 0o644))
	meta, ui := testMeta(testNow)
	must.Eq(t, 1, (&JobRunCommand{Meta: meta}).Run([]string{"-address=http://127.0.0.1:1", path}))
	must.StrHasPrefix(t, "Error getting job struct: ", ui.ErrorWriter.String())
	must.StrContains(t, ui.ErrorWriter.String(), "bad.nomad.hcl:")
}
