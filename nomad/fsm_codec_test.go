package nomad

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// jsonEntry is a log entry as servers wrote them before entries were msgpack.
func jsonEntry(t *testing.T, mt MessageType, req any) []byte {
	b, err := json.Marshal(req)
	must.NoError(t, err)
	return append([]byte{byte(mt)}, b...)
}

// TestDecodeMessage_SameAsJSON: every message decodes from a msgpack entry to
// exactly what the old JSON entry decodes to, with every field set (a field
// added later is filled too), with empty maps and slices, and with the mocks'
// nil ones.
func TestDecodeMessage_SameAsJSON(t *testing.T) {
	for mt := MessageType(0); newMessage(mt) != nil; mt++ {
		for _, variant := range []struct {
			name string
			fill func(v reflect.Value)
		}{
			{"every field set", func(v reflect.Value) { fillValue(v, false, nil) }},
			{"empty maps and slices", func(v reflect.Value) { fillValue(v, true, nil) }},
			{"mocks", fillMocks},
		} {
			req := newMessage(mt)
			variant.fill(reflect.ValueOf(req).Elem())

			entry, err := encodeMessage(mt, req)
			must.NoError(t, err)
			must.Eq(t, byte(mt)|msgpackEntry, entry[0])
			gotType, fromMsgpack, err := decodeMessage(entry)
			must.NoError(t, err)
			must.Eq(t, mt, gotType)
			_, fromJSON, err := decodeMessage(jsonEntry(t, mt, req))
			must.NoError(t, err)

			must.Eq(t, fromJSON, fromMsgpack, must.Sprintf("type %d, %s", mt, variant.name))
			// Eq compares times by instant; the state store must get identical values.
			must.True(t, reflect.DeepEqual(fromJSON, fromMsgpack), must.Sprintf("type %d, %s", mt, variant.name))
		}
	}
}

// TestDecodeMessage_UnknownType: an entry of a type this server does not know
// fails in either encoding.
func TestDecodeMessage_UnknownType(t *testing.T) {
	for _, b := range [][]byte{{0x7f, '{', '}'}, {0xff, 0x80}} {
		_, _, err := decodeMessage(b)
		must.ErrorContains(t, err, "unknown message type 127")
	}
	_, _, err := decodeMessage(nil)
	must.ErrorContains(t, err, "empty log entry")
}

// TestServer_ReplaysJSONLogEntries: a raft log written before the msgpack
// encoding (JSON entries) still applies after an upgrade, beside new entries.
func TestServer_ReplaysJSONLogEntries(t *testing.T) {
	dir := t.TempDir()
	start := func() *Server {
		s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1, DataDir: dir})
		must.NoError(t, err)
		t.Cleanup(s.Shutdown)
		return s
	}
	s := start()
	newJob := mock.Job()
	newJob.ID, newJob.Name = "new-entry", "new-entry"
	_, err := s.JobRegister(&JobRegisterRequest{Job: newJob})
	must.NoError(t, err)
	s.Shutdown()

	// Append an old-format entry to the log, as an older server would have.
	store, err := raftboltdb.NewBoltStore(filepath.Join(raftDir(dir), "raft.db"))
	must.NoError(t, err)
	last, err := store.LastIndex()
	must.NoError(t, err)
	var prev raft.Log
	must.NoError(t, store.GetLog(last, &prev))
	oldJob := mock.Job()
	oldJob.ID, oldJob.Name = "old-entry", "old-entry"
	must.NoError(t, store.StoreLog(&raft.Log{Index: last + 1, Term: prev.Term, Type: raft.LogCommand,
		Data: jsonEntry(t, JobRegisterRequestType, &JobRegisterApply{Job: oldJob})}))
	must.NoError(t, store.Close())

	s2 := start()
	waitFor(t, func() error {
		for _, id := range []string{"new-entry", "old-entry"} {
			job, err := s2.State().JobByID(nil, "default", id)
			if err != nil {
				return err
			}
			if job == nil {
				return fmt.Errorf("job %q not restored yet", id)
			}
		}
		return nil
	})
	job, err := s2.State().JobByID(nil, "default", "old-entry")
	must.NoError(t, err)
	must.Eq(t, oldJob.TaskGroups[0].Tasks[0].Config, job.TaskGroups[0].Tasks[0].Config)
}

// fillMocks sets the message's objects to the mocks, which leave many maps and
// slices nil.
func fillMocks(v reflect.Value) {
	mocks := map[reflect.Type]func() reflect.Value{
		reflect.TypeOf(&structs.Job{}):        func() reflect.Value { return reflect.ValueOf(mock.ConnectJob()) },
		reflect.TypeOf(&structs.Evaluation{}): func() reflect.Value { return reflect.ValueOf(mock.Eval()) },
		reflect.TypeOf(&structs.Allocation{}): func() reflect.Value { return reflect.ValueOf(mock.Alloc()) },
		reflect.TypeOf(&structs.Node{}):       func() reflect.Value { return reflect.ValueOf(mock.Node()) },
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if m, ok := mocks[f.Type()]; ok {
			f.Set(m())
		} else if f.Kind() == reflect.Slice {
			if m, ok := mocks[f.Type().Elem()]; ok {
				f.Set(reflect.Append(reflect.MakeSlice(f.Type(), 0, 2), m(), m()))
			}
		}
	}
}

// configValue is what a map[string]any holds after the HTTP API's JSON.
func configValue() map[string]any {
	return map[string]any{
		"image": "redis:7", "port": 6379.0, "ratio": 0.25, "privileged": true, "none": nil,
		"args":   []any{"-c", 2.0, false},
		"labels": map[string]any{"team": "edge", "nested": []any{map[string]any{"k": "v"}}},
	}
}

// fillValue sets every exported field reachable from v to a non-zero value
// (with empty, every map and slice to an empty one), one element per map and
// slice. A type already being filled higher up is left zero, so that
// Allocation.Job and the like do not recurse forever.
func fillValue(v reflect.Value, empty bool, filling []reflect.Type) {
	for _, t := range filling {
		if t == v.Type() && v.Kind() == reflect.Struct {
			return
		}
	}
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Now()))
		return
	case time.Duration:
		v.SetInt(int64(90 * time.Second))
		return
	case map[string]any:
		if empty {
			v.Set(reflect.ValueOf(map[string]any{}))
		} else {
			v.Set(reflect.ValueOf(configValue()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("some-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem(), empty, filling)
		v.Set(p)
	case reflect.Struct:
		filling = append(filling, v.Type())
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i), empty, filling)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 0, 1)
		if !empty {
			e := reflect.New(v.Type().Elem()).Elem()
			fillValue(e, empty, filling)
			s = reflect.Append(s, e)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		if !empty {
			k := reflect.New(v.Type().Key()).Elem()
			fillValue(k, empty, filling)
			e := reflect.New(v.Type().Elem()).Elem()
			fillValue(e, empty, filling)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fillValue: no filler for " + v.Type().String())
	}
}
