package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// sanitizeUUIDPrefix drops a trailing odd hex digit, which a UUID index cannot
// search, keeping a single character as is.
func sanitizeUUIDPrefix(prefix string) string {
	hyphens := strings.Count(prefix, "-")
	length := len(prefix) - hyphens
	if length == 1 {
		return prefix
	}
	return prefix[:len(prefix)-length%2]
}

// lookupAlloc resolves an allocation ID or prefix to the full allocation. The
// returned message is what the user sees; err is nil when it succeeded.
func lookupAlloc(client *api.Client, allocID string, verbose bool, length int, m *Meta) (*api.Allocation, error) {
	if len(allocID) == 1 {
		return nil, fmt.Errorf("Alloc ID must contain at least two characters.")
	}
	allocID = sanitizeUUIDPrefix(allocID)
	allocs, _, err := client.Allocations().PrefixList(allocID)
	if err != nil {
		return nil, fmt.Errorf("Error querying allocation: %v", err)
	}
	if len(allocs) == 0 {
		return nil, fmt.Errorf("No allocation(s) with prefix or id %q found", allocID)
	}
	if len(allocs) > 1 {
		return nil, fmt.Errorf("Prefix matched multiple allocations\n\n%s",
			formatAllocListStubs(allocs, verbose, length, m.now()))
	}
	alloc, _, err := client.Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		return nil, fmt.Errorf("Error querying allocation: %s", err)
	}
	return alloc, nil
}
