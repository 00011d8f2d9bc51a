package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Table names. The index table holds, per table, the state index of its latest write.
const (
	TableJobs        = "jobs"
	TableJobVersions = "job_versions"
	TableEvals       = "evals"
	TableAllocs      = "allocs"
	TableNodes       = "nodes"
	TableIndex       = "index"
)

// IndexEntry is a row of the index table: the latest index written to Key's table.
type IndexEntry struct {
	Key   string
	Value uint64
}

// stateSchema returns the memdb schema. Jobs and job versions are keyed by
// namespace + ID (+ version); allocations are also indexed by node, job and eval so
// the client's and the scheduler's lookups are prefix scans.
func stateSchema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableIndex: {
			Name: TableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
		TableJobs: {
			Name: TableJobs,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: nsID("ID")},
			},
		},
		TableJobVersions: {
			Name: TableJobVersions,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Namespace"},
					&memdb.StringFieldIndex{Field: "ID"},
					&memdb.UintFieldIndex{Field: "Version"},
				}}},
			},
		},
		TableEvals: {
			Name: TableEvals,
			Indexes: map[string]*memdb.IndexSchema{
				"id":  {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				"job": {Name: "job", Indexer: nsID("JobID")},
			},
		},
		TableAllocs: {
			Name: TableAllocs,
			Indexes: map[string]*memdb.IndexSchema{
				"id":   {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				"node": {Name: "node", AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
				"job":  {Name: "job", Indexer: nsID("JobID")},
				"eval": {Name: "eval", AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "EvalID"}},
			},
		},
		TableNodes: {
			Name: TableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			},
		},
	}}
}

// nsID indexes by Namespace then the given ID field.
func nsID(field string) memdb.Indexer {
	return &memdb.CompoundIndex{Indexes: []memdb.Indexer{
		&memdb.StringFieldIndex{Field: "Namespace"},
		&memdb.StringFieldIndex{Field: field},
	}}
}

// mustSchema validates the schema once; a broken schema is a programming error.
func mustSchema() *memdb.DBSchema {
	s := stateSchema()
	if err := s.Validate(); err != nil {
		panic(fmt.Sprintf("state: invalid schema: %v", err))
	}
	return s
}
