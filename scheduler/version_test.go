package scheduler

import (
	"testing"

	"github.com/shoenig/test/must"
)

func TestVersionConstraints(t *testing.T) {
	cases := []struct {
		version    string
		constraint string
		semver     bool
		want       bool
	}{
		{"1.2.3", "1.2.3", false, true},
		{"1.2.3", "= 1.2.3", false, true},
		{"1.2", "= 1.2.0", false, true},
		{"v1.2.3", ">= 1.2", false, true},
		{"1.2.3", "!= 1.2.3", false, false},
		{"1.2.3", "> 1.2.3", false, false},
		{"1.10.0", "> 1.9", false, true},
		{"1.2.3", "< 1.10", false, true},
		{"1.2.3", ">= 1.0, < 2.0", false, true},
		{"2.0.0", ">= 1.0, < 2.0", false, false},
		{"1.2.9", "~> 1.2.3", false, true},
		{"1.3.0", "~> 1.2.3", false, false},
		{"1.9.0", "~> 1.2", false, true},
		{"2.0.0", "~> 1.2", false, false},
		{"1.2.3-beta", ">= 1.2.0", false, false},
		{"1.2.3-beta", ">= 1.2.3-alpha", false, true},
		{"1.2.4-beta", ">= 1.2.3-alpha", false, false},
		{"1.2.3-beta", ">= 1.2.0", true, true},
		{"1.2.3-beta", "< 1.2.3", true, true},
		{"1.2.3-alpha.10", "> 1.2.3-alpha.9", true, true},
		{"1.2.3-alpha.beta", "> 1.2.3-alpha.1", true, true},
		{"1.2.3+build5", "= 1.2.3", true, true},
		{"1.2.3rc1", "< 1.2.3", true, true},
		{"garbage", ">= 1.0", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.version+" "+tc.constraint, func(t *testing.T) {
			cs, err := parseVersionConstraints(tc.constraint, tc.semver)
			must.NoError(t, err)
			v, err := parseVersion(tc.version)
			if err != nil {
				must.False(t, tc.want)
				return
			}
			must.Eq(t, tc.want, cs.check(v))
		})
	}
}

func TestParseVersionConstraints_Malformed(t *testing.T) {
	for _, s := range []string{">= ", "~> a.b", ">= 1.2, "} {
		t.Run(s, func(t *testing.T) {
			_, err := parseVersionConstraints(s, false)
			must.Error(t, err)
		})
	}
}
