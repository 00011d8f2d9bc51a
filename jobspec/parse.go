// Package jobspec parses Nomad job files (HCL2, and HCL1 with -hcl1) into the wire
// type api.Job. It does not canonicalize: the server does that.
package jobspec

import (
	"errors"

	"github.com/hashicorp/nomad/api"
)

// Config says what to parse and how.
type Config struct {
	// Path names the file in error messages ("job.nomad.hcl:3:5: ...").
	Path string
	Body []byte
	// HCL1 selects the legacy parser for files with HCL1-only habits.
	HCL1 bool
	// ArgVars are -var "k=v" values; VarFiles are -var-file paths.
	ArgVars  []string
	VarFiles []string
}

// Parse parses an HCL2 job file. STUB: filled in by the jobspec work.
func Parse(c *Config) (*api.Job, error) {
	return nil, errors.New("jobspec: not implemented")
}
