package structs

import (
	"encoding/json"
	"fmt"
)

// deepCopy returns an independent copy of v. The state store hands out shared
// pointers, so anyone who mutates an object must copy it first. A JSON round trip is
// enough for these plain data types; task Config numbers come back as float64, which
// is also what they are after crossing the HTTP API.
func deepCopy[T any](v *T) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("structs: copy %T: %v", v, err))
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("structs: copy %T: %v", v, err))
	}
	return out
}

// Copy returns a deep copy of the job.
func (j *Job) Copy() *Job { return deepCopy(j) }

// Copy returns a deep copy of the task group.
func (tg *TaskGroup) Copy() *TaskGroup { return deepCopy(tg) }

// Copy returns a deep copy of the task.
func (t *Task) Copy() *Task { return deepCopy(t) }

// Copy returns a deep copy of the allocation.
func (a *Allocation) Copy() *Allocation { return deepCopy(a) }

// CopySkipJob returns a copy of the allocation that shares the (immutable) job.
func (a *Allocation) CopySkipJob() *Allocation {
	if a == nil {
		return nil
	}
	shallow := *a
	shallow.Job = nil
	c := deepCopy(&shallow)
	c.Job = a.Job
	return c
}

// Copy returns a deep copy of the evaluation.
func (e *Evaluation) Copy() *Evaluation { return deepCopy(e) }

// Copy returns a deep copy of the node.
func (n *Node) Copy() *Node { return deepCopy(n) }

// Copy returns a deep copy of the network.
func (n *NetworkResource) Copy() *NetworkResource { return deepCopy(n) }
