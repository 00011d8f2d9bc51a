package command

import (
	"strings"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/jobspec"
)

// JobParser turns a job file into an api.Job. vars are the -var "k=v" values.
type JobParser func(path string, hcl1 bool, vars []string) (*api.Job, error)

// JobGetter holds the job-file flags shared by run, plan and validate.
type JobGetter struct {
	// Parser overrides the jobspec parser; tests use it. nil means jobspec.
	Parser JobParser

	hcl1 bool
	vars flagStringSlice
}

// Get parses the job file at path.
func (j *JobGetter) Get(path string) (*api.Job, error) {
	parse := j.Parser
	if parse == nil {
		parse = parseJobFile
	}
	return parse(path, j.hcl1, j.vars)
}

// parseJobFile parses a job file with the jobspec package.
func parseJobFile(path string, hcl1 bool, vars []string) (*api.Job, error) {
	return jobspec.ParseFile(path, hcl1, vars)
}

// flagStringSlice is a repeatable string flag (-var a=1 -var b=2).
type flagStringSlice []string

func (s *flagStringSlice) String() string { return strings.Join(*s, ",") }

func (s *flagStringSlice) Set(v string) error {
	*s = append(*s, v)
	return nil
}
