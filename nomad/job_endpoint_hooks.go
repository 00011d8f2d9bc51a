package nomad

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/netnomad/netnomad/nomad/structs"
)

// The admission chain every job passes on register, plan and validate, in this
// order:
//
//	canonicalize -> mutators -> validators
//
// Mutators may change the job (e.g. inject the Connect sidecar task) and run in
// list order, each seeing the previous one's output; canonicalize runs first so
// they see Nomad's defaults. Validators run after every mutator, so they check
// what will actually be scheduled, and ALL of them run: every error and every
// warning is reported, not just the last (Nomad 0.10.0's bug).

// jobMutator changes a job during admission.
type jobMutator interface {
	Name() string
	// Mutate returns the job to continue with (it may change job in place and
	// return it), warnings for the user, or an error that rejects the job.
	Mutate(job *structs.Job) (*structs.Job, []error, error)
}

// jobValidator checks a job during admission. It must not change the job.
type jobValidator interface {
	Name() string
	// Validate returns warnings and an error (a multierror when there are several).
	Validate(job *structs.Job) (warnings []error, err error)
}

// defaultAdmissionChain lists the hooks, configured from the server's config.
// Add a mutator or validator with one line here.
func defaultAdmissionChain(cfg *Config) ([]jobMutator, []jobValidator) {
	connect := newJobConnectHook(cfg.ConnectSidecar)
	mutators := []jobMutator{
		jobCanonicalizer{},
		// connect needs canonicalized groups; the validators must see its sidecar task.
		connect,
	}
	validators := []jobValidator{
		connect,
		jobValidate{},
	}
	return mutators, validators
}

// admissionControl runs the chain on job (which it may change) and returns the
// admitted job, every warning, and an error collecting every validation problem
// (a structs.BadRequest).
func (s *Server) admissionControl(job *structs.Job) (*structs.Job, []error, error) {
	var warnings []error
	for _, m := range s.jobMutators {
		out, w, err := m.Mutate(job)
		warnings = append(warnings, w...)
		if err != nil {
			return nil, warnings, structs.BadRequest(fmt.Errorf("error in job mutator %s: %w", m.Name(), err))
		}
		job = out
	}
	var all *multierror.Error
	for _, v := range s.jobValidators {
		w, err := v.Validate(job)
		warnings = append(warnings, w...)
		if err != nil {
			all = multierror.Append(all, flattenErrors(err)...)
		}
	}
	if err := all.ErrorOrNil(); err != nil {
		return nil, warnings, structs.BadRequest(err)
	}
	return job, warnings, nil
}

// flattenErrors unpacks multierrors and errors.Join trees so that "N errors occurred" counts every problem once.
func flattenErrors(err error) []error {
	var merr *multierror.Error
	if errors.As(err, &merr) {
		var out []error
		for _, e := range merr.Errors {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// mergeWarnings formats warnings as Nomad does ("1 warning(s):\n\n* ..."), or
// returns "" when there are none.
func mergeWarnings(warnings []error) string {
	var flat []error
	for _, w := range warnings {
		if w != nil {
			flat = append(flat, flattenErrors(w)...)
		}
	}
	if len(flat) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d warning(s):\n", len(flat))
	for _, w := range flat {
		fmt.Fprintf(&sb, "\n* %s", w)
	}
	return sb.String()
}

// jobCanonicalizer fills Nomad's defaults.
type jobCanonicalizer struct{}

func (jobCanonicalizer) Name() string { return "canonicalize" }

func (jobCanonicalizer) Mutate(job *structs.Job) (*structs.Job, []error, error) {
	job.Canonicalize()
	return job, nil, nil
}

// jobValidate runs the model's own validation and warnings.
type jobValidate struct{}

func (jobValidate) Name() string { return "validate" }

func (jobValidate) Validate(job *structs.Job) ([]error, error) {
	var warnings []error
	if w := job.Warnings(); w != nil {
		warnings = flattenErrors(w)
	}
	return warnings, job.Validate()
}
