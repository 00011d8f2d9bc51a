package scheduler

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a parsed version such as "1.2.3-beta.1+build": numeric segments
// (padded to three), an optional pre-release and ignored build metadata. It
// implements the subset of hashicorp/go-version the "version" and "semver"
// constraint operands need.
type version struct {
	segments []int64
	// specified is how many segments were written (for "~>").
	specified  int
	prerelease string
}

// parseVersion parses "v1.2", "1.2.3", "1.2.3-rc1", "1.2.3beta", "1.2.3+meta".
func parseVersion(s string) (*version, error) {
	raw := strings.TrimSpace(s)
	s = strings.TrimPrefix(raw, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	// Numeric part: digits and dots up to the first other character.
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	num, pre := strings.TrimSuffix(s[:end], "."), s[end:]
	if end > 0 && s[end-1] == '.' && pre != "" {
		return nil, fmt.Errorf("malformed version %q", raw)
	}
	pre = strings.TrimPrefix(pre, "-")
	if num == "" {
		return nil, fmt.Errorf("malformed version %q", raw)
	}
	v := &version{prerelease: pre}
	for part := range strings.SplitSeq(num, ".") {
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed version %q: %w", raw, err)
		}
		v.segments = append(v.segments, n)
	}
	v.specified = len(v.segments)
	for len(v.segments) < 3 {
		v.segments = append(v.segments, 0)
	}
	return v, nil
}

// compare returns -1, 0 or 1. Pre-releases sort before their release and are
// compared by semver 2.0 precedence.
func (v *version) compare(o *version) int {
	n := max(len(v.segments), len(o.segments))
	for i := range n {
		a, b := segmentAt(v.segments, i), segmentAt(o.segments, i)
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.prerelease == o.prerelease:
		return 0
	case v.prerelease == "":
		return 1
	case o.prerelease == "":
		return -1
	}
	return comparePrerelease(v.prerelease, o.prerelease)
}

func segmentAt(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func comparePrerelease(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		an, aErr := strconv.ParseInt(as[i], 10, 64)
		bn, bErr := strconv.ParseInt(bs[i], 10, 64)
		switch {
		case aErr == nil && bErr == nil:
			if an < bn {
				return -1
			}
			return 1
		case aErr == nil:
			return -1
		case bErr == nil:
			return 1
		}
		return strings.Compare(as[i], bs[i])
	}
	return compareOrdered(int64(len(as)), int64(len(bs)))
}

// versionConstraint is one "<op> <version>" term.
type versionConstraint struct {
	op     string
	target *version
	// strictPre applies go-version's pre-release rule (operand "version"): a
	// pre-release only satisfies an ordering constraint naming a pre-release of
	// the same base version. The "semver" operand orders pre-releases normally.
	strictPre bool
}

// versionConstraints is a comma-separated conjunction such as ">= 1.2, < 2.0".
type versionConstraints []versionConstraint

// parseVersionConstraints parses the right-hand side of a "version" or "semver"
// constraint. Operators: = (or none), !=, >, <, >=, <=, ~>.
func parseVersionConstraints(s string, semver bool) (versionConstraints, error) {
	var out versionConstraints
	for term := range strings.SplitSeq(s, ",") {
		term = strings.TrimSpace(term)
		op := ""
		for _, cand := range []string{">=", "<=", "!=", "~>", ">", "<", "="} {
			if rest, ok := strings.CutPrefix(term, cand); ok {
				op, term = cand, strings.TrimSpace(rest)
				break
			}
		}
		if op == "" {
			op = "="
		}
		v, err := parseVersion(term)
		if err != nil {
			return nil, fmt.Errorf("malformed constraint %q: %w", s, err)
		}
		out = append(out, versionConstraint{op: op, target: v, strictPre: !semver})
	}
	return out, nil
}

func (cs versionConstraints) check(v *version) bool {
	for _, c := range cs {
		if !c.check(v) {
			return false
		}
	}
	return true
}

func (c versionConstraint) check(v *version) bool {
	cmp := v.compare(c.target)
	switch c.op {
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	}
	if c.strictPre && !c.prereleaseOK(v) {
		return false
	}
	switch c.op {
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case "~>":
		if cmp < 0 {
			return false
		}
		// Every written segment but the last must match: "~> 1.2.3" is
		// ">= 1.2.3, < 1.3", "~> 1.2" is ">= 1.2, < 2".
		for i := 0; i < c.target.specified-1; i++ {
			if segmentAt(v.segments, i) != c.target.segments[i] {
				return false
			}
		}
		return true
	}
	return false
}

func (c versionConstraint) prereleaseOK(v *version) bool {
	vPre, cPre := v.prerelease != "", c.target.prerelease != ""
	switch {
	case vPre && cPre:
		for i := range 3 {
			if segmentAt(v.segments, i) != segmentAt(c.target.segments, i) {
				return false
			}
		}
		return true
	case vPre:
		return false
	case cPre && c.op == "~>":
		return false
	}
	return true
}
