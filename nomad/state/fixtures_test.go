package state

import (
	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

func testJob(id string) *structs.Job {
	j := &structs.Job{
		ID:   id,
		Name: id,
		TaskGroups: []*structs.TaskGroup{{
			Name:  "web",
			Count: 1,
			Tasks: []*structs.Task{{Name: "web", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep"}}},
		}},
	}
	j.Canonicalize()
	return j
}

func testAlloc(job *structs.Job, nodeID string) *structs.Allocation {
	return &structs.Allocation{
		ID:            uuid.NewString(),
		Namespace:     job.Namespace,
		EvalID:        uuid.NewString(),
		Name:          job.ID + ".web[0]",
		NodeID:        nodeID,
		JobID:         job.ID,
		Job:           job,
		TaskGroup:     "web",
		DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus:  structs.AllocClientStatusPending,
	}
}

func testEval(job *structs.Job, status string) *structs.Evaluation {
	return &structs.Evaluation{
		ID:          uuid.NewString(),
		Namespace:   job.Namespace,
		Priority:    job.Priority,
		Type:        job.Type,
		TriggeredBy: structs.EvalTriggerJobRegister,
		JobID:       job.ID,
		Status:      status,
	}
}
