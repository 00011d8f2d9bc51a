package jobspec

import (
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

	f.Fuzz(func(t *testing.T, body []byte, hcl1 bool) {
		job, err := parse(&Config{Path: "fuzz.nomad.hcl", Body: body, HCL1: hcl1})
		if (job == nil) == (err == nil) {
			t.Fatalf("want exactly one of job and error, got job=%v err=%v", job, err)
		}
	})
}
