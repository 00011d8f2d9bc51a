// Package version holds the one place where netnomad's version is written down.
package version

import "fmt"

const (
	// Version is the Nomad release whose behaviour netnomad follows.
	Version = "0.10.0"

	// Prerelease is the pre-release marker ("dev", "beta1"); empty for a release.
	Prerelease = ""

	// VersionMetadata names this implementation; it is printed in parentheses.
	VersionMetadata = "netnomad"
)

// HumanVersion is what `nomad version` prints, e.g. "Nomad v0.10.0 (netnomad)".
func HumanVersion() string {
	return fmt.Sprintf("Nomad v%s (%s)", Version, VersionMetadata)
}
