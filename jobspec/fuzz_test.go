package jobspec

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse asserts that no input panics the parser and that it returns either a job or
// an error, never both or neither. Seeds are the testdata job files, in both syntaxes.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.nomad*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`job "x" { group "g" { network { port "a" {} port "A" {} } } }`), false)
	f.Add([]byte(`job "x" { meta = { a = 1e999999 } }`), false)
	f.Add([]byte(`job "x" { count = 99999999999999999999999 }`), true)

	capMinimizeTime(f)

	f.Fuzz(func(t *testing.T, body []byte, hcl1 bool) {
		job, err := parse(&Config{Path: "fuzz.nomad.hcl", Body: body, HCL1: hcl1})
		if (job == nil) == (err == nil) {
			t.Fatalf("want exactly one of job and error, got job=%v err=%v", job, err)
		}
	})
}

// capMinimizeTime lowers -test.fuzzminimizetime from its 60s default to 2s unless it was
// given. Go counts a worker's execs only when its call returns, and minimizing a new
// interesting input derived from the multi-kilobyte seeds takes thousands of
// millisecond-long execs: with the default, both workers minimize for up to a minute
// while the progress line reads "execs: N (0/sec)", which looks like a hang.
func capMinimizeTime(f *testing.F) {
	set := false
	flag.Visit(func(fl *flag.Flag) { set = set || fl.Name == "test.fuzzminimizetime" })
	if !set {
		if err := flag.Set("test.fuzzminimizetime", "2s"); err != nil {
			f.Fatal(err)
		}
	}
}
