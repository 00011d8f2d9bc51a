package consul

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/consul/api"
)

// RetryPolicy bounds the retries of one agent operation: Attempts tries in all,
// waiting Base, 2*Base, ... capped at Max between them.
type RetryPolicy struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultRetryPolicy gives up after about 8 seconds.
var DefaultRetryPolicy = RetryPolicy{Attempts: 5, Base: 500 * time.Millisecond, Max: 4 * time.Second}

// isNotFound reports whether err is Consul's 404 (unknown service or check).
func isNotFound(err error) bool {
	var se api.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// retryable reports whether err may go away on its own: connection errors and
// 5xx answers are, Consul's refusals of a request (4xx) are not.
func retryable(err error) bool {
	var se api.StatusError
	if errors.As(err, &se) {
		return se.Code >= 500
	}
	return true
}

// do runs f until it succeeds, fails with a non-retryable error, the attempts
// are spent, or ctx ends; it returns the last error wrapped with op.
func (p RetryPolicy) do(ctx context.Context, op string, f func() error) error {
	attempts := max(p.Attempts, 1)
	wait := p.Base
	var err error
	for i := 0; i < attempts; i++ {
		if err = f(); err == nil || !retryable(err) {
			break
		}
		if i == attempts-1 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("failed to %s: %w (gave up: %w)", op, err, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, p.Max)
	}
	if err != nil {
		return fmt.Errorf("failed to %s: %w", op, err)
	}
	return nil
}
