package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// TestParse_Bounded feeds inputs whose naive handling takes minutes or gigabytes (writing
// 1e-999999 out in decimal, a format width of 10^8) and asserts that Parse rejects each
// within a short bound.
func TestParse_Bounded(t *testing.T) {
	cases := []struct {
		name string
		src  string
		hcl1 bool
		want string
	}{
		{name: "tiny number hcl2 (fuzz)", src: `job "x" { meta = { a = 1e-999999 } }`, want: "number is out of range"},
		{name: "tiny number hcl1 (fuzz)", src: `job "x" { meta = { a = 1e-999999 } }`, hcl1: true, want: "number is out of range"},
		{name: "huge number in template", src: `job "x" { meta = { a = "a${1e999999}" } }`, want: "number is out of range"},
		{name: "tiny quotient", src: `job "x" { meta = { a = "a${1e-300 / 1e300}" } }`, want: "number is out of range"},
		{name: "huge product", src: `job "x" { meta = { a = "${1e300 * 1e300}" } }`, want: "number is out of range"},
		{name: "tiny numeric string", src: `job "x" { meta = { a = "${"1e-99999" * 1}" } }`, want: "number is out of range"},
		{name: "format of tiny string", src: `job "x" { meta = { a = format("%f", "1e-999999") } }`, want: "number is out of range"},
		{name: "jsondecode of tiny", src: `job "x" { meta = { a = "${jsondecode("1e-99999")}" } }`, want: "number is out of range"},
		{name: "format width", src: `job "x" { meta = { a = format("%99999999s", "x") } }`, want: "width or precision"},
		{name: "format precision", src: `job "x" { meta = { a = format("%.99999999f", 1) } }`, want: "width or precision"},
		{name: "indent", src: `job "x" { meta = { a = indent(99999999, "x\ny") } }`, want: "larger than"},
		{name: "replace", src: "locals {\n a = \"" + strings.Repeat("x", 2000) + "\"\n b = replace(local.a, \"\", local.a)\n}\njob \"x\" { meta = { a = local.b } }", want: "larger than"},
		{name: "long digit string", src: `job "x" { meta = { a = ` + strings.Repeat("7", 5000) + ` } }`, want: "at most 1000 characters"},
		{name: "file too large", src: `job "x" { meta = { a = "` + strings.Repeat("x", maxSourceBytes) + `" } }`, want: "Job file too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Parse(&Config{Path: "job.nomad.hcl", Body: []byte(tc.src), HCL1: tc.hcl1})
				done <- err
			}()
			select {
			case err := <-done:
				must.ErrorContains(t, err, tc.want)
			case <-time.After(5 * time.Second):
				t.Fatal("Parse did not return within 5s")
			}
		})
	}
}

// TestParse_NumbersInRange checks that numbers at the float64 limits still parse.
func TestParse_NumbersInRange(t *testing.T) {
	job, err := parseString(t, `job "x" { meta = { a = 1.5e300, b = 5e-324, c = -1e-300, d = 0.0, e = "${2 * 3}" } }`, false)
	must.NoError(t, err)
	must.Eq(t, "6", job.Meta["e"])
	must.Eq(t, "0", job.Meta["d"])
	must.StrHasPrefix(t, "15", job.Meta["a"])
}
