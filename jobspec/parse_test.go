package jobspec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata")

// TestParse_Golden parses each fixture and compares the api.Job, as JSON, with its golden file.
func TestParse_Golden(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		argVars []string
	}{
		{name: "0.9 task network", file: "v09-legacy.nomad.hcl"},
		{name: "0.10 bridge and connect", file: "v010-bridge.nomad.hcl"},
		{name: "countdash", file: "countdash.nomad.hcl"},
		{name: "interpolations", file: "interpolations.nomad.hcl"},
		{name: "reschedule and restart", file: "reschedule.nomad.hcl"},
		{name: "variables defaults", file: "variables.nomad.hcl"},
		{name: "variables from args", file: "variables.nomad.hcl", argVars: []string{"region=eu", "count=3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			job, err := ParseFile(path, false, tc.argVars)
			must.NoError(t, err)
			got, err := json.MarshalIndent(job, "", "  ")
			must.NoError(t, err)

			golden := filepath.Join("testdata", strings.TrimSuffix(tc.file, ".nomad.hcl")+".json")
			if len(tc.argVars) > 0 {
				golden = strings.TrimSuffix(golden, ".json") + "-args.json"
			}
			if *update {
				must.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			must.NoError(t, err)
			must.Eq(t, strings.TrimSpace(string(want)), string(got))
		})
	}
}

// TestParse_RescheduleBothSyntaxes checks that the reschedule blocks parse the
// same with the HCL1 parser.
func TestParse_RescheduleBothSyntaxes(t *testing.T) {
	hcl2, err := ParseFile("testdata/reschedule.nomad.hcl", false, nil)
	must.NoError(t, err)
	hcl1, err := ParseFile("testdata/reschedule.nomad.hcl", true, nil)
	must.NoError(t, err)
	must.Eq(t, hcl2, hcl1)
	must.Eq(t, "fibonacci", *hcl1.Reschedule.DelayFunction)
	must.Eq(t, 3, *hcl1.TaskGroups[0].ReschedulePolicy.Attempts)
	must.Nil(t, hcl1.TaskGroups[1].ReschedulePolicy)
}

func parseString(t *testing.T, src string, hcl1 bool) (*api.Job, error) {
	t.Helper()
	return Parse(&Config{Path: "job.nomad.hcl", Body: []byte(src), HCL1: hcl1})
}

// TestParse_Ports checks Nomad's placement: static ports are reserved, others dynamic.
func TestParse_Ports(t *testing.T) {
	for _, hcl1 := range []bool{false, true} {
		job, err := ParseFile("testdata/v010-bridge.nomad.hcl", hcl1, nil)
		must.NoError(t, err)
		n := job.TaskGroups[0].Networks[0]
		must.Eq(t, "bridge", n.Mode)
		must.Eq(t, []api.Port{{Label: "http", Value: 8080, To: 9090}}, n.ReservedPorts)
		must.Eq(t, []api.Port{{Label: "metrics", To: 9102}, {Label: "grpc"}}, n.DynamicPorts)

		job, err = ParseFile("testdata/v09-legacy.nomad.hcl", hcl1, nil)
		must.NoError(t, err)
		tn := job.TaskGroups[0].Tasks[0].Resources.Networks[0]
		must.Eq(t, []api.Port{{Label: "admin", Value: 8080}}, tn.ReservedPorts)
		must.Eq(t, []api.Port{{Label: "db"}}, tn.DynamicPorts)
	}
}

// TestParse_JobIdentity checks that ID and Name default to the job's label.
func TestParse_JobIdentity(t *testing.T) {
	job, err := parseString(t, `job "example" {}`, false)
	must.NoError(t, err)
	must.Eq(t, "example", *job.ID)
	must.Eq(t, "example", *job.Name)

	job, err = parseString(t, `job "example" { name = "pretty" }`, false)
	must.NoError(t, err)
	must.Eq(t, "example", *job.ID)
	must.Eq(t, "pretty", *job.Name)
}

// TestParse_UnknownVariables mirrors Nomad's jobspec2 test: var references resolve,
// unknown roots stay literal.
func TestParse_UnknownVariables(t *testing.T) {
	src := `
variables {
  region_var = "default"
}
job "example" {
  datacenters = [for s in ["dc1", "dc2"] : upper(s)]
  region      = var.region_var
  meta {
    known_var   = "${var.region_var}"
    unknown_var = "${UNKNOWN}"
  }
}
`
	job, err := Parse(&Config{Path: "input.hcl", Body: []byte(src), ArgVars: []string{"region_var=aug"}})
	must.NoError(t, err)
	must.Eq(t, []string{"DC1", "DC2"}, job.Datacenters)
	must.Eq(t, "aug", *job.Region)
	must.Eq(t, map[string]string{"known_var": "aug", "unknown_var": "${UNKNOWN}"}, job.Meta)
}

// TestParse_Errors checks the exact messages for bad files.
func TestParse_Errors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		hcl1 bool
		want []string
	}{
		{
			name: "unknown key",
			src: `job "x" {
  group "g" {
    foo = 1
  }
}`,
			want: []string{`job.nomad.hcl:3,5-8: Unsupported argument; An argument named "foo" is not expected here.`},
		},
		{
			name: "several errors at once",
			src: `job "x" {
  bogus = true
  group "g" {
    count = "many"
    task "t" {
      driver = "docker"
      resources {
        cpu = 100
        gpu = 1
      }
      wat {}
    }
  }
}`,
			want: []string{
				`job.nomad.hcl:2,3-8: Unsupported argument; An argument named "bogus" is not expected here.`,
				`job.nomad.hcl:4,13-19: Incorrect attribute value type; Inappropriate value for attribute "count": a whole number is required.`,
				`job.nomad.hcl:9,9-12: Unsupported argument; An argument named "gpu" is not expected here.`,
				`job.nomad.hcl:11,7-10: Unsupported block type; Blocks of type "wat" are not expected here.`,
			},
		},
		{
			name: "port label collision",
			src: `job "x" {
  group "g" {
    network {
      port "http" {}
      port "HTTP" { static = 80 }
    }
  }
}`,
			want: []string{`job.nomad.hcl:5,7-18: Port label collision; found a port label collision: HTTP`},
		},
		{
			name: "bad duration",
			src: `job "x" {
  group "g" {
    task "t" {
      kill_timeout = "10 seconds"
    }
  }
}`,
			want: []string{`job.nomad.hcl:4,22-34: Unsuitable value type; Unsuitable duration value for "kill_timeout": time: unknown unit " seconds" in duration "10 seconds"`},
		},
		{
			name: "hcl1 unknown key",
			hcl1: true,
			src: `job "x" {
  group "g" {
    network {
      mode = "bridge"
      speed = 10
    }
  }
}`,
			want: []string{`job.nomad.hcl:5,7-12: network -> invalid key: speed`},
		},
		{
			name: "hcl1 port label collision",
			hcl1: true,
			src: `job "x" {
  group "g" {
    task "t" {
      resources {
        network {
          port "db" {}
          port "db" { static = 5432 }
        }
      }
    }
  }
}`,
			want: []string{`job.nomad.hcl:7,11-15: Port label collision; found a port label collision: db`},
		},
		{
			name: "meta as attribute and block",
			src: `job "x" {
  meta = { a = "1" }
  meta {
    b = "2"
  }
}`,
			want: []string{`job.nomad.hcl:3,3-7: Duplicate meta block; Only one meta block is allowed. Another was defined at job.nomad.hcl:2,3-7.`},
		},
		{
			name: "hcl1 syntax error",
			hcl1: true,
			src: `job "x" {
  group "g" {
    count = = 1
  }
}`,
			want: []string{`job.nomad.hcl:3,13-14: Failed to parse HCL1 job file; Unknown token: 3:13 ASSIGN =`},
		},
		{
			name: "missing job",
			src:  `variable "x" { default = 1 }`,
			want: []string{`job.nomad.hcl:1,1-29: Missing job block; A job block is required.`},
		},
		{
			name: "unset variable",
			src: `variable "x" {}
job "j" { region = var.x }`,
			want: []string{`job.nomad.hcl:1,1-13: Unset variable "x"; A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables for details.`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, err := parseString(t, tc.src, tc.hcl1)
			must.Nil(t, job)
			must.Error(t, err)
			var perr *Error
			must.True(t, errors.As(err, &perr))
			must.Eq(t, strings.Join(tc.want, "\n"), err.Error())
		})
	}
}

// TestParse_HCL1Equivalence: the 0.9 file is valid in both syntaxes and gives the same job.
func TestParse_HCL1Equivalence(t *testing.T) {
	for _, f := range []string{"v09-legacy.nomad.hcl", "v010-bridge.nomad.hcl", "countdash.nomad.hcl"} {
		t.Run(f, func(t *testing.T) {
			j2, err := ParseFile(filepath.Join("testdata", f), false, nil)
			must.NoError(t, err)
			j1, err := ParseFile(filepath.Join("testdata", f), true, nil)
			must.NoError(t, err)
			must.Eq(t, j2, j1)
		})
	}
}

// TestParse_HCL1Only: a file with HCL1 habits fails with HCL2 and parses with HCL1.
func TestParse_HCL1Only(t *testing.T) {
	path := filepath.Join("testdata", "hcl1-only.nomad")
	_, err := ParseFile(path, false, nil)
	must.ErrorContains(t, err, "Unexpected comma after argument")

	job, err := ParseFile(path, true, nil)
	must.NoError(t, err)
	must.Eq(t, map[string]string{"team": "infra", "tier.level": "1"}, job.Meta)
	tg := job.TaskGroups[0]
	must.Eq(t, 2, *tg.Count)
	must.Eq(t, map[string]string{"FOO": "bar"}, tg.Tasks[0].Env)
	must.Eq(t, []api.Port{{Label: "http", Value: 8080}}, tg.Tasks[0].Resources.Networks[0].ReservedPorts)
	must.Eq(t, map[string]any{
		"image":    "nginx",
		"port_map": []map[string]any{{"http": 80}},
	}, tg.Tasks[0].Config)
}

// TestParse_ConstraintShorthands checks each shorthand maps to Nomad's operator.
func TestParse_ConstraintShorthands(t *testing.T) {
	job, err := ParseFile("testdata/interpolations.nomad.hcl", false, nil)
	must.NoError(t, err)
	must.Eq(t, []*api.Constraint{
		{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="},
		{Operand: "distinct_hosts"},
		{LTarget: "${attr.kernel.version}", RTarget: ">= 4.0", Operand: "version"},
		{LTarget: "${attr.os.name}", RTarget: "^(ubuntu|debian)$", Operand: "regexp"},
		{LTarget: "${attr.driver.docker.version}", RTarget: ">= 19.3.0", Operand: "semver"},
		{LTarget: "${meta.tags}", RTarget: "ssd,fast", Operand: "set_contains"},
		{LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property"},
	}, job.Constraints)
}

// TestParseFile_Missing: a missing file is a wrapped fs error, not a parse error.
func TestParseFile_Missing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "nope.nomad.hcl"), false, nil)
	must.ErrorIs(t, err, os.ErrNotExist)
}
