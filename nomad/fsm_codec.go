package nomad

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// A raft log entry is one type byte, then the request. Entries are written as
// msgpack, marked by msgpackEntry in the type byte: decoding the plan results
// of a large job as JSON was the leader's biggest cost. Entries without the
// mark are JSON, as every entry was before; they are still read, from the log
// and from a log replayed after an upgrade. Snapshots stay JSON.
const msgpackEntry byte = 0x80

// msgpackHandle decodes what encoding/json would give the state store: strings
// as strings (not []byte) and nested objects in map[string]any values (a
// task's config) as map[string]any. Numbers in those maps keep their Go type:
// from the HTTP API they are float64, as JSON makes them. Safe for concurrent
// use once set up.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{WriteExt: true}
	h.RawToString = true
	h.MapType = reflect.TypeOf(map[string]any(nil))
	return h
}()

// encodeMessage is the raft log entry of a message.
func encodeMessage(t MessageType, req any) ([]byte, error) {
	var body []byte // the encoder writes from the start of its buffer
	if err := codec.NewEncoderBytes(&body, msgpackHandle).Encode(req); err != nil {
		return nil, fmt.Errorf("failed to encode message type %d: %w", t, err)
	}
	return append([]byte{byte(t) | msgpackEntry}, body...), nil
}

// decodeMessage reverses encodeMessage, and reads JSON entries too.
func decodeMessage(data []byte) (MessageType, any, error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("empty log entry")
	}
	t := MessageType(data[0] &^ msgpackEntry)
	req := newMessage(t)
	if req == nil {
		return t, nil, fmt.Errorf("unknown message type %d", t)
	}
	var err error
	if data[0]&msgpackEntry != 0 {
		err = codec.NewDecoderBytes(data[1:], msgpackHandle).Decode(req)
	} else {
		err = json.Unmarshal(data[1:], req)
	}
	if err != nil {
		return t, nil, fmt.Errorf("failed to decode message type %d: %w", t, err)
	}
	return t, req, nil
}

// newMessage returns an empty request of type t, nil for an unknown type.
func newMessage(t MessageType) any {
	switch t {
	case JobRegisterRequestType:
		return &JobRegisterApply{}
	case JobDeregisterRequestType:
		return &JobDeregisterApply{}
	case EvalUpdateRequestType:
		return &EvalUpdateApply{}
	case AllocUpdateRequestType:
		return &AllocUpdateApply{}
	case AllocClientUpdateRequestType:
		return &AllocClientUpdateApply{}
	case ApplyPlanResultsRequestType:
		return &ApplyPlanResultsApply{}
	case NodeRegisterRequestType:
		return &NodeRegisterApply{}
	case NodeUpdateStatusRequestType:
		return &NodeUpdateStatusApply{}
	}
	return nil
}
