package nomad

import (
	"fmt"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestServer_ReschedulesFailedAllocAfterDelay runs the real scheduler: a failed
// allocation gets a follow-up eval held by the broker until its WaitUntil, then
// a replacement that carries its reschedule history.
func TestServer_ReschedulesFailedAllocAfterDelay(t *testing.T) {
	s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1})
	must.NoError(t, err)
	t.Cleanup(s.Shutdown)
	_, err = s.NodeRegister(mock.Node())
	must.NoError(t, err)
	job := simpleJob("web")
	job.TaskGroups[0].Count = 1
	job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{
		Attempts: 1, Interval: time.Hour, Delay: structs.ReschedulePolicyMinDelay, DelayFunction: structs.RescheduleDelayConstant,
	}
	_, err = s.JobRegister(&JobRegisterRequest{Job: job})
	must.NoError(t, err)
	alloc := waitAllocCount(t, s, "web", 1)[0]

	failedAt := time.Now()
	_, err = s.NodeUpdateAllocs([]*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusFailed}})
	must.NoError(t, err)

	var followup *structs.Evaluation
	waitFor(t, func() error {
		failed, err := s.State().AllocByID(nil, alloc.ID)
		if err != nil {
			return err
		}
		if failed.FollowupEvalID == "" {
			return fmt.Errorf("no follow-up eval on the failed alloc yet")
		}
		followup, err = s.State().EvalByID(nil, failed.FollowupEvalID)
		return err
	})
	must.Eq(t, structs.EvalTriggerRetryFailedAlloc, followup.TriggeredBy)
	must.True(t, followup.WaitUntil.After(failedAt), must.Sprint("WaitUntil is after the failure"))

	// The delay (5s, the minimum) is as long as waitFor's deadline: wait longer.
	var replacement *structs.Allocation
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		failed, err := s.State().AllocByID(nil, alloc.ID)
		if err != nil || failed.NextAllocation == "" {
			return fmt.Errorf("not replaced yet (err: %v)", err)
		}
		replacement, err = s.State().AllocByID(nil, failed.NextAllocation)
		return err
	}), wait.Timeout(15*time.Second), wait.Gap(50*time.Millisecond)))
	must.False(t, time.Now().Before(followup.WaitUntil), must.Sprint("replaced before the follow-up's WaitUntil"))
	must.Eq(t, alloc.ID, replacement.PreviousAllocation)
	must.Eq(t, alloc.Name, replacement.Name)
	must.Len(t, 1, replacement.RescheduleTracker.Events)
	must.Eq(t, structs.AllocDesiredStatusRun, replacement.DesiredStatus)
	done, _ := s.State().EvalByID(nil, followup.ID)
	must.Eq(t, structs.EvalStatusComplete, done.Status)
}
