// Package benchkit holds what the benchmark programs under e2e/bench share:
// waiting on a condition with a deadline, and cleanups run however the program
// ends (normal exit, failure or interrupt).
package benchkit

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Fatal wraps an error that stops a Poll at once.
type Fatal struct{ Err error }

func (e Fatal) Error() string { return e.Err.Error() }
func (e Fatal) Unwrap() error { return e.Err }

// Poll calls f every gap until it succeeds, returns a Fatal error, or timeout
// passes (then the last error is returned, wrapped).
func Poll(timeout, gap time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		var fatal Fatal
		if err == nil || errors.As(err, &fatal) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		time.Sleep(gap)
	}
}

var (
	cleanMu  sync.Mutex
	cleanups []func()
)

// AtExit registers f to run at Cleanup, after every f registered later.
func AtExit(f func()) {
	cleanMu.Lock()
	cleanups = append(cleanups, f)
	cleanMu.Unlock()
}

// Cleanup runs the registered cleanups, last registered first, once.
func Cleanup() {
	cleanMu.Lock()
	defer cleanMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}
