package command

import (
	"fmt"

	"github.com/hashicorp/nomad/api"
)

// lookupJob resolves a job ID or prefix to the one job it names. queryErr
// starts the message of a failed query ("Error querying job"), which each
// command words after its own action, as Nomad does.
func lookupJob(client *api.Client, jobID, queryErr string) (*api.JobListStub, error) {
	jobs, _, err := client.Jobs().PrefixList(jobID)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", queryErr, err)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("No job(s) with prefix or id %q found", jobID)
	}
	match, ok := matchJob(jobs, jobID)
	if !ok {
		return nil, fmt.Errorf("Prefix matched multiple jobs\n\n%s", createStatusListOutput(jobs))
	}
	return match, nil
}

// matchJob picks the job a prefix names: the only match, or an exact one.
func matchJob(jobs []*api.JobListStub, id string) (*api.JobListStub, bool) {
	if len(jobs) == 1 {
		return jobs[0], true
	}
	for _, j := range jobs {
		if j.ID == id {
			return j, true
		}
	}
	return nil, false
}
