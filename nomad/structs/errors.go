package structs

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by lookups of objects that do not exist (HTTP 404).
var ErrNotFound = errors.New("not found")

// CodedError carries the HTTP status an error should be reported with. The HTTP
// layer maps errors to status codes in one place by looking for it with errors.As.
type CodedError struct {
	Code int
	Err  error
}

func (e *CodedError) Error() string { return e.Err.Error() }
func (e *CodedError) Unwrap() error { return e.Err }

// NewCodedError returns an error reported to users with the given HTTP status.
func NewCodedError(code int, format string, args ...any) error {
	return &CodedError{Code: code, Err: fmt.Errorf(format, args...)}
}

// BadRequest wraps err as a 400 (invalid input, e.g. job validation).
func BadRequest(err error) error {
	if err == nil {
		return nil
	}
	return &CodedError{Code: 400, Err: err}
}
