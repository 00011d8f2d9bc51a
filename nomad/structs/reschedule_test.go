package structs_test

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestReschedulePolicy_Canonicalize(t *testing.T) {
	service := mock.Job()
	service.TaskGroups[0].ReschedulePolicy = nil
	service.Canonicalize()
	must.Eq(t, &structs.ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true},
		service.TaskGroups[0].ReschedulePolicy)

	batch := mock.BatchJob()
	batch.TaskGroups[0].ReschedulePolicy = nil
	batch.Canonicalize()
	must.Eq(t, &structs.ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"},
		batch.TaskGroups[0].ReschedulePolicy)

	// A job-level policy is every group's without one of its own.
	withJob := mock.Job()
	withJob.TaskGroups[0].ReschedulePolicy = nil
	withJob.Reschedule = &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: "constant"}
	withJob.Canonicalize()
	must.Eq(t, withJob.Reschedule, withJob.TaskGroups[0].ReschedulePolicy)

	system := mock.Job()
	system.Type = structs.JobTypeSystem
	system.TaskGroups[0].ReschedulePolicy = nil
	system.Canonicalize()
	must.Nil(t, system.TaskGroups[0].ReschedulePolicy)
}

func TestReschedulePolicy_Validate(t *testing.T) {
	valid := func() *structs.ReschedulePolicy {
		return &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: 5 * time.Minute}
	}
	cases := []struct {
		name   string
		mutate func(p *structs.ReschedulePolicy)
		want   []string
	}{
		{name: "valid", mutate: func(*structs.ReschedulePolicy) {}},
		{name: "disabled policy is not checked", mutate: func(p *structs.ReschedulePolicy) { *p = structs.ReschedulePolicy{Delay: time.Second} }},
		{
			name:   "unknown delay function",
			mutate: func(p *structs.ReschedulePolicy) { p.DelayFunction = "linear" },
			want:   []string{`group "web" -> reschedule: Invalid delay function "linear", must be one of ["constant" "exponential" "fibonacci"]`},
		},
		{
			name:   "attempts with unlimited",
			mutate: func(p *structs.ReschedulePolicy) { p.Unlimited = true },
			want: []string{
				`group "web" -> reschedule: Reschedule Policy with Attempts = 3, Interval = 1h0m0s, and Unlimited = true is ambiguous`,
				`group "web" -> reschedule: If Attempts >0, Unlimited cannot also be set to true`,
			},
		},
		{
			name:   "delay below the minimum, max delay below delay",
			mutate: func(p *structs.ReschedulePolicy) { p.Delay, p.MaxDelay = 2*time.Second, time.Second },
			want: []string{
				`group "web" -> reschedule: Delay cannot be less than 5s (got 2s)`,
				`group "web" -> reschedule: Max Delay cannot be less than 5s (got 1s)`,
				`group "web" -> reschedule: Max Delay cannot be less than Delay 2s (got 1s)`,
			},
		},
		{
			name:   "interval too small for the attempts",
			mutate: func(p *structs.ReschedulePolicy) { p.Interval = 2 * time.Minute },
			want: []string{
				`group "web" -> reschedule: Nomad can only make 2 attempts in 2m0s with initial delay 30s, delay function "exponential", and delay ceiling 5m0s`,
				`group "web" -> reschedule: Set the interval to at least 3m30s to accommodate 3 attempts`,
			},
		},
		{
			name: "constant delays and an interval below the minimum",
			mutate: func(p *structs.ReschedulePolicy) {
				p.DelayFunction, p.Attempts, p.Interval = "constant", 2, 10*time.Second
			},
			want: []string{
				`group "web" -> reschedule: Interval cannot be less than 15s (got 10s)`,
				`group "web" -> reschedule: Nomad can only make 0 attempts in 10s with initial delay 30s and delay function "constant"`,
				`group "web" -> reschedule: Set the interval to at least 1m0s to accommodate 2 attempts`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.Job()
			p := valid()
			tc.mutate(p)
			j.TaskGroups[0].ReschedulePolicy = p
			must.Eq(t, tc.want, problems(t, j.Validate()))
		})
	}
}

func TestReschedulePolicy_ValidateEveryGroup(t *testing.T) {
	j := mock.Job()
	second := j.TaskGroups[0].Copy()
	second.Name = "api"
	j.TaskGroups = append(j.TaskGroups, second)
	j.TaskGroups[0].ReschedulePolicy.DelayFunction = "linear"
	second.ReschedulePolicy = nil
	must.Eq(t, []string{
		`group "web" -> reschedule: Invalid delay function "linear", must be one of ["constant" "exponential" "fibonacci"]`,
		`group "api": Task Group api should have a reschedule policy`,
	}, problems(t, j.Validate()))

	sys := mock.Job()
	sys.Type = structs.JobTypeSystem
	must.Eq(t, []string{`group "web": System jobs should not have a reschedule policy`}, problems(t, sys.Validate()))
}
