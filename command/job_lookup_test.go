package command

import (
	"net/http"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// The job commands share lookupJob: an exact ID wins among several matches, an
// ambiguous prefix lists the candidates, and a failed query names the action.
func TestLookupJob(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("GET /v1/jobs", func(r *http.Request) any {
		if r.URL.Query().Get("prefix") == "broken" {
			return errStatus{code: 500, msg: "boom"}
		}
		return []*api.JobListStub{
			{ID: "web", Type: "service", Priority: 50, Status: "running"},
			{ID: "web-canary", Type: "service", Priority: 50, Status: "pending"},
		}
	})
	meta, _ := testMeta(testNow)
	must.NoError(t, meta.FlagSet("test").Parse([]string{f.addr()}))
	client, err := meta.Client()
	must.NoError(t, err)

	match, err := lookupJob(client, "web", "Error querying job")
	must.NoError(t, err)
	must.Eq(t, "web", match.ID)

	_, err = lookupJob(client, "we", "Error querying job")
	must.EqError(t, err, "Prefix matched multiple jobs\n\n"+
		"ID          Type     Priority  Status   Submit Date\n"+
		"web         service  50        running  <none>\n"+
		"web-canary  service  50        pending  <none>")

	_, err = lookupJob(client, "broken", "Error deregistering job")
	must.ErrorContains(t, err, "Error deregistering job: Unexpected response code: 500 (boom)")
}
