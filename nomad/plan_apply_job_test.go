package nomad

import (
	"testing"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// jobAllocs are two placements of job (version 2) and an in-place update that
// still runs version 1, all on node.
func jobAllocs(node *structs.Node) (job *structs.Job, current []*structs.Allocation, older *structs.Allocation) {
	job = mock.Job()
	job.Version = 2
	oldJob := job.Copy()
	oldJob.Version = 1
	for i, port := range []int{8080, 8081, 8082} {
		a := portAlloc(node, port, 100)
		a.JobID = job.ID
		a.Job = job
		if i == 2 {
			a.Job = oldJob
			older = a
			continue
		}
		current = append(current, a)
	}
	return job, current, older
}

func TestPlanApply_AllocsGetTheirJobVersion(t *testing.T) {
	s := testServer(t, nil)
	node := mock.Node()
	_, err := s.NodeRegister(node)
	must.NoError(t, err)
	job, current, older := jobAllocs(node)
	plan := &structs.Plan{EvalID: uuid.NewString(), Job: job}
	for _, a := range append(current, older) {
		plan.AppendAlloc(a)
	}

	res, err := s.planner.apply(plan)
	must.NoError(t, err)
	must.Len(t, 3, res.NodeAllocation[node.ID])
	for _, a := range current {
		got, err := s.State().AllocByID(nil, a.ID)
		must.NoError(t, err)
		must.NotNil(t, got.Job)
		must.Eq(t, uint64(2), got.Job.Version)
		must.Eq(t, job.TaskGroups[0].Name, got.Job.TaskGroups[0].Name)
	}
	got, err := s.State().AllocByID(nil, older.ID)
	must.NoError(t, err)
	must.Eq(t, uint64(1), got.Job.Version)
	// The scheduler's plan is left as it was.
	must.True(t, current[0].Job == job)
}

// A raft log written before plan results carried the job once has it in every
// allocation; replaying it must store the same.
func TestFSM_PlanResultsWithTheJobInEveryAlloc(t *testing.T) {
	s := testServer(t, nil)
	node := mock.Node()
	_, err := s.NodeRegister(node)
	must.NoError(t, err)
	job, current, older := jobAllocs(node)
	entry, err := encodeMessage(ApplyPlanResultsRequestType,
		&ApplyPlanResultsApply{Job: job, Allocs: append(current, older)})
	must.NoError(t, err)

	typ, req, err := decodeMessage(entry)
	must.NoError(t, err)
	index, err := s.State().LatestIndex()
	must.NoError(t, err)
	must.NoError(t, s.fsm.apply(index+1, typ, req))

	for _, a := range append(current, older) {
		got, err := s.State().AllocByID(nil, a.ID)
		must.NoError(t, err)
		must.NotNil(t, got)
		must.Eq(t, a.Job.Version, got.Job.Version)
	}
}
