// Package jobspec parses Nomad job files (HCL2, and HCL1 with -hcl1) into the wire
// type api.Job. It does not canonicalize: the server does that.
//
// Both syntaxes are read into one syntax-neutral tree and decoded by a single decoder
// driven by the `hcl:"..."` tags of the api types, so a 0.9 file parses to the same
// api.Job either way. Runtime interpolations (`${NOMAD_PORT_http}`, `${attr.kernel.name}`)
// are kept as literal text; only `var.*` and `local.*` are resolved at parse time.
package jobspec

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
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

// Error is returned by Parse for a job file with problems. Diags holds every problem
// found, each located by file:line:col; Error() prints one per line.
type Error struct {
	Diags hcl.Diagnostics
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Diags))
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Detail == "" && d.Subject != nil {
			lines = append(lines, fmt.Sprintf("%s: %s", d.Subject, d.Summary))
			continue
		}
		lines = append(lines, d.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the diagnostics to errors.As.
func (e *Error) Unwrap() error { return e.Diags }

// Parse parses a job file. It returns either a job or an error, never both; an error
// from a malformed file is an *Error listing every problem. Parse never panics.
func Parse(c *Config) (job *api.Job, err error) {
	if c == nil {
		return nil, fmt.Errorf("failed to parse job file: no config")
	}
	defer func() {
		if r := recover(); r != nil {
			job, err = nil, fmt.Errorf("failed to parse job file %q: internal error: %v", c.Path, r)
		}
	}()
	return parse(c)
}

// parse is Parse without the panic guard; the fuzz test calls it to find panics.
func parse(c *Config) (*api.Job, error) {
	var job *api.Job
	var diags hcl.Diagnostics
	if c.HCL1 {
		job, diags = parseHCL1(c)
	} else {
		job, diags = parseHCL2(c)
	}
	if diags.HasErrors() {
		return nil, &Error{Diags: diags}
	}
	if job == nil {
		return nil, fmt.Errorf("failed to parse job file %q: no job found", c.Path)
	}
	return job, nil
}

// ParseFile reads and parses the job file at path (for the CLI). hcl1 selects the legacy
// parser; argVars are -var "k=v" values.
func ParseFile(path string, hcl1 bool, argVars []string) (*api.Job, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read job file %q: %w", path, err)
	}
	return Parse(&Config{Path: path, Body: body, HCL1: hcl1, ArgVars: argVars})
}

// finishJob applies what Nomad's parsers do after decoding: ID and Name default to the
// job's label, a periodic spec is a cron spec, templates get their documented defaults.
func finishJob(job *api.Job, label string) {
	if job.ID == nil {
		id := label
		job.ID = &id
	}
	if job.Name == nil {
		name := label
		job.Name = &name
	}
	if job.Periodic != nil && job.Periodic.Spec != nil && job.Periodic.SpecType == nil {
		v := "cron"
		job.Periodic.SpecType = &v
	}
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			for _, tmpl := range t.Templates {
				defaultTemplate(tmpl)
			}
		}
	}
}

func defaultTemplate(t *api.Template) {
	if t.ChangeMode == nil {
		v := "restart"
		t.ChangeMode = &v
	}
	if t.Perms == nil {
		v := "0644"
		t.Perms = &v
	}
	if t.Splay == nil {
		v := 5 * time.Second
		t.Splay = &v
	}
	if t.ErrMissingKey == nil {
		v := false
		t.ErrMissingKey = &v
	}
}
